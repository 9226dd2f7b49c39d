"""Run the answer action inside the Rasa process instead of over HTTP.

``action_answer`` (actions/answers.py) and ``action_session_start`` (the disclaimer) only read
the conversation and the domain: no database, no network. Sending them to the action server
costs a request with the whole conversation (~50 KiB of JSON) on every question, and while the
action server is down even "what are the side effects?" would fail.

:func:`install` wraps ``EndpointConfig.request`` so that a call for an action in
``LOCAL_ACTIONS`` is answered by the Rasa SDK's own executor in this process, with the very
payload and answer format of the HTTP call; every other action still goes to the action
server. ``LOCAL_ACTIONS=0`` turns it off (bot/settings.py). Applied after the kept-alive
client (``action_client.py``), whose request it wraps.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from bot.rasa_patches.registry import Context, Patching

#: This patch's name (``long-history`` sends these actions shorter payloads while it is applied).
PATCH = "local-answers"
#: Actions that touch nothing but the conversation they are given.
LOCAL_ACTIONS = frozenset({"action_answer", "action_session_start"})

_executor: Optional[Any] = None


def executor() -> Any:
    """The SDK executor with the local actions registered (built once)."""
    global _executor
    if _executor is None:
        from rasa_sdk.executor import ActionExecutor

        from actions.answers import ActionAnswer
        from actions.session_start import ActionSessionStart

        _executor = ActionExecutor()
        _executor.register_action(ActionAnswer)
        _executor.register_action(ActionSessionStart)
    return _executor


async def run_locally(action_call: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The action server's answer to ``action_call``, computed here."""
    return await executor().run(action_call)


def wanted(context: Context) -> bool:
    return context.settings.local_actions


def install(patching: Patching) -> None:
    """Answer local actions in-process."""
    from rasa.utils.endpoints import EndpointConfig

    remote = EndpointConfig.request

    async def request_local_or_remote(
        self: EndpointConfig, method: str = "post", *args: Any, **kwargs: Any
    ) -> Any:
        body = kwargs.get("json")
        if method == "post" and isinstance(body, dict) and body.get("next_action") in LOCAL_ACTIONS:
            return await run_locally(body)
        return await remote(self, method, *args, **kwargs)

    patching.replace(EndpointConfig, "request", request_local_or_remote)
