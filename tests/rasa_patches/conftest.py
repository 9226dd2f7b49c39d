"""Every test module of the Rasa patches leaves Rasa as released."""

from __future__ import annotations

from typing import Iterator

import pytest

from bot import rasa_patches


@pytest.fixture(scope="module", autouse=True)
def rasa_as_released() -> Iterator[None]:
    assert rasa_patches.applied() == [], "a patch was left applied before this module"
    yield
    left = rasa_patches.revert()
    assert left == [], f"the module left patches applied: {left}"
