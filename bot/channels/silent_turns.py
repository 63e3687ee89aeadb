"""A turn that ends in silence gets an honest answer instead.

Rasa swallows a failed custom action — the action server down or timing out, an action that crashed:
it logs the error, drops the action's events and waits for the next message, so the customer hears
nothing (and the REST channel answers 200 with no messages). Every turn of this assistant says
something, except while an agent has the conversation (Rasa's pause). So when a turn sent no bot
message and the conversation is not paused, the channel tells the customer that the system cannot
answer right now and gives the hotline (kb/replies.yml `bot_unavailable`).

The conversation must also work again once the action server is back. When every action fails, the
rules keep predicting `action_default_fallback` (a custom action too) until Rasa's circuit breaker
stops the turn — without logging `action_listen`, so on every later message Rasa counts those actions
again, trips at once and never answers that conversation again. The guard registers Rasa's
`on_circuit_break` hook to log the missing `action_listen`, which ends the broken turn properly.
"""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Optional, Text

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted
from sanic import Blueprint

from bot import runtime

log = logging.getLogger(__name__)


class CountingOutput(OutputChannel):
    """The channel's own output channel, counting what the bot sends in one turn (every way of
    sending is passed on to the channel's own, which may implement any of them)."""

    def __init__(self, inner: OutputChannel) -> None:
        self.inner = inner
        self.sent = 0

    def name(self) -> Text:  # type: ignore[override]  # the channel's name picks channel-specific responses
        return self.inner.name()

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        self.sent += 1
        await self.inner.send_response(recipient_id, message)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        self.sent += 1
        await self.inner.send_text_message(recipient_id, text, **kwargs)

    async def send_text_with_buttons(self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]],
                                     **kwargs: Any) -> None:
        self.sent += 1
        await self.inner.send_text_with_buttons(recipient_id, text, buttons, **kwargs)

    async def send_quick_replies(self, recipient_id: Text, text: Text, quick_replies: List[Dict[Text, Any]],
                                 **kwargs: Any) -> None:
        self.sent += 1
        await self.inner.send_quick_replies(recipient_id, text, quick_replies, **kwargs)

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        self.sent += 1
        await self.inner.send_image_url(recipient_id, image, **kwargs)

    async def send_attachment(self, recipient_id: Text, attachment: Text, **kwargs: Any) -> None:
        self.sent += 1
        await self.inner.send_attachment(recipient_id, attachment, **kwargs)

    async def send_elements(self, recipient_id: Text, elements: Iterable[Dict[Text, Any]], **kwargs: Any) -> None:
        self.sent += 1
        await self.inner.send_elements(recipient_id, elements, **kwargs)

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        self.sent += 1
        await self.inner.send_custom_json(recipient_id, json_message, **kwargs)


def unavailable_text() -> str:
    kb = runtime.kb()
    return kb.replies.render("bot_unavailable", hotline=kb.service.hotline, hours=kb.service.hotline_hours)


def listen_again(tracker: Any, output_channel: Any, nlg: Any) -> None:
    """Rasa's `on_circuit_break` hook: the broken turn ends waiting for the customer, as every turn must."""
    tracker.update(ActionExecuted(ACTION_LISTEN_NAME))


class SilentTurnGuard:
    """Wraps a channel's `on_new_message`; `watch` its blueprint so the guard can find Rasa's agent.

    `answer_silence=False` for a channel that answers a silent turn itself (SMS, in its own words).
    """

    def __init__(self, *, answer_silence: bool = True) -> None:
        self.app: Any = None
        self.answer_silence = answer_silence

    def watch(self, blueprint: Blueprint) -> Blueprint:
        @blueprint.listener("after_server_start")
        async def remember_app(app: Any, loop: Any) -> None:
            self.app = app

        return blueprint

    def wrap(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Callable[[UserMessage], Awaitable[None]]:
        async def handle(message: UserMessage) -> None:
            self._hook_circuit_breaker()
            if not self.answer_silence:
                await on_new_message(message)
                return
            output = CountingOutput(message.output_channel)
            message.output_channel = output
            try:
                await on_new_message(message)
            except Exception:  # Rasa's channels would log it and answer nothing
                log.exception("the bot failed on a message")
            if output.sent == 0 and not await self.paused(message.sender_id):
                log.warning("a turn ended without a reply (action server down?); the customer is told so")
                await output.inner.send_text_message(message.sender_id, unavailable_text())

        return handle

    def _agent(self) -> Any:
        return getattr(getattr(self.app, "ctx", None), "agent", None)

    def _hook_circuit_breaker(self) -> None:
        # Checked on every message: loading another model replaces the agent's processor.
        processor = getattr(self._agent(), "processor", None)
        if processor is not None and getattr(processor, "on_circuit_break", None) is None:
            processor.on_circuit_break = listen_again

    async def paused(self, sender_id: Optional[Text]) -> bool:
        """True while an agent has the conversation (the bot is meant to be quiet)."""
        tracker_store = getattr(self._agent(), "tracker_store", None)
        if tracker_store is None or sender_id is None:
            return False
        try:
            tracker = await tracker_store.retrieve(sender_id)
        except Exception:  # the tracker store is down too: the honest answer is still the right one
            log.exception("could not tell whether the conversation is paused")
            return False
        return tracker is not None and tracker.is_paused()
