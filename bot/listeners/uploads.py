"""Files shared with the bot in a direct message: an admin's become documents, after a look.

An admin sends a file to the bot in a DM. The bot fetches it (``bot.uploads``), shows in the
DM's thread the name it will be filed under, its marking and why, with "Add and index" and
"Cancel" buttons. "Add and index" files it in the documents folder, runs the folder's sync (the
same job as ``/accord reindex``) and posts the result; "Cancel" deletes the held copy. A file
that cannot be used is reported by name with the reason. Anyone else is told who can add
documents. Files in channels are not documents and are left alone.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from slack_bolt import App

from accord.access.audiences import can_see
from accord.access.marking_search import Evidence
from accord.errors import DocumentError
from accord.models import Document
from bot import uploads
from bot.audience import is_dm
from bot.blocks import apology_text, escape_mrkdwn, reindex_summary_text, section
from bot.dedupe import message_key
from bot.deps import BotDeps
from bot.listeners.answering import new_error_id

if TYPE_CHECKING:
    from slack_bolt import BoltContext, Respond
    from slack_sdk import WebClient


log = logging.getLogger(__name__)
CONFIRM_ACTION = "accord_upload_confirm"
CANCEL_ACTION = "accord_upload_cancel"
NOT_SET_UP = (
    "Adding documents from Slack is not set up here: the documents folder "
    "(ACCORD_DOCS_DIR) is not configured."
)


def is_upload(event: dict[str, Any]) -> bool:
    """A person sharing one or more files with the bot in a DM."""
    return (
        event.get("type") == "message"
        and bool(event.get("files"))
        and event.get("subtype") in (None, "file_share")
        and not event.get("bot_id")
        and is_dm(event.get("channel_type"))
    )


def register(app: App, deps: BotDeps) -> None:
    """Attach the upload listeners to ``app``. Register before ``messages``: a DM carrying files
    is an upload, not a question."""

    def upload_matcher(body: dict[str, Any]) -> bool:
        return is_upload(body.get("event") or {})

    def ack_upload(ack: Any, event: dict[str, Any], context: BoltContext) -> None:
        ack()
        context["accord_claimed"] = bool(event.get("ts")) and deps.claims.claim(
            message_key(event.get("channel"), event.get("ts"))
        )

    def take_upload(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        if context.get("accord_claimed"):
            handle_upload(deps, client, event)

    def ack_action(ack: Any) -> None:
        ack()

    def confirm(
        body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        finish_upload(deps, body, action, client, respond, add=True)

    def cancel(
        body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        finish_upload(deps, body, action, client, respond, add=False)

    app.event("message", matchers=[upload_matcher])(ack=ack_upload, lazy=[take_upload])
    app.action(CONFIRM_ACTION)(ack=ack_action, lazy=[confirm])
    app.action(CANCEL_ACTION)(ack=ack_action, lazy=[cancel])


def who_can_add(deps: BotDeps) -> str:
    admins = sorted(deps.settings.admin_user_ids)
    if not admins:
        return (
            "Only Accord's administrators can add documents, and none is set up "
            "(ACCORD_ADMIN_USERS). Please ask whoever runs Accord."
        )
    names = ", ".join(f"<@{a}>" for a in admins)
    return (
        f"Only Accord's administrators can add documents: {names}. Please send the file "
        "to one of them."
    )


def handle_upload(deps: BotDeps, client: WebClient, event: dict[str, Any]) -> None:
    """Refuse a non-admin, or fetch, hold and show each file for confirmation. Never raises."""
    channel, ts, user = str(event.get("channel")), str(event.get("ts")), event.get("user")

    def say(text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        client.chat_postMessage(
            channel=channel, thread_ts=ts, text=text, blocks=blocks or [section(text)]
        )

    try:
        if not deps.is_admin(user):
            log.info("upload from non-admin %s refused", user)
            say(who_can_add(deps))
            return
        if deps.reindex is None or deps.docs_dir is None:
            say(NOT_SET_UP)
            return
        for f in event.get("files") or []:
            _offer(deps, client, say, f)
    except Exception:
        error_id = new_error_id()
        log.exception("upload from %s in %s failed (error id %s)", user, channel, error_id)
        try:
            say(apology_text(error_id))
        except Exception:
            log.exception("could not post the apology for error id %s", error_id)


def _offer(
    deps: BotDeps, client: WebClient, say: Callable[..., None], file: dict[str, Any]
) -> None:
    """Fetch one file, hold it and ask for confirmation; a bad file is reported by name."""
    assert deps.docs_dir is not None
    file_id = str(file.get("id") or "")
    try:
        fetched = uploads.fetch(client, file_id, deps.settings.max_file_mb)
        staged = uploads.stage(deps.docs_dir, fetched)
        if staged.same_as:
            say(
                f":information_source: `{escape_mrkdwn(staged.same_as)}` is already in the "
                "documents folder with the same content: nothing to add."
            )
            return
        try:
            doc = uploads.read_marking(deps.docs_dir, staged, deps.settings.rules())
        except Exception:
            uploads.discard(deps.docs_dir, str(staged.pending))
            raise
    except DocumentError as exc:
        name = exc.path if exc.path != file_id else str(file.get("name") or file_id)
        log.info("upload %s refused: %s", name, exc.reason)
        say(f":x: `{escape_mrkdwn(name)}` cannot be added: {escape_mrkdwn(exc.reason)}")
        return
    text, blocks = confirm_blocks(staged, doc, len(fetched.data))
    say(text, blocks)


def confirm_blocks(
    staged: uploads.Staged, doc: Document, size: int
) -> tuple[str, list[dict[str, Any]]]:
    """The message asking the admin to confirm: name, marking and why, buttons."""
    final = escape_mrkdwn(staged.final_name)
    marking = " ".join([doc.marking, *doc.caveats])
    lines = [f":page_facing_up: *{final}* ({size / 1024:.1f} KB) is ready to add to the documents."]
    if staged.final_name != staged.name:
        lines.append(
            f":warning: A different file named `{escape_mrkdwn(staged.name)}` is "
            f"already in the documents folder, so this one will be added as `{final}` "
            "(nothing is overwritten)."
        )
    lines.append(f"*Marking:* {escape_mrkdwn(marking)}")
    for ev in doc.marking_evidence[:6]:
        lines.append(f"\u2022 {escape_mrkdwn(Evidence(**ev).describe())}")
    if any(ev.get("problem") for ev in doc.marking_evidence):
        lines.append(
            ":warning: A marking line could not be mapped, so the document is placed "
            "at the top of the ladder. Fix the line or add a sidecar if that is wrong."
        )
    lines.append(
        f"*Title:* {escape_mrkdwn(doc.title)} \u00b7 *Type:* {doc.doc_type} \u00b7 "
        f"*Date:* {doc.date or 'none found'}"
    )
    lines.append(
        "Only audiences cleared for this marking will see it in answers. Add it and index it now?"
    )
    value = json.dumps(
        {
            "p": staged.pending,
            "n": staged.final_name,
            "o": staged.name,
            "m": marking,
            "k": doc.marking,
            "c": list(doc.caveats),
        }
    )
    text = "\n".join(lines)
    blocks = [
        section(text[:3000]),
        {
            "type": "actions",
            "block_id": "accord_upload",
            "elements": [
                {
                    "type": "button",
                    "action_id": CONFIRM_ACTION,
                    "style": "primary",
                    "value": value,
                    "text": {"type": "plain_text", "text": "Add and index"},
                },
                {
                    "type": "button",
                    "action_id": CANCEL_ACTION,
                    "value": value,
                    "text": {"type": "plain_text", "text": "Cancel"},
                },
            ],
        },
    ]
    return f"{final}: marked {escape_mrkdwn(marking)}. Add and index it?", blocks


def finish_upload(
    deps: BotDeps,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    add: bool,
) -> None:
    """Add-and-index or cancel a held upload, once, and say what happened. Never raises."""
    user = (body.get("user") or {}).get("id")
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    msg_ts = container.get("message_ts")
    poster: WebClient | _Private = client
    thread_ts = container.get("thread_ts") or msg_ts
    try:
        value = json.loads(action.get("value") or "{}")
        pending, name, marking = str(value["p"]), str(value["n"]), str(value.get("m", ""))
        uploaded = str(value.get("o") or name)
        # without the marking alone (an older button), the whole string: an unknown marking
        # ranks at the top of the ladder
        level, caveats = str(value.get("k") or marking), [str(c) for c in value.get("c") or []]
    except (ValueError, KeyError, TypeError):
        log.warning("upload action with a bad value from %s", user)
        return
    try:
        if not deps.is_admin(user):
            respond(text=who_can_add(deps), response_type="ephemeral", replace_original=False)
            return
        if deps.reindex is None or deps.docs_dir is None:
            respond(text=NOT_SET_UP, response_type="ephemeral", replace_original=False)
            return
        if not deps.claims.claim(f"upload:{pending}"):
            return  # a second click, or another replica has it
        reading = deps.audiences.reading(user, channel)
        if not can_see(deps.settings.rules(), reading.audience, level, caveats):
            # the results name the document and its marking: the uploader alone sees them
            log.info(
                "upload results for %s kept private: %s in %s (%s)",
                user,
                marking,
                channel,
                reading.audience.reason,
            )
            poster = _Private(respond)
            channel = msg_ts = thread_ts = None
        if not add:
            uploads.discard(deps.docs_dir, pending)
            _update(poster, channel, msg_ts, f"Cancelled: `{escape_mrkdwn(name)}` was not added.")
            return
        try:
            filed = uploads.commit(deps.docs_dir, pending, name, uploaded)
        except DocumentError as exc:
            _update(
                poster, channel, msg_ts, f"`{escape_mrkdwn(name)}`: {escape_mrkdwn(exc.reason)}"
            )
            return
        _update(
            poster,
            channel,
            msg_ts,
            f":hourglass_flowing_sand: `{escape_mrkdwn(filed)}` "
            f"(marked {escape_mrkdwn(marking)}) is in the documents folder; indexing it\u2026",
        )
        text = _index(deps, filed, marking, user)
        poster.chat_postMessage(
            channel=cast(str, channel),
            thread_ts=thread_ts,
            text=text,
            blocks=[section(text[:3000])],
        )
        _update(
            poster,
            channel,
            msg_ts,
            f"Added `{escape_mrkdwn(filed)}` (marked {escape_mrkdwn(marking)}).",
        )
    except Exception:
        error_id = new_error_id()
        log.exception("upload action by %s failed (error id %s)", user, error_id)
        try:
            respond(text=apology_text(error_id), response_type="ephemeral", replace_original=False)
        except Exception:
            log.exception("could not send the apology for error id %s", error_id)


def _index(deps: BotDeps, filed: str, marking: str, user: str | None) -> str:
    """Run the folder's sync (waiting for one already running) and describe the result."""
    assert deps.reindex is not None and deps.docs_dir is not None
    log.info("indexing %s uploaded by %s", filed, user)
    with deps.reindex_lock:
        try:
            result = deps.reindex(deps.docs_dir)
        except Exception as exc:
            error_id = new_error_id()
            log.exception("indexing %s failed (error id %s)", filed, error_id)
            reason = getattr(exc, "message", None)
            return (
                f":warning: `{escape_mrkdwn(filed)}` is in the documents folder but the "
                f"index could not be updated: {escape_mrkdwn(reason)} (error id "
                f"`{error_id}`)"
                if reason
                else apology_text(error_id)
            )
    failures = [(f.source, f.reason) for f in getattr(result, "failed", [])]
    mine = dict(failures).get(filed)
    head = (
        f":warning: `{escape_mrkdwn(filed)}` is in the documents folder but could not be "
        f"indexed: {escape_mrkdwn(mine)}"
        if mine
        else f":white_check_mark: `{escape_mrkdwn(filed)}` is indexed, marked "
        f"{escape_mrkdwn(marking)}. Ask me about it."
    )
    return head + "\n" + reindex_summary_text(result.summary(), failures)


def _update(client: WebClient | _Private, channel: str | None, ts: str | None, text: str) -> None:
    """Replace the confirmation message (and its buttons) with ``text`` (``channel`` and ``ts``
    are None only when ``client`` is the uploader's private channel)."""
    client.chat_update(
        channel=cast(str, channel), ts=cast(str, ts), text=text, blocks=[section(text)]
    )


class _Private:
    """Stands where the Web API client would post: sends each message to the uploader alone
    (the action's ``response_url``, ephemeral)."""

    def __init__(self, respond: Respond) -> None:
        self.respond = respond

    def chat_postMessage(self, text: str, blocks: Any = None, **_: Any) -> None:  # noqa: N802
        self.respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)

    def chat_update(self, text: str, blocks: Any = None, **_: Any) -> None:  # noqa: N802
        self.respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)
