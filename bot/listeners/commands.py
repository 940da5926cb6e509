"""The ``/accord`` slash command: a private answer with a share button, or an admin re-index.

``/accord QUESTION`` is acknowledged at once with a "looking" note (shown only to the asker);
the answer follows through the command's response_url, also ephemeral, with a "Share in channel"
button. ``/accord reindex`` syncs the index with the documents folder, for the user ids in
``ACCORD_ADMIN_USERS`` only; the summary is posted in the channel when the sync ends.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, cast

from slack_bolt import App

from accord.access.audit import Origin
from accord.errors import BadQuestion, EmptyIndex, IndexNeedsResync
from bot.blocks import (
    PLACEHOLDER_TEXT,
    apology_text,
    escape_mrkdwn,
    fallback_text,
    notice_text,
    reindex_summary_text,
    render_answer,
)
from bot.deps import BotDeps
from bot.listeners.answering import clean_question, new_error_id

if TYPE_CHECKING:
    from slack_bolt import Respond
    from slack_sdk import WebClient


log = logging.getLogger(__name__)
COMMAND = "/accord"
HELP_TEXT = (
    "Ask me about the cooperation documents: `/accord When was the MoU signed?` answers "
    "privately, with sources and a button to share the answer. Mention me in a channel or "
    "write to me directly to get an answer in a thread."
)
REFUSE_REINDEX = (
    "Sorry, re-indexing is limited to Accord's administrators. If the documents "
    "look out of date, please ask one of them to run `/accord reindex`."
)
ALREADY_RUNNING = "A re-index is already running; I'll post its summary when it ends."


def register(app: App, deps: BotDeps) -> None:
    """Attach the ``/accord`` command listener to ``app``."""

    def ack_command(ack: Any, command: dict[str, Any]) -> None:
        text = (command.get("text") or "").strip()
        if not text or text.lower() == "help":
            ack(text=HELP_TEXT, response_type="ephemeral")
        elif text.lower() == "reindex":
            ack(text=_reindex_ack(deps, command.get("user_id")), response_type="ephemeral")
        else:
            ack(
                text=f"{PLACEHOLDER_TEXT}\n_{escape_mrkdwn(clean_question(text)[:500])}_",
                response_type="ephemeral",
            )

    def run_command(command: dict[str, Any], client: WebClient, respond: Respond) -> None:
        text = (command.get("text") or "").strip()
        if not text or text.lower() == "help":
            return
        if text.lower() == "reindex":
            if deps.is_admin(command.get("user_id")):
                run_reindex(deps, client, respond, command)
            return
        if text.lower().startswith("timeline "):
            timeline_privately(deps, respond, command, text[len("timeline ") :])
            return
        answer_privately(deps, respond, command)

    app.command(COMMAND)(ack=ack_command, lazy=[run_command])


def _reindex_ack(deps: BotDeps, user: str | None) -> str:
    if not deps.is_admin(user):
        log.info("re-index refused for non-admin %s", user)
        return REFUSE_REINDEX
    if deps.reindex is None or deps.docs_dir is None:
        return (
            "Re-indexing from Slack is not set up here: the documents folder "
            "(ACCORD_DOCS_DIR) is not configured."
        )
    if deps.reindex_lock.locked():
        return ALREADY_RUNNING
    return (
        f"Re-indexing `{escape_mrkdwn(deps.docs_dir.name)}` started. I'll post the "
        "summary here when it ends."
    )


def answer_privately(deps: BotDeps, respond: Respond, command: dict[str, Any]) -> None:
    """Answer a slash-command question through its response_url, ephemerally, for the asker's
    own audience (only the asker sees it; Share re-checks it against the channel). Never
    raises."""
    question = clean_question(command.get("text"))
    user, channel = command.get("user_id"), command.get("channel_id")
    try:
        mine = deps.audiences.reading(user, channel, private=True).audience
        ans = deps.qa.answer(question, audience=mine, origin=Origin("slack", user, channel))
        answer_id = deps.feedback.record_answer(
            ans, command.get("user_id"), command.get("channel_id"), None
        )
        text = fallback_text(ans)
        for page in render_answer(ans, answer_id, share=True):
            respond(text=text, blocks=page, response_type="ephemeral", replace_original=False)
    except (BadQuestion, EmptyIndex, IndexNeedsResync) as exc:
        respond(text=notice_text(exc.message), response_type="ephemeral")
    except Exception:
        error_id = new_error_id()
        log.exception(
            "failed to answer /accord for %s (error id %s)", command.get("user_id"), error_id
        )
        try:
            respond(text=apology_text(error_id), response_type="ephemeral")
        except Exception:
            log.exception("could not send the apology for error id %s", error_id)


def timeline_privately(
    deps: BotDeps, respond: Respond, command: dict[str, Any], topic: str
) -> None:
    """``/accord timeline TOPIC``: dated entries with their sources, for the asker. Never
    raises."""
    from accord.answer.timeline import timeline

    user = command.get("user_id")
    try:
        mine = deps.audiences.reading(user, private=True).audience
        entries, undated = timeline(deps.qa, clean_question(topic), mine)
        if not entries:
            respond(text="No dated documents on that topic.", response_type="ephemeral")
            return
        lines = [
            f"*{e.date}* {escape_mrkdwn(' '.join(e.citation.quote.split())[:300])} [{e.citation.n}]"
            for e in entries
        ]
        lines += ["", "*Sources*"] + [
            f"[{e.citation.n}] {escape_mrkdwn(e.citation.title)} \u00b7 "
            f"_{escape_mrkdwn(e.citation.source)}_"
            for e in entries
        ]
        if undated:
            lines.append(f"_{undated} undated document(s) left out_")
        text = "\n".join(lines)
        for i in range(0, len(text), 2900):  # Slack's section text limit
            respond(text=text[i : i + 2900], response_type="ephemeral", replace_original=False)
    except Exception:
        error_id = new_error_id()
        log.exception("timeline failed for %s (error id %s)", user, error_id)
        respond(text=apology_text(error_id), response_type="ephemeral")


def run_reindex(
    deps: BotDeps, client: WebClient, respond: Respond, command: dict[str, Any]
) -> None:
    """Sync the index with the documents folder and post the summary. Never raises."""
    if deps.reindex is None or deps.docs_dir is None:
        return
    if not deps.reindex_lock.acquire(blocking=False):
        respond(text=ALREADY_RUNNING, response_type="ephemeral")
        return
    channel = command.get("channel_id")
    try:
        log.info("re-index of %s requested by %s", deps.docs_dir, command.get("user_id"))
        result = deps.reindex(deps.docs_dir)
        failures = [(f.source, f.reason) for f in getattr(result, "failed", [])]
        text = reindex_summary_text(result.summary(), failures)
    except Exception as exc:
        error_id = new_error_id()
        log.exception("re-index of %s failed (error id %s)", deps.docs_dir, error_id)
        reason = getattr(exc, "message", None)
        text = (
            f":warning: Re-index failed: {escape_mrkdwn(reason)} (error id `{error_id}`)"
            if reason
            else apology_text(error_id)
        )
    finally:
        deps.reindex_lock.release()
    _post_summary(client, respond, channel, command.get("user_id"), text)


def _post_summary(
    client: WebClient, respond: Respond, channel: str | None, user: str | None, text: str
) -> None:
    try:
        # (no channel fails at the API, and the summary goes through respond)
        client.chat_postMessage(channel=cast(str, channel), text=text)
        return
    except Exception:
        log.warning(
            "could not post the re-index summary in %s; replying privately", channel, exc_info=True
        )
    try:
        respond(text=text, response_type="ephemeral")
    except Exception:
        log.exception("could not deliver the re-index summary to %s", user)
