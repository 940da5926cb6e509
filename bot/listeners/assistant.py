"""Slack's assistant container (bolt's ``Assistant`` middleware): suggested prompts when an
officer opens a thread, then, for each question, a thread title, a status line while searching
("is searching 2,431 documents…", the documents that officer may read) and the answer streamed
sentence by sentence (``bot.streaming``), or placed with ``chat.update`` where Slack has no
streaming.

An assistant thread lives in the officer's DM with the bot, so it is answered exactly as a DM
is: the officer's own audience (``AudienceResolver.reading(..., im_event=True)``), an audit
record for every answer, the same citations and feedback buttons. Messages in DM threads Slack
never announced as assistant threads keep the DM path (``bot.listeners.messages``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_bolt import App, Assistant
from slack_sdk.errors import SlackApiError

from accord.access.overview import Catalogue
from bot.assistant_threads import DB_NAME as THREADS_DB
from bot.assistant_threads import AssistantThreads
from bot.blocks import PLACEHOLDER_TEXT, placeholder_blocks
from bot.dedupe import message_key
from bot.deps import BotDeps
from bot.listeners.answering import answer_or_notice, apologise, clean_question, show_answer
from bot.streaming import StreamBroken, StreamUnavailable, stream_answer
from bot.suggestions import prompts_title, suggested_prompts

if TYPE_CHECKING:
    from slack_bolt import BoltContext
    from slack_sdk import WebClient


log = logging.getLogger(__name__)
TITLE_CHARS = 100


def register(app: App, deps: BotDeps, threads: AssistantThreads | None = None) -> None:
    """Attach the assistant middleware to ``app``. Assistant threads are recorded in
    ``threads`` (default: under ``settings.data_dir``)."""
    threads = threads or AssistantThreads(deps.settings.state_db(THREADS_DB))
    catalogue = Catalogue(getattr(deps.qa, "documents", None), deps.settings.rules())
    assistant = Assistant(logger=logging.getLogger("bot.bolt.assistant"))

    def record_thread(event: dict[str, Any]) -> None:
        # inline, before Slack gets its response: a prompt clicked at once finds the record
        thread = event.get("assistant_thread") or {}
        if thread.get("channel_id") and thread.get("thread_ts"):
            threads.add(thread["channel_id"], thread["thread_ts"], thread.get("user_id"))

    def suggest(event: dict[str, Any], client: WebClient) -> None:
        thread = event.get("assistant_thread") or {}
        offer_prompts(
            deps,
            catalogue,
            client,
            channel=thread.get("channel_id"),
            thread_ts=thread.get("thread_ts"),
            user=thread.get("user_id"),
        )

    def in_recorded_thread(event: dict[str, Any]) -> bool:
        return threads.known(event.get("channel"), event.get("thread_ts"))

    def claim(event: dict[str, Any], context: BoltContext) -> None:
        context["accord_claimed"] = bool(event.get("ts")) and deps.claims.claim(
            message_key(event.get("channel"), event.get("ts"))
        )

    def answer(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        if not context.get("accord_claimed"):
            return
        answer_in_assistant_thread(
            client,
            deps,
            catalogue,
            channel=str(event.get("channel")),
            thread_ts=str(event.get("thread_ts")),
            question=clean_question(event.get("text")),
            user=event.get("user"),
            team_id=context.get("team_id") or event.get("team"),
        )

    def ignore_context_change() -> None:
        # Accord answers from the index, not from the channel the officer is looking at, so
        # the context is not stored (bolt's default would write it into the thread).
        return None

    assistant.thread_started(lazy=[suggest])(record_thread)
    # bolt adds these matchers to a list of its own, so a list it must be (its annotation says
    # one matcher)
    assistant.user_message(
        matchers=[in_recorded_thread],  # type: ignore[arg-type]
        lazy=[answer],
    )(claim)
    assistant.thread_context_changed(ignore_context_change)
    app.assistant(assistant)


def offer_prompts(
    deps: BotDeps,
    catalogue: Catalogue,
    client: WebClient,
    *,
    channel: str | None,
    thread_ts: str | None,
    user: str | None,
) -> None:
    """Set the thread's suggested prompts: the admin's, else from the titles the officer may
    read. Never raises."""
    if not channel or not thread_ts:
        return
    try:
        audience = deps.audiences.reading(user, channel, im_event=True).audience
        prompts = suggested_prompts(
            deps.settings.assistant_prompt_list, catalogue.overview(audience)
        )
        if prompts:
            client.assistant_threads_setSuggestedPrompts(
                channel_id=channel, thread_ts=thread_ts, title=prompts_title(), prompts=prompts
            )
    except Exception:
        log.warning(
            "could not set suggested prompts in %s thread %s", channel, thread_ts, exc_info=True
        )


def answer_in_assistant_thread(
    client: WebClient,
    deps: BotDeps,
    catalogue: Catalogue,
    *,
    channel: str,
    thread_ts: str,
    question: str,
    user: str | None,
    team_id: str | None,
) -> None:
    """Title the thread (first question), show the searching status, answer for the officer's
    own audience, and stream the answer (``chat.update`` where Slack cannot stream).

    Never raises: an unusable question or an empty index gets a notice, anything else an
    apology with an error id.
    """
    placeholder_ts: str | None = None
    try:
        audience = deps.audiences.reading(user, channel, im_event=True).audience
        history = deps.feedback.thread_questions(channel, thread_ts)
        if not history:
            _try(
                client.assistant_threads_setTitle,
                channel_id=channel,
                thread_ts=thread_ts,
                title=_title(question),
            )
        total = catalogue.overview(audience, top_titles=0).total
        if not _try(
            client.assistant_threads_setStatus,
            channel_id=channel,
            thread_ts=thread_ts,
            status=f"is searching {total:,} documents\u2026",
        ):
            # no status line on this workspace: the placeholder says the bot is at work
            placeholder_ts = _placeholder(client, channel, thread_ts)
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
            return
        answer_id: str | None = None
        if placeholder_ts is None:
            try:
                stream_answer(
                    client,
                    deps,
                    ans,
                    channel=channel,
                    thread_ts=thread_ts,
                    user=user,
                    team_id=team_id,
                )
                return
            except StreamUnavailable:
                placeholder_ts = _placeholder(client, channel, thread_ts)
            except StreamBroken as broken:
                # a streamed message is an ordinary message: the whole answer goes in it
                placeholder_ts, answer_id = broken.ts, broken.answer_id
        show_answer(
            client,
            deps,
            ans,
            channel=channel,
            thread_ts=thread_ts,
            ts=placeholder_ts,
            user=user,
            answer_id=answer_id,
        )
    except Exception:
        apologise(client, deps, channel, thread_ts, placeholder_ts)


def _placeholder(client: WebClient, channel: str, thread_ts: str) -> str:
    return str(
        client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, text=PLACEHOLDER_TEXT, blocks=placeholder_blocks()
        )["ts"]
    )


def _try(method: Any, **kwargs: Any) -> bool:
    """Call a Web API method whose failure must not stop the answer; True if Slack took it."""
    name = getattr(method, "__name__", str(method))
    try:
        method(**kwargs)
        return True
    except SlackApiError as exc:
        log.info("%s refused (%s)", name, exc.response.get("error"))
    except Exception:
        log.warning("%s failed", name, exc_info=True)
    return False


def _title(question: str) -> str:
    q = " ".join(question.split())
    return q if len(q) <= TITLE_CHARS else q[: TITLE_CHARS - 1].rsplit(" ", 1)[0] + "\u2026"
