"""Answering one question in a Slack thread: placeholder, answer, replace, record, or apologise.

Runs on a worker thread (a lazy listener), never in the request that Slack waits on. Any
failure ends in a short apology with an error id in the thread; the log has the trace under the
same id.
"""

from __future__ import annotations

import html
import logging
import re
import uuid
from typing import Any

from accord.audit import Origin
from accord.errors import BadQuestion, EmptyIndex, IndexNeedsResync
from bot.blocks import (
    PLACEHOLDER_TEXT,
    apology_text,
    fallback_text,
    notice_text,
    placeholder_blocks,
    render_answer,
    section,
)
from bot.deps import BotDeps

log = logging.getLogger(__name__)

_USER_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
_LINK = re.compile(r"<([^<>|]+)\|([^<>]+)>")
_BARE = re.compile(r"<([^<>|]+)>")


def clean_question(text: str | None) -> str:
    """The question as the officer typed it: mentions removed, links and escapes undone."""
    if not text:
        return ""
    text = _USER_MENTION.sub(" ", text)
    text = _LINK.sub(lambda m: m.group(2), text)
    text = _BARE.sub(lambda m: m.group(1).lstrip("#@!"), text)
    return " ".join(html.unescape(text).split())


def new_error_id() -> str:
    return uuid.uuid4().hex[:10]


def answer_in_thread(client: Any, deps: BotDeps, *, channel: str, thread_ts: str,
                     question: str, user: str | None, history: list[str] | None = None,
                     dm: bool = False, header: str | None = None) -> bool:
    """Post a placeholder in the thread, answer ``question`` for everyone in the conversation
    (the channel's audience, never more than the asker's; the asker's own in a DM), and replace
    the placeholder. ``header`` (mrkdwn) heads the answer, e.g. who asked about a message.

    Never raises: problems are shown in the thread (a notice for an unusable question or an
    empty index, an apology with an error id for anything else). Returns False when nothing
    could be posted in the thread (e.g. the bot is not in the channel), else True.
    """
    placeholder_ts: str | None = None
    try:
        resp = client.chat_postMessage(channel=channel, thread_ts=thread_ts,
                                       text=PLACEHOLDER_TEXT, blocks=placeholder_blocks())
        placeholder_ts = resp["ts"]
        audience = deps.audiences.for_thread(channel, user, dm)
        try:
            ans = deps.qa.answer(question, history=history or None, audience=audience,
                                 origin=Origin("slack", user, channel))
        except (BadQuestion, EmptyIndex, IndexNeedsResync) as exc:
            log.info("not answered (%s): %s", exc.code, exc.message)
            _replace(client, channel, thread_ts, placeholder_ts, notice_text(exc.message))
            return True
        answer_id = deps.feedback.record_answer(ans, user, channel, thread_ts, placeholder_ts)
        pages = render_answer(ans, answer_id, header=header)
        text = fallback_text(ans)
        client.chat_update(channel=channel, ts=placeholder_ts, text=text, blocks=pages[0])
        for page in pages[1:]:
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text, blocks=page)
        return True
    except Exception:
        error_id = new_error_id()
        log.exception("failed to answer in %s thread %s (error id %s)", channel, thread_ts,
                      error_id)
        metrics = getattr(deps.qa, "metrics", None)
        if metrics is not None:
            metrics.error("slack")
        try:
            _replace(client, channel, thread_ts, placeholder_ts, apology_text(error_id))
            return True
        except Exception:
            log.exception("could not post the apology for error id %s", error_id)
            return placeholder_ts is not None


def _replace(client: Any, channel: str, thread_ts: str, ts: str | None, text: str) -> None:
    """Show ``text`` in place of the placeholder, or as a new thread reply if there is none."""
    if ts:
        client.chat_update(channel=channel, ts=ts, text=text, blocks=[section(text)])
    else:
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text,
                                blocks=[section(text)])
