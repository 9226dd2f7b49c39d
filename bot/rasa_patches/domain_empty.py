"""Tell whether a domain is empty without building an empty domain each time.

``MessageProcessor.parse_message`` checks ``domain.is_empty()`` for every message, and Rasa's
``is_empty`` builds ``Domain.empty()`` (a whole ``Domain`` from an empty dict) to compare
with: ~0.5 ms per message. The empty domain's dict is now built once; the comparison is
Rasa's.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from bot.rasa_patches.registry import Patching


def install(patching: Patching) -> None:
    from rasa.shared.core.domain import Domain

    empty: Dict[str, Optional[Dict[str, Any]]] = {"dict": None}

    def is_empty_once(self: Any) -> bool:
        if empty["dict"] is None:
            empty["dict"] = Domain.empty().as_dict()
        return bool(self.as_dict() == empty["dict"])

    patching.replace(Domain, "is_empty", is_empty_once)
