"""``debug-log-copies``: the modules it touches use ``copy`` for debug log lines only."""

from __future__ import annotations

import copy
import importlib
import inspect
import logging
import re

from bot.rasa_patches import debug_logs
from tests.rasa_patches.helpers import patched


def test_debug_log_copies_only_touch_debug_log_arguments() -> None:
    for name in debug_logs.DEBUG_COPY_MODULES:
        source = inspect.getsource(importlib.import_module(name))
        uses = re.findall(r"\bcopy\.(\w+)\(", source)
        assert uses and set(uses) == {"deepcopy"}, name
        # every deepcopy is an argument of a structlogger.debug(...) call
        for match in re.finditer(r"copy\.deepcopy\(", source):
            before = source[: match.start()]
            call = before[before.rfind("structlogger.") :]
            assert call.startswith("structlogger.debug("), (name, call[:80])
    value = {"a": [1, 2]}
    rasa_logger = logging.getLogger("rasa")
    level = rasa_logger.level
    try:
        rasa_logger.setLevel(logging.INFO)
        assert debug_logs.copy_for_debug_log(value) is value
        rasa_logger.setLevel(logging.DEBUG)
        copied = debug_logs.copy_for_debug_log(value)
        assert copied == value and copied is not value
    finally:
        rasa_logger.setLevel(level)


def test_the_modules_get_their_copy_module_back() -> None:
    modules = [importlib.import_module(name) for name in debug_logs.DEBUG_COPY_MODULES]
    with patched("debug-log-copies"):
        assert all(module.copy is not copy for module in modules)
        assert modules[0].copy.deepcopy is debug_logs.copy_for_debug_log
    assert all(module.copy is copy for module in modules)
