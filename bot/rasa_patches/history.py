"""Per-message work that does not grow with the conversation (the patch ``long-history``).

Rasa 3.6 walks the whole conversation several times for every message, in Python: it filters
the events (``DialogueStateTracker.applied_events``, three to five times), copies the tracker by
replaying every event (``copy``, twice), RulePolicy rebuilds a dialogue state for every action
so far (two or three times), and the payload for an action holds every event as a dict. So a
message cost more the longer the conversation was: 11 ms for the 10th "side effects?" of a
conversation, 87 ms for the 400th (bench/long_conversation.py, before these fixes).

Each fix below gives the same results as Rasa's code; tests/rasa_patches/test_history.py compares
them on the test stories and on long conversations.

- ``applied_events``: remembered per conversation (the sender id), with the event objects they
  came from. When a tracker's events start with exactly those objects (Rasa shares event
  objects between tracker copies, and the tracker cache between messages) and the events
  after them are plain ones, only those are added; a tracker that is a plain-event prefix of
  the remembered one gets a slice. Anything else (another history, a restart or session
  start, a rewind, a loop event ``applied_events`` treats specially) is computed as Rasa does.
- ``copy``: a tracker is copied by copying its state (slots, active loop, latest action,
  flags: everything ``_reset`` sets and events change) and its list of events, instead of
  replaying every event into a new tracker. It is the same tracker (checked attribute by
  attribute in the tests); an event with a NaN timestamp, which Rasa's replay would stop at,
  takes Rasa's path.
- RulePolicy states: a rule can only tell states apart as far back as its own length
  (``_is_rule_applicable``: ``turn_index >= len(rule)`` lets every rule through), and the
  unhappy-path rules look at two states. So ``RulePolicy._prediction_states`` gets only the
  last ``longest rule + 1`` states (4 for our model), built incrementally per conversation
  from the remembered applied events. The rules matched are the same. The one difference is
  the key Rasa uses as "prediction source" when *no* rule matched, built from the kept states:
  Rasa only checks whether that key is among ``rules_not_in_stories`` (rule keys, none longer
  than the longest rule, and source names), which neither key ever is.
- What is remembered of a conversation is dropped with its tracker-cache entry
  (``tracker_cache.ON_DROP``): an erasure leaves none of its events here.
- Local action payloads (``action_answer``, ``action_session_start``, ``local_actions.py``):
  those actions read the slots, the latest message and the active loop, never the list of
  events, so their payload carries the events of the current turn only (from the latest user
  message on) instead of every event of the conversation as a dict.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import json
import math
import operator
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Any, Deque, Dict, List, Optional, Tuple

from bot.rasa_patches import local_actions, registry, tracker_cache
from bot.rasa_patches.registry import Patching

#: Conversations remembered per process (least recently used out first).
CACHE_SIZE = 2000


class _LRU(OrderedDict):
    def remember(self, key: str, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > CACHE_SIZE:
            self.popitem(last=False)


# ---------------------------------------------------------------- applied events


@dataclass
class _Applied:
    """The applied events of one conversation's events ``raw``.

    Between two rebuilds (each gets a new ``token``) ``raw`` and ``applied`` only grow, so a
    tracker marked ``(token, n)`` (``_mibg_mark``) is known to start with ``raw[:n]`` and only
    the events after its first ``n`` need checking: the work per call is that of the events
    added since, not of the conversation.
    """

    token: int
    raw: List[Any]
    applied: List[Any]
    loop_names: frozenset
    #: ``raw[plain_from:]`` were all plain: they are the last events of ``applied`` too.
    plain_from: int
    #: Whether every event of ``raw`` has a timestamp a replay reaches (no NaN).
    replayable: bool


_applied: _LRU = _LRU()
#: Rasa's own ``applied_events``, set by ``install``.
_ORIGINALS: Dict[str, Any] = {}
_tokens = itertools.count(1)
MARK = "_mibg_mark"


def _loop_names(events: Any) -> frozenset:
    from rasa.shared.core.events import ActiveLoop

    return frozenset(e.name for e in events if isinstance(e, ActiveLoop) and e.name)


def _is_plain(event: Any, loop_names: frozenset) -> bool:
    """Whether ``applied_events`` simply appends ``event`` (given ``loop_names``)."""
    from rasa.shared.core.events import (
        ActionExecuted,
        ActionReverted,
        ActiveLoop,
        Restarted,
        SessionStarted,
        UserUtteranceReverted,
    )

    if isinstance(event, (Restarted, SessionStarted, ActionReverted, UserUtteranceReverted)):
        return False
    if isinstance(event, ActiveLoop) and event.name and event.name not in loop_names:
        return False  # a new loop name changes how earlier loop actions are filtered
    return not (isinstance(event, ActionExecuted) and event.action_name in loop_names)


def _replayable(events: Any) -> bool:
    """Whether a replay reaches each of ``events`` (Rasa's stops at a NaN timestamp)."""
    try:
        return not any(map(math.isnan, map(operator.attrgetter("timestamp"), events)))
    except TypeError:
        return False


def _tail(events: Any, start: int) -> List[Any]:
    """``events[start:]`` of a deque, in the work of the tail only."""
    tail = list(itertools.islice(reversed(events), max(0, len(events) - start)))
    tail.reverse()
    return tail


def _known_prefix(tracker: Any, entry: _Applied) -> int:
    """How many of ``tracker``'s first events are known to be ``entry.raw``'s (0: none)."""
    mark = tracker.__dict__.get(MARK)
    events = tracker.events
    if not mark or mark[0] != entry.token or mark[1] > len(events) or not events:
        return 0
    known = mark[1]
    if known and (events[0] is not entry.raw[0] or events[known - 1] is not entry.raw[known - 1]):
        return 0  # the events were replaced since the mark was set
    return known


def _starts_with(tracker: Any, entry: _Applied, count: int) -> bool:
    """Whether ``tracker.events[:count]`` are exactly the objects ``entry.raw[:count]``."""
    events = tracker.events
    known = min(_known_prefix(tracker, entry), count)
    if known == 0:
        return all(map(operator.is_, itertools.islice(events, count), entry.raw[:count]))
    unknown = _tail(events, known)[: count - known]
    return all(map(operator.is_, unknown, entry.raw[known:count]))


def _eligible(tracker: Any) -> bool:
    from rasa.shared.core.trackers import DialogueStateTracker

    return type(tracker) is DialogueStateTracker and bool(tracker.sender_id)


def applied_of(tracker: Any) -> Tuple[List[Any], Optional[_Applied]]:
    """The applied events of ``tracker``, and the entry when they are its own growing list.

    Do not change the list returned.
    """
    entry = _applied.get(tracker.sender_id)
    events = tracker.events
    count = len(events)
    if entry is not None:
        seen = len(entry.raw)
        if count >= seen and _starts_with(tracker, entry, seen):
            new = _tail(events, seen)
            if all(_is_plain(event, entry.loop_names) for event in new):
                entry.raw.extend(new)
                entry.applied.extend(new)
                entry.replayable = entry.replayable and _replayable(new)
                _applied.move_to_end(tracker.sender_id)
                tracker.__dict__[MARK] = (entry.token, len(entry.raw))
                return entry.applied, entry
        elif entry.plain_from <= count < seen and _starts_with(tracker, entry, count):
            tracker.__dict__[MARK] = (entry.token, count)
            return entry.applied[: len(entry.applied) - (seen - count)], None
    raw = list(events)
    applied = _ORIGINALS["applied_events"](tracker)
    entry = _Applied(next(_tokens), raw, applied, _loop_names(raw), len(raw), _replayable(raw))
    _applied.remember(tracker.sender_id, entry)
    tracker.__dict__[MARK] = (entry.token, len(raw))
    return entry.applied, entry


# ---------------------------------------------------------------- RulePolicy states


@dataclass
class _States:
    """The last few states of the applied events ``entry.applied[:count]``."""

    domain_id: int
    entry: Optional[_Applied]
    count: int
    end: Any  # a tracker with those events replayed, as generate_all_prior_trackers builds it
    states: Deque[Dict]  # the states before the last few actions


_states: _LRU = _LRU()


def _state(domain: Any, tracker: Any) -> Dict:
    return domain._clean_state(domain.get_active_state(tracker))


def _copy_state(state: Dict) -> Dict:
    """A state whose sub-states can be changed (the featurizer deletes keys in place)."""
    return {kind: dict(sub_state) for kind, sub_state in state.items()}


def _replay(states: _States, domain: Any, events: List[Any]) -> None:
    """As ``states_for_tracker_history``: a state before every action, then the event.

    Only the states the deque keeps are built (a whole history is replayed after a rebuild).
    """
    from rasa.shared.core.events import ActionExecuted

    actions = [i for i, event in enumerate(events) if isinstance(event, ActionExecuted)]
    wanted = set(actions[len(actions) - (states.states.maxlen or 0) :])
    for index, event in enumerate(events):
        if index in wanted:
            states.states.append(_state(domain, states.end))
        states.end.update(event)
    states.count += len(events)


def tail_states(tracker: Any, domain: Any, keep: int) -> List[Dict]:
    """``domain.states_for_tracker_history(tracker)[-keep:]``, built incrementally.

    ``keep - 1`` states before actions and the state after the last event, as fresh dicts.
    """
    applied, entry = applied_of(tracker)
    found = _states.get(tracker.sender_id)
    if (
        found is None
        or entry is None
        or found.entry is not entry  # the applied events were rebuilt: start again
        or found.domain_id != id(domain)
        or found.states.maxlen != keep - 1
        or found.count > len(applied)
    ):
        found = _States(id(domain), entry, 0, tracker.init_copy(), deque(maxlen=keep - 1))
    _replay(found, domain, applied[found.count :])
    if entry is not None:
        _states.remember(tracker.sender_id, found)
    return [_copy_state(state) for state in found.states] + [_state(domain, found.end)]


def _key_length(key: str) -> int:
    try:
        states = json.loads(key)
    except (TypeError, ValueError):
        return 0  # a default or loop source name, not a list of states
    return len(states) if isinstance(states, list) else 0


def kept_states(policy: Any) -> Optional[int]:
    """How many states ``policy`` needs: its longest rule key + 1 (memoised on the policy).

    ``None`` (Rasa's own path) when its featurizer is not the plain one reproduced here.
    """
    if "_mibg_kept_states" in policy.__dict__:
        return policy.__dict__["_mibg_kept_states"]
    from rasa.core.featurizers.tracker_featurizers import MaxHistoryTrackerFeaturizer
    from rasa.core.policies.rule_policy import (
        RULES,
        RULES_FOR_LOOP_UNHAPPY_PATH,
        RULES_NOT_IN_STORIES,
    )

    keys = itertools.chain(
        policy.lookup.get(RULES, {}),
        policy.lookup.get(RULES_FOR_LOOP_UNHAPPY_PATH, {}),
        policy.lookup.get(RULES_NOT_IN_STORIES, []),
    )
    kept: Optional[int] = max(map(_key_length, keys), default=0) + 1
    featurizer = policy.featurizer
    if type(featurizer) is not MaxHistoryTrackerFeaturizer or featurizer.max_history:
        kept = None
    policy.__dict__["_mibg_kept_states"] = kept
    return kept


# ---------------------------------------------------------------- tracker copies


def shallow_copy(value: Any) -> Any:
    """``copy.copy(value)`` for a plain object (a slot) without the reduce protocol's detour.

    For a class with no ``__copy__``, ``__reduce__``, ``__getstate__``, ``__setstate__`` or
    non-empty ``__slots__`` of its own, ``copy.copy`` makes a new instance and updates its
    ``__dict__`` with the original's; this does the same directly (slots are copied four times
    a message). Any other class goes through ``copy.copy``.
    """
    cls: Any = type(value)
    if cls not in _PLAIN_CLASSES:
        if any(
            hasattr(cls, name) and getattr(cls, name) is not getattr(object, name, None)
            for name in ("__copy__", "__reduce__", "__reduce_ex__", "__getstate__", "__setstate__")
        ) or any(vars(base).get("__slots__") for base in cls.__mro__):  # ABC's () is none
            return copy.copy(value)
        _PLAIN_CLASSES.add(cls)
    clone = cls.__new__(cls)
    clone.__dict__.update(value.__dict__)
    return clone


#: Classes ``shallow_copy`` has found plain.
_PLAIN_CLASSES: set = set()


def fast_copy(tracker: Any) -> Any:
    """``tracker.copy()`` without replaying its events: the same state, copied.

    The clone is made as ``init_copy`` makes it, but without slots: ``init_copy`` would copy
    every slot and reset it, only for each to be copied again with its current value.
    """
    from rasa.shared.constants import DEFAULT_SENDER_ID

    clone = type(tracker)(
        tracker.sender_id or DEFAULT_SENDER_ID,
        None,
        tracker._max_event_history,
        is_rule_tracker=tracker.is_rule_tracker,
    )
    clone.slots = {name: shallow_copy(slot) for name, slot in tracker.slots.items()}
    clone.events.extend(tracker.events)
    clone._paused = tracker._paused
    clone.followup_action = tracker.followup_action
    clone.latest_action = dict(tracker.latest_action) if tracker.latest_action else {}
    # A replay sets these to events, or to new empty placeholders (``_reset``) before any.
    events = tracker.events
    clone.latest_message = _event_or(tracker.latest_message, events, clone.latest_message)
    clone.latest_bot_utterance = _event_or(
        tracker.latest_bot_utterance, events, clone.latest_bot_utterance
    )
    loop = tracker.active_loop
    clone.active_loop = dataclasses.replace(loop) if loop is not None else None
    if MARK in tracker.__dict__:  # the same events: known to start as they do
        clone.__dict__[MARK] = tracker.__dict__[MARK]
    return clone


def _copyable(tracker: Any) -> bool:
    """Whether a replay of ``tracker``'s events would reach every one (no NaN timestamp)."""
    if type(tracker.slots) is not dict:
        return False
    entry = _applied.get(tracker.sender_id) if tracker.sender_id else None
    known = _known_prefix(tracker, entry) if entry is not None and entry.replayable else 0
    return _replayable(_tail(tracker.events, known) if known else tracker.events)


def _event_or(value: Any, events: Any, placeholder: Any) -> Any:
    """``value`` if it is one of ``events`` (as a replay sets it), else the new placeholder."""
    for event in reversed(events):
        if event is value:
            return value
    return placeholder


# ---------------------------------------------------------------- local action payloads


def _current_turn(tracker: Any) -> List[Any]:
    """The events from the latest user message on (all of them if there is none)."""
    from rasa.shared.core.events import UserUttered

    events = tracker.events
    for back, event in enumerate(reversed(events)):
        if isinstance(event, UserUttered):
            return list(itertools.islice(events, len(events) - back - 1, None))
    return list(events)


def _local_actions_on() -> bool:
    return registry.is_applied(local_actions.PATCH)


# ---------------------------------------------------------------- install


def install(patching: Patching) -> None:
    """Apply all of the above to Rasa's classes."""
    from rasa.core.actions.action import RemoteAction
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

    _ORIGINALS["applied_events"] = applied_events = DialogueStateTracker.applied_events
    tracker_copy = DialogueStateTracker.copy
    prediction_states = RulePolicy._prediction_states
    call_format = RemoteAction._action_call_format

    def applied_events_incremental(self: DialogueStateTracker) -> List[Any]:
        if not _eligible(self):
            return applied_events(self)
        return list(applied_of(self)[0])

    def copy_without_replay(self: DialogueStateTracker) -> DialogueStateTracker:
        if type(self) is not DialogueStateTracker or not _copyable(self):
            return tracker_copy(self)
        return fast_copy(self)

    def last_prediction_states(
        self: RulePolicy,
        tracker: Any,
        domain: Any,
        use_text_for_last_user_input: bool = False,
        rule_only_data: Optional[Dict[str, Any]] = None,
    ) -> List[Dict]:
        keep = kept_states(self)
        if keep is None or type(self) is not RulePolicy or not _eligible(tracker):
            return prediction_states(
                self, tracker, domain, use_text_for_last_user_input, rule_only_data
            )
        # What MaxHistoryTrackerFeaturizer.prediction_states does after building the states,
        # with RulePolicy's flags (no rule-only turns ignored, no action_unlikely_intent).
        states = tail_states(tracker, domain, keep)
        self.featurizer._choose_last_user_input([states], use_text_for_last_user_input)
        return states

    def action_call_format_short(self: RemoteAction, tracker: Any, domain: Any) -> Dict[str, Any]:
        result = call_format(self, _EventlessTracker(tracker), domain)
        if self.name() in local_actions.LOCAL_ACTIONS and _local_actions_on():
            result["tracker"]["events"] = [event.as_dict() for event in _current_turn(tracker)]
        else:
            result["tracker"]["events"] = [
                event.as_dict() for event in tracker._events_for_verbosity(EventVerbosity.ALL)
            ]
        return result

    # An erasure (bot/privacy) or a new session drops the conversation from the tracker cache:
    # its events must not stay here either.
    tracker_cache.ON_DROP.append(forget)
    patching.on_undo(_forget_all)
    patching.replace(DialogueStateTracker, "applied_events", applied_events_incremental)
    patching.replace(DialogueStateTracker, "copy", copy_without_replay)
    patching.replace(RulePolicy, "_prediction_states", last_prediction_states)
    patching.replace(RemoteAction, "_action_call_format", action_call_format_short)


class _EventlessTracker:
    """A tracker whose ``current_state`` leaves the events out (they are added afterwards)."""

    def __init__(self, tracker: Any) -> None:
        self._tracker = tracker

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tracker, name)

    def current_state(self, event_verbosity: Any = None) -> Dict[str, Any]:
        from rasa.shared.core.trackers import EventVerbosity

        return self._tracker.current_state(EventVerbosity.NONE)


def forget(sender_id: str) -> None:
    """Drop what is remembered of a conversation (its events may hold personal details)."""
    _applied.pop(sender_id, None)
    _states.pop(sender_id, None)


def _forget_all() -> None:
    """Undoing the patch: nothing of any conversation stays here."""
    if forget in tracker_cache.ON_DROP:
        tracker_cache.ON_DROP.remove(forget)
    _applied.clear()
    _states.clear()
    _ORIGINALS.clear()
