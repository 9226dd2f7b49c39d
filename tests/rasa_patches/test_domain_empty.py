"""``empty-domain-once``: ``Domain.is_empty`` answers as Rasa's."""

from __future__ import annotations

from rasa.shared.core.domain import Domain

from tests.rasa_patches.helpers import patched


def test_is_empty_as_released() -> None:
    full = Domain.from_dict({"intents": ["greet"], "responses": {"utter_hi": [{"text": "Hi"}]}})
    released = (Domain.empty().is_empty(), full.is_empty())
    with patched("empty-domain-once"):
        assert (Domain.empty().is_empty(), full.is_empty()) == released == (True, False)
        assert Domain.empty().is_empty()  # the second call uses the kept empty domain
    assert "is_empty" in Domain.__dict__ and Domain.is_empty(Domain.empty())
