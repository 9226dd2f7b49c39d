"""Deep-copy conversation states for Rasa's debug log lines only when they are logged.

Rasa deep-copies states, slots and events to pass them to ``structlogger.debug(...)`` in the
processor, RulePolicy and forms, on every message, whether or not debug logging is on. In
these modules ``copy`` is used for nothing else (tests/rasa_patches checks the source), so their
``copy`` is replaced by one whose ``deepcopy`` copies only when the ``rasa`` logger logs debug.
"""

from __future__ import annotations

import importlib
import types
from typing import Any

from bot.rasa_patches.registry import Patching

#: Rasa modules whose only use of ``copy`` is ``copy.deepcopy`` of values passed to debug logs.
DEBUG_COPY_MODULES = (
    "rasa.core.processor",
    "rasa.core.policies.rule_policy",
    "rasa.core.actions.forms",
)


def copy_for_debug_log(value: Any, memo: Any = None) -> Any:
    import copy
    import logging

    if logging.getLogger("rasa").isEnabledFor(logging.DEBUG):
        return copy.deepcopy(value, memo)
    return value  # the debug line is dropped anyway


def install(patching: Patching) -> None:
    shim = types.SimpleNamespace(deepcopy=copy_for_debug_log)
    for name in DEBUG_COPY_MODULES:
        patching.replace(importlib.import_module(name), "copy", shim)
