"""One ``apply``: the Rasa version checked, each patch once, each one undone, single ones off."""

from __future__ import annotations

import subprocess
import sys
from typing import Any, Dict, List, Tuple

import pytest
import rasa

from bot import rasa_patches, settings
from bot.rasa_patches import registry, tracker_cache
from bot.settings import Settings
from tests.support.stack import ROOT

#: What a test process can apply: TensorFlow is imported already here (tf-free refuses that).
IN_PROCESS = [name for name in rasa_patches.NAMES if name != "tf-free"]


def owners_of_all_patches() -> List[Any]:
    """Every class or module some patch replaces attributes of (applied once to find out)."""
    rasa_patches.apply(Settings(), only=IN_PROCESS)
    try:
        found = {
            id(r.owner): r.owner
            for name in rasa_patches.applied()
            for r in registry._applied[name].replacements
        }
    finally:
        rasa_patches.revert()
    return list(found.values())


def snapshot(owners: List[Any]) -> List[Dict[str, Any]]:
    return [dict(vars(owner)) for owner in owners]


def test_the_order_starts_before_tensorflow() -> None:
    assert rasa_patches.NAMES[:2] == ("skops-first", "tf-free")  # before TensorFlow is imported
    assert rasa_patches.apply(Settings(), only=["skops-first"]) == ["skops-first"]
    assert rasa_patches.revert() == ["skops-first"]


def test_another_rasa_version_is_refused_naming_the_switch(monkeypatch) -> None:
    monkeypatch.setattr(rasa, "__version__", "3.6.22")
    with pytest.raises(rasa_patches.RasaVersionError) as refused:
        rasa_patches.apply(Settings())
    assert "3.6.21" in str(refused.value) and "3.6.22" in str(refused.value)
    assert "RASA_PATCHES=off" in str(refused.value)
    assert rasa_patches.applied() == []


def test_off_applies_nothing_and_checks_no_version(monkeypatch) -> None:
    monkeypatch.setattr(rasa, "__version__", "4.0.0")
    monkeypatch.setenv("RASA_PATCHES", "off")
    assert rasa_patches.apply(settings.load()) == []
    assert rasa_patches.applied() == []


def test_applying_twice_is_a_no_op() -> None:
    owners = owners_of_all_patches()
    first = rasa_patches.apply(Settings(), only=IN_PROCESS)
    try:
        assert first == IN_PROCESS
        patched_once = snapshot(owners)
        drop_hooks = list(tracker_cache.ON_DROP)
        assert rasa_patches.apply(Settings(), only=IN_PROCESS) == []
        assert rasa_patches.apply(Settings()) == []  # tf-free: no model named, not wanted
        assert all(
            before.keys() == after.keys() and all(after[k] is before[k] for k in before)
            for before, after in zip(patched_once, snapshot(owners))
        )
        assert drop_hooks == tracker_cache.ON_DROP
    finally:
        rasa_patches.revert()


def test_revert_restores_every_original() -> None:
    owners = owners_of_all_patches()
    assert len(owners) >= 10
    before = snapshot(owners)
    drop_hooks = list(tracker_cache.ON_DROP)
    rasa_patches.apply(Settings(), only=IN_PROCESS)
    changed = [i for i, owner in enumerate(owners) if dict(vars(owner)) != before[i]]
    assert len(changed) == len(owners)  # each of them was patched
    assert rasa_patches.revert() == list(reversed(IN_PROCESS))
    for owner, was in zip(owners, before):
        now = dict(vars(owner))
        assert now.keys() == was.keys(), owner  # no attribute left or missing (marks included)
        assert all(now[k] is was[k] for k in was), owner
    assert drop_hooks == tracker_cache.ON_DROP
    assert rasa_patches.applied() == []


