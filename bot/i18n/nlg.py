"""Responses in the patient's language: Rasa's response generator, once per language.

``endpoints.yml`` names :class:`LocalisedNLG` as the ``nlg`` endpoint. It keeps one Rasa
``TemplatedNaturalLanguageGenerator`` per language and picks the one of the conversation's
``language`` slot. A translated response is the English one (domain.yml) with the text and the
button titles of ``bot/locales/<code>/responses.yml``: payloads, conditions and
``metadata.source`` stay those of English, so the grounding test that checks the English
answers against the article covers every language, and a response a translation lacks is sent
in English rather than not at all.

We chose one model with a ``language`` slot over one model per language behind a router
(docs/languages.md has the measurements): one process, one tracker, and a language switch keeps
the form's answers for free.
"""

from __future__ import annotations

import copy
import logging
from typing import Any, Dict, List, Optional

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from bot.i18n import locales
from bot.i18n.conversation import conversation_language

logger = logging.getLogger(__name__)

Responses = Dict[str, List[Dict[str, Any]]]


def translated(english: Responses, translation: Responses) -> Responses:
    """``english`` with the texts and button titles of ``translation`` laid over it.

    A variation is replaced only where the translation has one at the same position; buttons
    keep their payloads and take the translated titles in order.
    """
    result: Responses = copy.deepcopy(english)
    for name, variations in result.items():
        for index, variation in enumerate(variations):
            try:
                local = translation[name][index]
            except (KeyError, IndexError, TypeError):
                continue
            if local.get("text"):
                variation["text"] = local["text"]
            titles = local.get("buttons") or []
            for button, title in zip(variation.get("buttons") or [], titles):
                button["title"] = title
    return result


def localised_responses(english: Responses) -> Dict[str, Responses]:
    """Language code -> the full set of responses in that language."""
    return {
        language: english
        if language == locales.DEFAULT_LANGUAGE
        else translated(english, locales.responses(language))
        for language in locales.languages()
    }


class LocalisedNLG(TemplatedNaturalLanguageGenerator):
    """Rasa's templated responses, in the language of the conversation.

    A subclass of Rasa's generator because Rasa creates the generator before it has loaded the
    model's domain and then sets ``responses`` only on that class: setting them here builds
    the generator of every language.
    """

    def __init__(self, endpoint_config: Any = None, domain: Optional[Domain] = None) -> None:
        super().__init__(dict(domain.responses) if domain is not None else {})

    @property
    def responses(self) -> Responses:
        return self._responses

    @responses.setter
    def responses(self, english: Responses) -> None:
        self._responses = english
        self.generators = {
            language: TemplatedNaturalLanguageGenerator(responses)
            for language, responses in localised_responses(dict(english or {})).items()
        }

    async def generate(
        self,
        utter_action: str,
        tracker: DialogueStateTracker,
        output_channel: str,
        **kwargs: Any,
    ) -> Optional[Dict[str, Any]]:
        generator = self.generators[conversation_language(tracker)]
        return await generator.generate(utter_action, tracker, output_channel, **kwargs)
