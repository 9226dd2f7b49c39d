"""Import ``skops.io`` before Rasa pulls in TensorFlow.

The logistic-regression model is stored with skops. Imported after TensorFlow, ``skops.io``
scans thousands of loaded modules: 5-8 s of the cold start. Importing it first costs nothing
later. There is nothing to undo: the module stays imported, as it would have been anyway.
"""

from __future__ import annotations

from bot.rasa_patches.registry import Patching


def install(patching: Patching) -> None:
    import skops.io  # noqa: F401
