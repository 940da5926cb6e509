"""Answering one question in a Slack thread: placeholder, answer, replace, record, or apologise.

Runs on a worker thread (a lazy listener), never in the request that Slack waits on. Any
failure ends in a short apology with an error id in the thread; the log has the trace under the
same id. The steps (``answer_or_notice``, ``show_answer``, ``apologise``) also serve the
assistant container (``bot.listeners.assistant``), so both paths answer, record and fail alike.
"""

from __future__ import annotations

import html
import logging
import re
import uuid
from typing import TYPE_CHECKING, Any

from accord.access.audit import Origin
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

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from accord.access.audiences import Audience
    from accord.models import Answer


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


def answer_in_thread(
    client: WebClient,
    deps: BotDeps,
    *,
    channel: str,
    thread_ts: str,
    question: str,
    user: str | None,
    history: list[str] | None = None,
    im_event: bool = False,
    header: str | None = None,
) -> bool:
    """Post a placeholder in the thread, answer ``question`` for everyone in the conversation
    (``AudienceResolver.reading``: the lowest of the channel's entry and its members; the
    asker's own in the bot's DM, ``im_event``), and replace the placeholder. ``header``
    (mrkdwn) heads the answer, e.g. who asked about a message.

    Never raises: problems are shown in the thread (a notice for an unusable question or an
    empty index, an apology with an error id for anything else). Returns False when nothing
    could be posted in the thread (e.g. the bot is not in the channel), else True.
    """
    placeholder_ts: str | None = None
    try:
        resp = client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, text=PLACEHOLDER_TEXT, blocks=placeholder_blocks()
        )
        placeholder_ts = resp["ts"]
        audience = deps.audiences.reading(user, channel, im_event=im_event).audience
        ans = answer_or_notice(
            client,
            deps,
            question,
            history,
            audience,
            user=user,
            channel=channel,
            thread_ts=thread_ts,
            ts=placeholder_ts,
        )
        if ans is None:
            return True
        show_answer(
            client,
            deps,
            ans,
            channel=channel,
            thread_ts=thread_ts,
            ts=placeholder_ts,
            user=user,
            header=header,
        )
        return True
    except Exception:
        return apologise(client, deps, channel, thread_ts, placeholder_ts)


def answer_or_notice(
    client: WebClient,
    deps: BotDeps,
    question: str,
    history: list[str] | None,
    audience: Audience,
    *,
    user: str | None,
    channel: str,
    thread_ts: str,
    ts: str | None,
) -> Any:
    """``deps.qa.answer`` for ``audience`` (audited as asked by ``user`` in ``channel``), or None
    after showing a notice in place of ``ts`` (or as a thread reply) when the question is
    unusable or the index empty or out of step. Raises anything else."""
    try:
        return deps.qa.answer(
            question,
            history=history or None,
            audience=audience,
            origin=Origin("slack", user, channel),
        )
    except (BadQuestion, EmptyIndex, IndexNeedsResync) as exc:
        log.info("not answered (%s): %s", exc.code, exc.message)
        _replace(client, channel, thread_ts, ts, notice_text(exc.message))
        return None


def show_answer(
    client: WebClient,
    deps: BotDeps,
    ans: Answer,
    *,
    channel: str,
    thread_ts: str,
    ts: str,
    user: str | None,
    answer_id: str | None = None,
    header: str | None = None,
) -> None:
    """Record ``ans`` and show it in place of the bot's message ``ts`` (``chat.update``); pages
    beyond the first follow as thread replies. Raises what the Web API raises."""
    answer_id = deps.feedback.record_answer(ans, user, channel, thread_ts, ts, answer_id=answer_id)
    pages = render_answer(ans, answer_id, header=header)
    text = fallback_text(ans)
    client.chat_update(channel=channel, ts=ts, text=text, blocks=pages[0])
    for page in pages[1:]:
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text, blocks=page)


def apologise(
    client: WebClient, deps: BotDeps, channel: str, thread_ts: str, ts: str | None
) -> bool:
    """Call from an ``except`` block: log the trace under a new error id, count the error and
    show the apology with that id in place of ``ts`` (or as a thread reply). Never raises;
    returns whether anything of the bot's is in the thread."""
    error_id = new_error_id()
    log.exception("failed to answer in %s thread %s (error id %s)", channel, thread_ts, error_id)
    metrics = getattr(deps.qa, "metrics", None)
    if metrics is not None:
        metrics.error("slack")
    try:
        _replace(client, channel, thread_ts, ts, apology_text(error_id))
        return True
    except Exception:
        log.exception("could not post the apology for error id %s", error_id)
        return ts is not None


def _replace(client: WebClient, channel: str, thread_ts: str, ts: str | None, text: str) -> None:
    """Show ``text`` in place of the placeholder, or as a new thread reply if there is none."""
    if ts:
        client.chat_update(channel=channel, ts=ts, text=text, blocks=[section(text)])
    else:
        client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, text=text, blocks=[section(text)]
        )
