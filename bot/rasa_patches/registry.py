"""What the Rasa patches changed, with the originals, so that each can be undone.

Modelled on ``rasa_sdk/tracing/instrumentation/instrumentation.py``: a patch replaces attributes
of Rasa's classes and modules with ``setattr`` and marks what it patched. Here every
replacement goes through :meth:`Patching.replace`, which records the value it replaced and
marks the owner (``_mibg_patches``: attribute -> the patches that replaced it, in order), so

- a patch that is already applied is not applied again (:func:`is_applied`);
- :func:`undo` puts back exactly what a patch replaced (a ``staticmethod`` as the
  ``staticmethod`` it was, an inherited attribute by deleting the override) and runs its clean-ups
  (a hook taken off ``sys.meta_path``, a cache emptied), newest change first;
- a patch is not undone under a later one that wrapped the same attribute (that one would
  then call a method that is no longer there): undo the later one first, or :func:`revert`
  everything;
- a patch whose installation fails leaves nothing behind.

This module holds no patch itself and imports nothing of Rasa.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from bot.settings import RASA_PATCHES_DISABLED, Settings

logger = logging.getLogger(__name__)

#: The attribute on a patched class or module that names what patched it.
MARK = "_mibg_patches"
_MISSING = object()


class PatchError(RuntimeError):
    """A patch cannot be applied or undone as asked."""


@dataclass
class Replacement:
    """One attribute a patch replaced."""

    owner: Any
    attribute: str
    #: What ``owner.__dict__`` held (``_MISSING``: nothing, the attribute was inherited).
    original: Any
    value: Any

    def describe(self) -> str:
        return f"{getattr(self.owner, '__name__', repr(self.owner))}.{self.attribute}"


@dataclass(frozen=True)
class Context:
    """What :func:`bot.rasa_patches.apply` was given, for the patches that depend on it."""

    settings: Settings = field(default_factory=Settings)
    #: The model Rasa will serve or test (``None``: not known).
    model: Optional[Path] = None
    #: The config Rasa will train from (``None``: not training).
    training_config: Optional[Path] = None


@dataclass
class Patching:
    """What one patch changes, recorded while its ``install`` runs."""

    name: str
    context: Context = field(default_factory=Context)
    replacements: List[Replacement] = field(default_factory=list)
    cleanups: List[Callable[[], None]] = field(default_factory=list)

    def replace(self, owner: Any, attribute: str, value: Any) -> Any:
        """Set ``owner.attribute`` to ``value``; returns what it was (to be wrapped).

        The value returned is the attribute as Python resolves it (a plain function for a
        ``staticmethod``), the value restored later is the one ``owner`` itself held.
        """
        current = getattr(owner, attribute)
        original = vars(owner).get(attribute, _MISSING)
        setattr(owner, attribute, value)
        self.replacements.append(Replacement(owner, attribute, original, value))
        marks = dict(vars(owner).get(MARK) or {})
        marks[attribute] = (*marks.get(attribute, ()), self.name)
        setattr(owner, MARK, marks)
        logger.debug("patched %s (%s)", self.replacements[-1].describe(), self.name)
        return current

    def on_undo(self, cleanup: Callable[[], None]) -> None:
        """Run ``cleanup`` when the patch is undone (after its attributes are restored)."""
        self.cleanups.append(cleanup)

    def _undo(self) -> None:
        for replacement in self.replacements:  # all checked before anything is restored
            if (
                vars(replacement.owner).get(replacement.attribute, _MISSING)
                is not replacement.value
            ):
                raise PatchError(
                    f"{replacement.describe()} was replaced again after the patch {self.name} "
                    "(not by bot.rasa_patches): restore that first"
                )
        for replacement in reversed(self.replacements):
            owner, attribute = replacement.owner, replacement.attribute
            if replacement.original is _MISSING:
                delattr(owner, attribute)
            else:
                setattr(owner, attribute, replacement.original)
            marks = dict(vars(owner).get(MARK) or {})
            names = tuple(n for n in marks.get(attribute, ()) if n != self.name)
            if names:
                marks[attribute] = names
            else:
                marks.pop(attribute, None)
            if marks:
                setattr(owner, MARK, marks)
            elif MARK in vars(owner):
                delattr(owner, MARK)  # as it was before any patch
        self.replacements.clear()
        for cleanup in reversed(self.cleanups):
            cleanup()
        self.cleanups.clear()


#: The applied patches by name, oldest first.
_applied: Dict[str, Patching] = {}


def is_applied(name: str) -> bool:
    return name in _applied


def applied() -> List[str]:
    """The names of the applied patches, in the order they were applied."""
    return list(_applied)


def install(name: str, install_patch: Callable[[Patching], None], context: Context) -> bool:
    """Run ``install_patch`` as the patch ``name``; False when it is applied already.

    If it raises, whatever it had replaced is put back, and the error is passed on as a
    :class:`PatchError` that names the setting that leaves the patch out.
    """
    if name in _applied:
        return False
    patching = Patching(name, context)
    try:
        install_patch(patching)
    except BaseException as error:
        patching._undo()
        if isinstance(error, Exception) and not isinstance(error, PatchError):
            raise PatchError(
                f"the Rasa patch {name} cannot be applied ({type(error).__name__}: {error}); "
                f"{RASA_PATCHES_DISABLED}={name} leaves it out"
            ) from error
        raise
    _applied[name] = patching
    return True


def _wrapped_later(name: str) -> Optional[Tuple[str, str]]:
    """A later patch that replaced an attribute ``name`` replaced, with that attribute."""
    names = list(_applied)
    mine = {(id(r.owner), r.attribute) for r in _applied[name].replacements}
    for later in names[names.index(name) + 1 :]:
        for replacement in _applied[later].replacements:
            if (id(replacement.owner), replacement.attribute) in mine:
                return later, replacement.describe()
    return None


def undo(name: str) -> bool:
    """Put back what the patch ``name`` replaced; False when it is not applied."""
    if name not in _applied:
        return False
    later = _wrapped_later(name)
    if later is not None:
        raise PatchError(f"undo {later[0]} first: it wrapped {later[1]} after {name} did")
    _applied[name]._undo()
    del _applied[name]
    return True


def revert() -> List[str]:
    """Undo every applied patch, newest first; returns their names in that order."""
    done = []
    for name in reversed(list(_applied)):
        undo(name)
        done.append(name)
    return done


def original(owner: Any, attribute: str) -> Any:
    """``owner.attribute`` as it was before any applied patch replaced it (Rasa's own)."""
    for patching in _applied.values():
        for replacement in patching.replacements:
            if replacement.owner is owner and replacement.attribute == attribute:
                if replacement.original is _MISSING:
                    return getattr(super(owner, owner), attribute)
                value = replacement.original
                if isinstance(value, (staticmethod, classmethod)):
                    return value.__get__(None, owner)
                return value
    return getattr(owner, attribute)
