"""Look up the rules that can apply to a conversation state by its last action first.

For every prediction Rasa's ``RulePolicy._get_possible_keys`` tests each learnt rule (about
160 here) against the latest state, and most are rejected there because their last state
follows another action (a sixth of the CPU per message in a profile). A rule whose last state
names a previous ``action_name`` can only pass that first test when the conversation's
previous action has the same name, so the rules are indexed by it once per lookup table: the
first test is made, by Rasa's own ``_is_rule_applicable``, on that bucket and on the rules
that name no action. The earlier states are then tested as Rasa does; the keys found are the
same set.
"""

from __future__ import annotations

from typing import Any, Dict, List, Set, Tuple

from bot.rasa_patches.registry import Patching

#: Index of one lookup table: (the rules by previous action name, the rules naming none).
Index = Tuple[Dict[str, List[str]], List[str]]


def build_index(lookup: Dict[str, Any], rule_states: Any) -> Index:
    """Bucket each rule key of ``lookup`` by the ``action_name`` of its last state's previous
    action (``rule_states(key)``: Rasa's decoded states, oldest first)."""
    from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET
    from rasa.shared.nlu.constants import ACTION_NAME

    by_action: Dict[str, List[str]] = {}
    unnamed: List[str] = []
    for key in lookup:
        states = rule_states(key)
        previous = (states[-1].get(PREVIOUS_ACTION) or {}) if states else {}
        name = previous.get(ACTION_NAME)
        if isinstance(name, str) and name and name != SHOULD_NOT_BE_SET:
            by_action.setdefault(name, []).append(key)
        else:
            unnamed.append(key)
    return by_action, unnamed


def install(patching: Patching) -> None:
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.shared.core.constants import PREVIOUS_ACTION
    from rasa.shared.nlu.constants import ACTION_NAME

    possible_keys = RulePolicy._get_possible_keys
    #: id(lookup table) -> (the table, its size, its index); a table that changed is indexed
    #: again (the loaded tables do not change).
    indexes: Dict[int, Tuple[Dict[str, Any], int, Index]] = {}

    def get_possible_keys_indexed(
        self: Any, lookup: Dict[str, Any], states: List[Dict[str, Any]]
    ) -> Set[str]:
        if not states:
            return possible_keys(self, lookup, states)
        kept = indexes.get(id(lookup))
        if kept is None or kept[0] is not lookup or kept[1] != len(lookup):
            kept = (lookup, len(lookup), build_index(lookup, self._rule_key_to_state))
            indexes[id(lookup)] = kept
        by_action, unnamed = kept[2]
        latest = states[-1]
        name = (latest.get(PREVIOUS_ACTION) or {}).get(ACTION_NAME)
        candidates = [*by_action.get(name, ()), *unnamed] if isinstance(name, str) else unnamed
        keys = {key for key in candidates if self._is_rule_applicable(key, 0, latest)}
        for i, state in enumerate(reversed(states[:-1]), start=1):
            keys = {key for key in keys if self._is_rule_applicable(key, i, state)}
        return keys

    patching.replace(RulePolicy, "_get_possible_keys", get_possible_keys_indexed)