@pytest.mark.parametrize("name", IN_PROCESS)
def test_each_patch_is_undone_on_its_own(name: str) -> None:
    owners = owners_of_all_patches()
    before = snapshot(owners)
    assert rasa_patches.apply(Settings(), only=[name]) == [name]
    assert rasa_patches.undo(name) is True
    assert rasa_patches.undo(name) is False  # not applied any more
    assert all(dict(vars(o)) == was for o, was in zip(owners, before))


def test_a_patch_is_not_undone_under_one_that_wrapped_it() -> None:
    from rasa.core.processor import MessageProcessor

    rasa_handle = MessageProcessor.handle_message
    rasa_patches.apply(Settings(), only=["language-hint", "retry-replay"])
    try:
        with pytest.raises(rasa_patches.PatchError, match="undo retry-replay first"):
            rasa_patches.undo("language-hint")
        assert rasa_patches.applied() == ["language-hint", "retry-replay"]
    finally:
        assert rasa_patches.revert() == ["retry-replay", "language-hint"]
    assert MessageProcessor.handle_message is rasa_handle


def test_a_foreign_replacement_is_not_overwritten_by_undo(monkeypatch) -> None:
    from rasa.shared.core.events import Event

    rasa_patches.apply(Settings(), only=["event-type-cache"])
    monkeypatch.setattr(Event, "resolve_by_type", staticmethod(lambda *a: None))
    with pytest.raises(rasa_patches.PatchError, match="replaced again"):
        rasa_patches.undo("event-type-cache")
    monkeypatch.undo()
    assert rasa_patches.undo("event-type-cache")


def disabled_by(env: Dict[str, str], monkeypatch) -> Tuple[List[str], Any]:
    import rasa.core.processor as processor

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    done = rasa_patches.apply(settings.load(), only=IN_PROCESS)
    return done, processor.DaskGraphRunner


def test_one_setting_leaves_a_single_patch_out(monkeypatch) -> None:
    from rasa.engine.runner.dask import DaskGraphRunner

    try:
        done, runner = disabled_by({"RASA_PATCHES_DISABLED": "sequential-graph"}, monkeypatch)
        assert done == [name for name in IN_PROCESS if name != "sequential-graph"]
        assert runner is DaskGraphRunner  # Rasa's, untouched
    finally:
        rasa_patches.revert()


@pytest.mark.parametrize("name", IN_PROCESS)
def test_every_patch_can_be_left_out(monkeypatch, name: str) -> None:
    monkeypatch.setenv("RASA_PATCHES_DISABLED", f"{name}, debug-log-copies")
    try:
        done = rasa_patches.apply(settings.load(), only=IN_PROCESS)
        assert name not in done and "debug-log-copies" not in done
        assert len(done) == len(IN_PROCESS) - len({name, "debug-log-copies"})
    finally:
        rasa_patches.revert()


def test_the_older_switches_leave_their_patches_out(monkeypatch) -> None:
    monkeypatch.setenv("LOCAL_ACTIONS", "0")
    monkeypatch.setenv("TF_FREE", "0")
    assert {"local-answers", "tf-free"} <= rasa_patches.switched_off(settings.load())


def test_an_unknown_name_is_refused(monkeypatch) -> None:
    monkeypatch.setenv("RASA_PATCHES_DISABLED", "sequential-grpah")
    with pytest.raises(rasa_patches.PatchError, match="names no patch sequential-grpah"):
        rasa_patches.apply(settings.load())
    assert rasa_patches.applied() == []


def test_training_gets_only_the_patches_marked_for_it() -> None:
    done = rasa_patches.apply(Settings(tf_free=False), training_config=ROOT / "config.yml")
    try:
        assert done == ["skops-first", "event-type-cache", "debug-log-copies"]
    finally:
        rasa_patches.revert()


def test_importing_the_package_imports_no_rasa() -> None:
    """Applying ``tf-free`` must come before TensorFlow: the package itself imports neither."""
    code = (
        "import sys, bot.rasa_patches; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'rasa', 'tensorflow', 'sanic'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
