"""Mentions in channels, direct messages, and follow-ups in threads the bot answered.

A mention or a DM is answered in a thread. A later message in a thread the bot answered needs
no mention: it is a follow-up, answered with the thread's earlier questions as history. The
bot's own record says which threads it answered; when it has none (another replica answered,
or the record is gone) ``conversations.replies`` tells whether the bot spoke in the thread.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_bolt import App

from bot.audience import is_dm
from bot.dedupe import message_key
from bot.deps import BotDeps
from bot.listeners.answering import answer_in_thread, clean_question

if TYPE_CHECKING:
    from slack_bolt import BoltContext
    from slack_sdk import WebClient


log = logging.getLogger(__name__)
# Message subtypes that are people writing; edits, joins and bot posts are not questions.
_HUMAN_SUBTYPES = {None, "thread_broadcast", "file_share"}


def register(app: App, deps: BotDeps) -> None:
    """Attach the mention and message listeners to ``app``.

    The ack functions decide, inline and before Slack gets its response, whether this delivery
    claims the message (``bot.dedupe``); the lazy functions answer only claimed messages. So once
    a delivery has been acknowledged, a duplicate can no longer start a second answer.
    """

    def ack_mention(ack: Any, event: dict[str, Any], context: BoltContext) -> None:
        ack()
        context["accord_claimed"] = _claim(deps, event)

    def ack_message(ack: Any, event: dict[str, Any], context: BoltContext) -> None:
        ack()
        context["accord_claimed"] = is_candidate(event, context.get("bot_user_id")) and _claim(
            deps, event
        )

    def answer_mention(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        if context.get("accord_claimed"):
            _handle(deps, client, context, event, mentioned=True)

    def answer_message(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        if context.get("accord_claimed"):
            _handle(deps, client, context, event, mentioned=event.get("channel_type") == "im")

    app.event("app_mention")(ack=ack_mention, lazy=[answer_mention])
    app.event("message")(ack=ack_message, lazy=[answer_message])


def is_candidate(event: dict[str, Any], bot_user: str | None) -> bool:
    """A message event the message listener may answer: a person writing in a DM, or in a
    thread without mentioning the bot (a mention in a channel is the app_mention's)."""
    if event.get("subtype") not in _HUMAN_SUBTYPES or event.get("bot_id"):
        return False
    if event.get("channel_type") == "im":
        return True
    if bot_user and f"<@{bot_user}>" in (event.get("text") or ""):
        return False
    thread_ts = event.get("thread_ts")
    return bool(thread_ts) and thread_ts != event.get("ts")


def _claim(deps: BotDeps, event: dict[str, Any]) -> bool:
    if not event.get("channel") or not event.get("ts"):
        return False
    if deps.claims.claim(message_key(event.get("channel"), event.get("ts"))):
        return True
    log.info("message %s in %s already being answered", event.get("ts"), event.get("channel"))
    return False


def _handle(
    deps: BotDeps, client: WebClient, context: BoltContext, event: dict[str, Any], mentioned: bool
) -> None:
    channel, ts = str(event.get("channel")), str(event.get("ts"))
    thread_ts = event.get("thread_ts") or ts
    history: list[str] = []
    if thread_ts != ts:
        answered, history = thread_history(deps, client, context, channel, thread_ts, ts)
        if not mentioned and not answered:
            return  # people talking in a thread the bot is not part of
    answer_in_thread(
        client,
        deps,
        channel=channel,
        thread_ts=thread_ts,
        question=clean_question(event.get("text")),
        user=event.get("user"),
        history=history,
        im_event=is_dm(event.get("channel_type")),
    )


def thread_history(
    deps: BotDeps,
    client: WebClient,
    context: BoltContext,
    channel: str,
    thread_ts: str,
    before_ts: str,
) -> tuple[bool, list[str]]:
    """Whether the bot answered in this thread, and the questions asked there before this one.

    Returns (False, []) when the thread cannot be read; a follow-up is then left unanswered
    rather than answered without its context.
    """
    asked = deps.feedback.thread_questions(channel, thread_ts)
    if asked:
        return True, asked
    try:
        resp = client.conversations_replies(channel=channel, ts=thread_ts, limit=100)
    except Exception:
        log.warning("could not read thread %s in %s", thread_ts, channel, exc_info=True)
        return False, []
    bot_user, bot_id = context.get("bot_user_id"), context.get("bot_id")
    answered = False
    history: list[str] = []
    for msg in resp.get("messages") or []:
        from_bot = (bot_user and msg.get("user") == bot_user) or (
            bot_id and msg.get("bot_id") == bot_id
        )
        if from_bot:
            answered = True
        elif float(msg.get("ts", "0")) < float(before_ts):
            q = clean_question(msg.get("text"))
            if q:
                history.append(q)
    return answered, history
