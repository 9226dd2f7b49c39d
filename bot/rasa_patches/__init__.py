"""Everything that changes Rasa's behaviour, behind one :func:`apply` (Rasa 3.6.21 only).

Rasa's classes are patched in-process by ``python -m bot serve-rasa`` and by ``python -m bot
rasa ...`` (``rasa test``, ``rasa train``), so the tests exercise what production serves. Each
patch is a small module here; the speed-ups were found with cProfile on the benchmark's
conversations (docs/performance.md) and keep Rasa's behaviour, none skips a check:

========================  ==================================================================
``skops-first``           import skops before TensorFlow could be (5-8 s of the cold start)
``tf-free``               TensorFlow answered by placeholders when the model does not use it
``cached-schema``         action-server answers checked with the schema compiled once
``sqlite-wal``            WAL and ``synchronous=NORMAL`` on the SQLite tracker store's engine
``sqlite-pool``           the SQLite tracker store keeps its connections open
``event-type-cache``      event type names resolved once, not by walking every Event class
``count-vectors``         one message's token counts built directly, not by sklearn's batches
``empty-domain-once``     the empty domain that ``is_empty`` compares with built once
``rule-index``            the rules tested first against the state they can match (same keys)
``tracker-cache``         a conversation's events kept between messages, checked against the DB
``long-history``          per-message work that does not grow with the conversation
``sequential-graph``      the model's graph run node by node (``SequentialGraphRunner``)
``action-client``         one kept-alive action-server session; timeout and circuit breaker
``local-answers``         ``action_answer`` and the session start run in the Rasa process
``debug-log-copies``      states deep-copied for debug log lines only when they are logged
``entity-guard``          entity values that are not short strings dropped (a guard)
``language-hint``         a message's language known before its session starts (behaviour)
``retry-replay``          a retried message answered from the stored turn (a guard)
``lock-wait``             a message waiting for its conversation's lock keeps its ticket (a fix)
``erasure-hook``          a chat erasure leaves no events, transcripts kept minimal (privacy)
========================  ==================================================================

:func:`apply` checks that this is the Rasa the patches were written for (``RASA_VERSION``) and
refuses to start otherwise, naming the switch that turns them off; applies each patch once
(a second call is a no-op); keeps the originals, so :func:`undo` and :func:`revert` put Rasa
back (``skops-first`` has nothing to restore; ``tf-free`` takes its import hook off, but modules
imported meanwhile keep their placeholders). ``RASA_PATCHES=off`` applies none,
``RASA_PATCHES_DISABLED=name,...`` leaves single ones out (bot/settings.py). Training
(``rasa train``) gets only the patches marked for it: the others would change what is
learnt (``long-history`` keeps as many states as the finished rules need) or do not run there.

Nothing here imports Rasa until :func:`apply` runs: ``tf-free`` must come before TensorFlow.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, List, Optional, Set

from bot import settings as settings_module
from bot.rasa_patches import (
    action_client,
    action_schema,
    count_vectors,
    debug_logs,
    domain_empty,
    entity_guard,
    erasure_hook,
    event_types,
    graph,
    history,
    language_hint,
    local_actions,
    lock_wait,
    registry,
    retry_replay,
    rule_index,
    skops_first,
    sqlite,
    tf_free,
    tracker_cache,
)
from bot.rasa_patches.registry import Context, PatchError, Patching, applied, original, undo
from bot.settings import Settings

logger = logging.getLogger(__name__)

#: The Rasa release every patch was written for and tested with.
RASA_VERSION = "3.6.21"

__all__ = [
    "PATCHES",
    "NAMES",
    "RASA_VERSION",
    "Patch",
    "PatchError",
    "RasaVersionError",
    "applied",
    "apply",
    "original",
    "revert",
    "undo",
]


class RasaVersionError(PatchError):
    """The installed Rasa is not the one the patches were written for."""


def _always(_context: Context) -> bool:
    return True


@dataclass(frozen=True)
class Patch:
    """One change to Rasa, applied by ``install`` (which records it on a ``Patching``)."""

    name: str
    install: Callable[[Patching], None]
    #: Also applied when Rasa trains (it changes nothing that is learnt).
    training: bool = False
    #: Whether the patch is wanted for this run (beyond the settings that turn patches off).
    wanted: Callable[[Context], bool] = _always


#: In the order they are applied: skops and the TensorFlow hook before Rasa is imported, and
#: each wrapper after the one it wraps (``local-answers`` around ``action-client``,
#: ``retry-replay`` around ``language-hint``).
PATCHES = (
    Patch("skops-first", skops_first.install, training=True),
    Patch("tf-free", tf_free.install, training=True, wanted=tf_free.wanted),
    Patch("cached-schema", action_schema.install),
    Patch("sqlite-wal", sqlite.install_wal),
    Patch("sqlite-pool", sqlite.install_pool),
    Patch("event-type-cache", event_types.install, training=True),
    Patch("count-vectors", count_vectors.install),
    Patch("empty-domain-once", domain_empty.install),
    Patch("rule-index", rule_index.install),
    Patch("tracker-cache", tracker_cache.install),
    Patch("long-history", history.install),
    Patch("sequential-graph", graph.install),
    Patch("action-client", action_client.install),
    Patch(local_actions.PATCH, local_actions.install, wanted=local_actions.wanted),
    Patch("debug-log-copies", debug_logs.install, training=True),
    Patch("entity-guard", entity_guard.install),
    Patch("language-hint", language_hint.install),
    Patch("retry-replay", retry_replay.install),
    Patch("lock-wait", lock_wait.install),
    Patch("erasure-hook", erasure_hook.install),
)
NAMES = tuple(patch.name for patch in PATCHES)


def check_rasa_version(installed: Optional[str] = None) -> None:
    """Refuse a Rasa other than ``RASA_VERSION``: the patches replace its internals."""
    if installed is None:
        import rasa

        installed = rasa.__version__
    if installed != RASA_VERSION:
        raise RasaVersionError(
            f"bot/rasa_patches was written for Rasa {RASA_VERSION}, this is Rasa {installed}: "
            f"check each patch against it, or set {settings_module.RASA_PATCHES}=off to run "
            "Rasa as released (slower, and without the entity guard, the retry replay and "
            "the chat erasure hook)"
        )


def switched_off(settings: Settings) -> Set[str]:
    """The patches the settings leave out; an unknown name is refused (a typo turns nothing
    off silently)."""
    unknown = sorted(set(settings.rasa_patches_disabled) - set(NAMES))
    if unknown:
        raise PatchError(
            f"{settings_module.RASA_PATCHES_DISABLED} names no patch {', '.join(unknown)}; "
            f"the patches are {', '.join(NAMES)}"
        )
    off = set(settings.rasa_patches_disabled)
    if not settings.tf_free:
        off.add("tf-free")
    if not settings.local_actions:
        off.add(local_actions.PATCH)
    return off


def apply(
    settings: Settings,
    *,
    model: Optional[Path] = None,
    training_config: Optional[Path] = None,
    only: Optional[Iterable[str]] = None,
) -> List[str]:
    """Apply the patches the settings allow, in order; returns those applied by this call.

    ``model``: the model Rasa will serve or test (``tf-free`` needs it). ``training_config``:
    Rasa will train from it, so only the patches marked for training. ``only``: these
    patches and no others (tests and the benchmark's what-if runs). Call it before anything
    imports TensorFlow.
    """
    if not settings.rasa_patches:
        logger.warning("%s=off: Rasa runs as released", settings_module.RASA_PATCHES)
        return []
    check_rasa_version()
    chosen = set(NAMES if only is None else only)
    unknown = chosen - set(NAMES)
    if unknown:
        raise PatchError(f"no such Rasa patch: {', '.join(sorted(unknown))}")
    off = switched_off(settings)
    context = Context(settings, model, training_config)
    done = []
    for patch in PATCHES:
        if patch.name not in chosen or patch.name in off:
            continue
        if training_config is not None and not patch.training:
            continue
        if patch.wanted(context) and registry.install(patch.name, patch.install, context):
            done.append(patch.name)  # False: applied already
    if done:
        logger.info("Rasa patches applied: %s", ", ".join(done))
    return done


def revert() -> List[str]:
    """Undo every applied patch, newest first (tests; a server never needs it)."""
    return registry.revert()
