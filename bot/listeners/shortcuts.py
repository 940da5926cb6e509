"""The message shortcut "Ask Accord about this": a message's text becomes the question.

Where the answer goes follows ``bot.audience``. In a conversation whose audience Slack
establishes (it describes the conversation and lists its members) the answer is posted in the
message's thread for everyone there: the lowest of the channel's entry and its members'
clearances (the asker's own in the bot's DM). Where it cannot (the bot is not a member: Slack
will not describe it), or nothing can be posted there, the answer is shown to the asker alone
through the shortcut's ``response_url``, for the asker's own audience, like ``/accord``. Either
way ``qa.answer`` leaves its audit record.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_bolt import App

from bot.blocks import escape_mrkdwn
from bot.deps import BotDeps
from bot.listeners.answering import answer_in_thread, clean_question
from bot.listeners.commands import answer_privately

if TYPE_CHECKING:
    from slack_bolt import Respond
    from slack_sdk import WebClient


log = logging.getLogger(__name__)
# The callback id of the shortcut in bot/manifest.yml.
ASK_SHORTCUT = "accord_ask_about_message"
NO_TEXT = (
    "That message has no text to ask about. Use the shortcut on a message with a "
    "question in it, or ask with `/accord`."
)


def register(app: App, deps: BotDeps) -> None:
    """Attach the "Ask Accord about this" message shortcut to ``app``."""

    def ack_shortcut(ack: Any) -> None:
        ack()

    def answer_shortcut(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        answer_about_message(deps, body, client, respond)

    app.message_shortcut(ASK_SHORTCUT)(ack=ack_shortcut, lazy=[answer_shortcut])


def answer_about_message(
    deps: BotDeps, body: dict[str, Any], client: WebClient, respond: Respond
) -> None:
    """Answer the shortcut's message text in its thread or privately (see the module
    docstring). Never raises."""
    user = (body.get("user") or {}).get("id")
    channel = (body.get("channel") or {}).get("id")
    message = body.get("message") or {}
    question = clean_question(message.get("text"))
    try:
        if not question:
            respond(text=NO_TEXT, response_type="ephemeral", replace_original=False)
            return
        if channel and deps.audiences.reading(user, channel).established:
            ts = str(message.get("ts") or body.get("message_ts") or "")
            header = f"<@{user}> asked about this message: _{escape_mrkdwn(question[:300])}_"
            if ts and answer_in_thread(
                client,
                deps,
                channel=channel,
                thread_ts=message.get("thread_ts") or ts,
                question=question,
                user=user,
                header=header,
            ):
                return
            # nothing could be posted there (the bot is not in the channel): privately instead
        log.info("shortcut from %s in %s answered privately", user, channel)
        answer_privately(deps, respond, {"text": question, "user_id": user, "channel_id": channel})
    except Exception:
        log.exception("the shortcut from %s in %s failed", user, channel)
