"""Slack's native text streaming of a finished answer: ``chat.startStream``, one
``chat.appendStream`` per checked sentence, ``chat.stopStream`` with the sources and the
feedback buttons.

Only sentences of an answer that has passed the citation check are streamed: the pipeline
answers first, so nothing shown is ever taken back. When Slack refuses to start a stream (a plan
or workspace without the API: ``not_allowed``, ``unknown_method``, ``feature_not_enabled`` ...)
nothing has been shown yet and :class:`StreamUnavailable` tells the caller to use the
``chat.update`` path instead. When a stream breaks after it started, :class:`StreamBroken`
gives the caller the streamed message to show the whole answer in with ``chat.update``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError

from accord.models import Answer
from bot.blocks import answer_blocks, escape_mrkdwn, fallback_text, paginate, split_sentences
from bot.deps import BotDeps

if TYPE_CHECKING:
    from slack_sdk import WebClient


log = logging.getLogger(__name__)
# The errors of a workspace or plan without streaming; any other refusal is logged louder.
UNSUPPORTED = frozenset(
    {
        "not_allowed",
        "unknown_method",
        "feature_not_enabled",
        "method_not_supported_for_channel_type",
        "not_allowed_token_type",
        "missing_scope",
        "access_denied",
    }
)
MAX_APPENDS = 40  # sentences beyond this many are sent several to a call (rate limits)


class StreamUnavailable(Exception):
    """Slack would not start a stream; nothing was shown. ``error`` is Slack's error code."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class StreamBroken(Exception):
    """The stream started (message ``ts``, answer recorded as ``answer_id``) but did not end."""

    def __init__(self, ts: str, answer_id: str, error: str) -> None:
        super().__init__(error)
        self.ts, self.answer_id, self.error = ts, answer_id, error


def stream_answer(
    client: WebClient,
    deps: BotDeps,
    ans: Answer,
    *,
    channel: str,
    thread_ts: str,
    user: str | None,
    team_id: str | None,
) -> str:
    """Record ``ans`` and stream it into the thread; returns the streamed message's ts.

    Raises StreamUnavailable when ``chat.startStream`` is refused, StreamBroken when a later
    stream call is.
    """
    answer_id = deps.feedback.record_answer(ans, user, channel, thread_ts)
    try:
        resp = client.chat_startStream(
            channel=channel, thread_ts=thread_ts, recipient_user_id=user, recipient_team_id=team_id
        )
    except SlackApiError as exc:
        error = str(exc.response.get("error") or "unknown")
        level = logging.INFO if error in UNSUPPORTED else logging.WARNING
        log.log(
            level, "chat.startStream refused in %s (%s): answering with chat.update", channel, error
        )
        raise StreamUnavailable(error) from exc
    ts = str(resp["ts"])
    deps.feedback.set_ts(answer_id, ts)
    try:
        for piece in group(split_sentences(escape_mrkdwn(ans.text)), MAX_APPENDS):
            client.chat_appendStream(channel=channel, ts=ts, markdown_text=piece)
        pages = paginate(answer_blocks(ans, answer_id, with_text=False))
        client.chat_stopStream(channel=channel, ts=ts, blocks=pages[0])
        for page in pages[1:]:
            client.chat_postMessage(
                channel=channel, thread_ts=thread_ts, text=fallback_text(ans), blocks=page
            )
    except SlackApiError as exc:
        error = str(exc.response.get("error") or "unknown")
        log.warning("the stream %s in %s broke (%s)", ts, channel, error)
        raise StreamBroken(ts, answer_id, error) from exc
    return ts


def group(pieces: list[str], most: int) -> list[str]:
    """``pieces`` joined into at most ``most`` consecutive groups of near-equal count."""
    if len(pieces) <= most:
        return pieces
    size = -(-len(pieces) // most)
    return ["".join(pieces[i : i + size]) for i in range(0, len(pieces), size)]
