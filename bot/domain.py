"""What the code needs to know of ``domain.yml``: the treatment-request form's slots, and the
article sections a response cites.

The form's slots are listed once, in the domain (``forms: treatment_request_form:
required_slots``), in the order they are asked. The form's validation action reads them from
the domain Rasa sends with each call (rasa_sdk's ``FormValidationAction.domain_slots``); the
request record, its export, the summary, the reset after a cancel and the erasure of personal
fields take them from ``domain.yml`` through :func:`treatment_request_form`. Both go through
:meth:`FormSlots.of`, so they split the slots the same way.

No Rasa imports: the action server, the web app and the command line all use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, List, Mapping, Optional, Sequence, Tuple

import yaml

from bot.settings import ROOT

DOMAIN_FILE = ROOT / "domain.yml"
TREATMENT_REQUEST_FORM = "treatment_request_form"
#: The slot type of the form's yes/no steps (consent, the final "Shall I send it?").
YES_NO_TYPE = "bool"


def response_sources(variation: Mapping[str, Any]) -> List[str]:
    """The article sections a response variation cites in ``metadata.source`` (one or a list;
    ``policy`` for texts about how the assistant works)."""
    source = (variation.get("metadata") or {}).get("source")
    return [source] if isinstance(source, str) else list(source or [])


@dataclass(frozen=True)
class FormSlots:
    """A form's slots in the order they are asked, split into yes/no steps and answers."""

    order: Tuple[str, ...]
    #: Slots that hold True/False; every other slot of the form holds the patient's text.
    yes_no: Tuple[str, ...]

    @property
    def answers(self) -> Tuple[str, ...]:
        """The text slots, in order: what the patient tells us (stored with the request)."""
        return tuple(name for name in self.order if name not in self.yes_no)

    @classmethod
    def of(
        cls,
        domain: Mapping[str, Any],
        form: str = TREATMENT_REQUEST_FORM,
        order: Optional[Sequence[str]] = None,
    ) -> FormSlots:
        """The slots of ``form`` in ``domain`` (a domain.yml or Rasa's ``Domain.as_dict()``).

        ``order`` overrides the domain's ``required_slots`` (the validation action passes what
        rasa_sdk's ``domain_slots`` read).
        """
        forms = domain.get("forms") or {}
        if order is None:
            order = (forms.get(form) or {}).get("required_slots") or []
        slots = domain.get("slots") or {}
        yes_no = [name for name in order if (slots.get(name) or {}).get("type") == YES_NO_TYPE]
        return cls(order=tuple(order), yes_no=tuple(yes_no))


#: libyaml's parser when PyYAML has it: ~20 ms for domain.yml instead of ~280 ms.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@lru_cache(maxsize=1)
def load() -> Mapping[str, Any]:
    """``domain.yml``, parsed once per process."""
    return yaml.load(DOMAIN_FILE.read_text(encoding="utf-8"), Loader=_LOADER) or {}


@lru_cache(maxsize=1)
def treatment_request_form() -> FormSlots:
    """The treatment-request form's slots as ``domain.yml`` lists them."""
    return FormSlots.of(load())
