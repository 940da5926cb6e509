"""Slack's assistant container and App Home tab through Slack's real protocol: signed HTTP
requests in (``assistant_thread_started``, messages in the thread, ``app_home_opened``), Web API
calls out to the recording server (assistant.threads.*, chat.startStream / appendStream /
stopStream, views.publish). The index is the real one of samples/ plus the marked documents
(``marked``), so what an officer may read differs by audience.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from slack_sdk import WebClient

from accord.access.audiences import can_see
from bot.app import build_app
from bot.blocks import PLACEHOLDER_TEXT, escape_mrkdwn, split_sentences
from bot.streaming import MAX_APPENDS, group
from tests.conftest import make_settings
from tests.integration.access_common import EXPECTED, SECRET
from tests.mock_slack_api import (
    BOT_USER_ID,
    TEAM_ID,
    MockSlackAPI,
    SignedSender,
    serve_signed,
    text_of,
)

POLICY = """\
default: OFFICIAL
users:
  U0CLEARED: {clearance: TOP SECRET, caveats: [NOFORN, AUSTEO, REL TO SGP]}
  U0ADMIN: {clearance: CONFIDENTIAL}
"""
OFFICER, CLEARED, ADMIN = "U0OFFICER", "U0CLEARED", "U0ADMIN"
Q_SIGNED = "When was the MoU on transborder crime signed?"
MINUTES = "marked/minit-jawatankuasa-sempadan-2026.md"  # CONFIDENTIAL


class Slack:
    def __init__(self, api: MockSlackAPI, send: SignedSender, app: Any, rt: Any) -> None:
        self.api, self.send, self.app, self.rt = api, send, app, rt

    def start_thread(self, user: str, dm: str) -> str:
        """Open an assistant thread as Slack does; returns its thread_ts."""
        thread_ts = self.api.next_ts()
        sent, _ = self.send.event(
            {
                "type": "assistant_thread_started",
                "event_ts": thread_ts,
                "assistant_thread": {
                    "user_id": user,
                    "channel_id": dm,
                    "thread_ts": thread_ts,
                    "context": {"channel_id": "C0SOMEWHERE", "team_id": TEAM_ID},
                },
            }
        )
        assert sent.status == 200
        return thread_ts

    def say(self, user: str, dm: str, text: str, thread_ts: str | None = None) -> str:
        """The officer writes in the DM (in the thread ``thread_ts``); returns the message ts."""
        ts = self.api.add_message(dm, text, user, thread_ts)
        event = {
            "type": "message",
            "channel_type": "im",
            "user": user,
            "text": text,
            "ts": ts,
            "channel": dm,
            "event_ts": ts,
            "team": TEAM_ID,
        }
        if thread_ts:
            event.update(thread_ts=thread_ts, parent_user_id=BOT_USER_ID)
        sent, _ = self.send.event(event)
        assert sent.status == 200
        return ts

    def ask_and_wait_update(self, user: str, dm: str, question: str) -> tuple[str, Any]:
        """Open a thread, ask, and wait for the answer placed with chat.update; returns the
        thread's ts and that call."""
        thread_ts = self.start_thread(user, dm)
        self.say(user, dm, question, thread_ts)
        [update] = self.api.wait_for(
            "chat.update", timeout=60, where=lambda c: c.params["channel"] == dm
        )
        return thread_ts, update

    def calls(self, method: str, dm: str) -> list:
        return self.api.calls_to(
            method, lambda c: dm in (c.params.get("channel"), c.params.get("channel_id"))
        )

    def stopped(self, dm: str, n: int = 1) -> list:
        return self.api.wait_for(
            "chat.stopStream", n, timeout=60, where=lambda c: c.params.get("channel") == dm
        )

    def visible(self, clearance: str, caveats: frozenset[str] = frozenset()) -> list[dict]:
        """The indexed documents an audience may read, worked out from the manifest here."""
        from accord.access.audiences import Audience

        aud = Audience(clearance, caveats)
        rules = self.rt.settings.rules()
        return [
            d
            for d in self.rt.manifest.markings()
            if can_see(rules, aud, d["marking"], d["caveats"])
        ]


@pytest.fixture(scope="module")
def slack(marked, tmp_path_factory):
    root = tmp_path_factory.mktemp("slack-assistant")
    policy = root / "policy.yaml"
    policy.write_text(POLICY)
    api = MockSlackAPI().start()
    settings = make_settings(
        root / "data",
        slack_bot_token="xoxb-assistant-test",
        slack_signing_secret=SECRET,
        slack_api_url=api.url,
        audience_policy=policy,
        clearance="OFFICIAL",
        admin_users=ADMIN,
    )
    app = build_app(settings, marked.qa, WebClient(token="xoxb-assistant-test", base_url=api.url))
    with serve_signed(app, SECRET) as sender:
        yield Slack(api, sender, app, marked)
    api.stop()


# ---- suggested prompts ---------------------------------------------------------------------


def test_thread_started_offers_prompts_from_titles_the_officer_may_read(slack):
    officer_ts = slack.start_thread(OFFICER, "D0OFFICER")
    cleared_ts = slack.start_thread(CLEARED, "D0CLEARED")
    started = {("D0OFFICER", officer_ts), ("D0CLEARED", cleared_ts)}
    slack.api.wait_for(
        "assistant.threads.setSuggestedPrompts",
        2,
        where=lambda c: (c.params.get("channel_id"), c.params.get("thread_ts")) in started,
    )
    officer = slack.api.assistant_threads[("D0OFFICER", officer_ts)]["prompts"]
    cleared = slack.api.assistant_threads[("D0CLEARED", cleared_ts)]["prompts"]
    assert len(officer) == 4 and len(cleared) == 4
    readable = {d["title"] for d in slack.visible("OFFICIAL")}
    hidden = {d["title"] for d in slack.rt.manifest.markings()} - readable
    for p in officer:
        [title] = [t for t in readable if t.lower().removeprefix("the ") in p["message"].lower()]
        assert p["title"].rstrip("\u2026") in title  # the label is the title, maybe shortened
        assert not any(h in p["message"] for h in hidden)
    # the cleared officer is offered documents the other may not read: the filter is applied
    assert any(h in p["message"] for p in cleared for h in hidden)


def test_a_suggested_prompt_is_answered_with_a_citation_of_its_document(slack):
    thread_ts = slack.start_thread(CLEARED, "D0PROMPT")
    slack.api.wait_for(
        "assistant.threads.setSuggestedPrompts",
        where=lambda c: c.params["channel_id"] == "D0PROMPT",
    )
    prompts = slack.api.assistant_threads[("D0PROMPT", thread_ts)]["prompts"]
    titles = {d["title"]: d["source"] for d in slack.rt.manifest.markings()}
    answered = 0
    for i, p in enumerate(prompts):
        slack.say(CLEARED, "D0PROMPT", p["message"], thread_ts)
        [*_, stop] = slack.stopped("D0PROMPT", i + 1)
        [source] = [
            s for t, s in titles.items() if t.lower().removeprefix("the ") in p["message"].lower()
        ]
        answered += source in text_of(stop.params["blocks"])
    assert answered >= 3, f"only {answered} of {len(prompts)} prompts cited their document"


# ---- a question in an assistant thread -------------------------------------------------------


def test_question_sets_title_and_status_and_streams_the_checked_answer(slack, marked):
    thread_ts = slack.start_thread(OFFICER, "D0STREAM")
    slack.say(OFFICER, "D0STREAM", Q_SIGNED, thread_ts)
    [stop] = slack.stopped("D0STREAM")
    state = slack.api.assistant_threads[("D0STREAM", thread_ts)]
    assert state["title"] == Q_SIGNED
    n = len(slack.visible("OFFICIAL"))
    assert n < len(slack.rt.manifest.markings())  # the count is the officer's, not the index's
    assert state["status"] == f"is searching {n:,} documents\u2026"

    [start] = slack.calls("chat.startStream", "D0STREAM")
    appends = slack.calls("chat.appendStream", "D0STREAM")
    assert start.params["thread_ts"] == thread_ts and start.params["recipient_user_id"] == OFFICER
    assert start.at < appends[0].at and appends[-1].at < stop.at
    expected = marked.qa.answer(Q_SIGNED, audience=marked.settings.cli_audience("OFFICIAL"))
    streamed = "".join(a.params["markdown_text"] for a in appends)
    assert streamed == escape_mrkdwn(expected.text.strip())
    # one append per sentence of the answer (its leads), in order
    pieces = group(split_sentences(escape_mrkdwn(expected.text)), MAX_APPENDS)
    assert [a.params["markdown_text"] for a in appends] == pieces
    assert "14 November 2023" in streamed
    shown = text_of(stop.params["blocks"])
    assert expected.citations and "*Sources*" in shown
    for c in expected.citations:
        assert f"*[{c.n}] {escape_mrkdwn(c.title)}*" in shown and escape_mrkdwn(c.source) in shown
    buttons = {
        el["action_id"]: el["value"]
        for b in stop.params["blocks"]
        if b["type"] == "actions"
        for el in b["elements"]
    }
    assert set(buttons) == {
        "accord_feedback_helpful",
        "accord_feedback_not_helpful",
        "accord_feedback_wrong_source",
    }
    msg = next(m for m in slack.api.messages["D0STREAM"] if m["ts"] == start.response["ts"])
    assert msg["streaming"] is False and msg["text"] == streamed
    assert not slack.calls("chat.update", "D0STREAM")
    stored = slack.app.accord_deps.feedback.answer(buttons["accord_feedback_helpful"])
    assert stored is not None and stored.question == Q_SIGNED
    row = [r for r in marked.audit.rows() if r["conversation"] == "D0STREAM"][-1]
    assert (row["kind"], row["user"], row["clearance"]) == ("answer", OFFICER, "OFFICIAL")
    assert row["cited"] and row["cited"][0]["source"] == expected.citations[0].source


def test_follow_up_in_the_thread_keeps_the_title_and_uses_the_thread(slack, marked):
    thread_ts = slack.start_thread(OFFICER, "D0FOLLOW")
    slack.say(OFFICER, "D0FOLLOW", Q_SIGNED, thread_ts)
    slack.stopped("D0FOLLOW")
    slack.say(OFFICER, "D0FOLLOW", "and who signed it?", thread_ts)
    slack.stopped("D0FOLLOW", 2)
    assert len(slack.calls("assistant.threads.setTitle", "D0FOLLOW")) == 1
    expected = marked.qa.answer(
        "and who signed it?", history=[Q_SIGNED], audience=marked.settings.cli_audience("OFFICIAL")
    )
    _, start = slack.calls("chat.startStream", "D0FOLLOW")
    second = [
        a
        for a in slack.calls("chat.appendStream", "D0FOLLOW")
        if a.params["ts"] == start.response["ts"]
    ]
    streamed = "".join(a.params["markdown_text"] for a in second)
    assert escape_mrkdwn(expected.text.strip()) in streamed
    assert slack.app.accord_deps.feedback.thread_questions("D0FOLLOW", thread_ts) == [
        Q_SIGNED,
        "and who signed it?",
    ]


def test_the_officer_audience_applies_as_in_a_dm(slack, marked):
    question = EXPECTED[MINUTES][2]
    for user, dm in ((OFFICER, "D0AUDOFF"), (CLEARED, "D0AUDCLR")):
        thread_ts = slack.start_thread(user, dm)
        slack.say(user, dm, question, thread_ts)
    officer = text_of(slack.stopped("D0AUDOFF")[0].params["blocks"]) + "".join(
        a.params["markdown_text"] for a in slack.calls("chat.appendStream", "D0AUDOFF")
    )
    cleared = text_of(slack.stopped("D0AUDCLR")[0].params["blocks"])
    assert MINUTES in cleared
    assert MINUTES not in officer and "Joint Border Committee" not in officer
    rows = {r["conversation"]: r for r in marked.audit.rows() if r["kind"] == "answer"}
    assert rows["D0AUDOFF"]["clearance"] == "OFFICIAL"
    assert rows["D0AUDCLR"]["clearance"] == "TOP SECRET"


# ---- fallbacks and the DM path ---------------------------------------------------------------


def test_without_streaming_the_answer_replaces_a_placeholder_with_chat_update(slack, marked):
    with slack.api.failing("chat.startStream", "not_allowed", channel="D0NOSTREAM"):
        thread_ts, update = slack.ask_and_wait_update(OFFICER, "D0NOSTREAM", Q_SIGNED)
    refused = [
        c
        for c in slack.api.calls
        if c.method == "chat.startStream" and c.params.get("channel") == "D0NOSTREAM"
    ]
    assert len(refused) == 1 and refused[0].error == "not_allowed"
    [placeholder] = slack.calls("chat.postMessage", "D0NOSTREAM")
    assert placeholder.params["text"] == PLACEHOLDER_TEXT
    assert placeholder.params["thread_ts"] == thread_ts
    assert update.params["ts"] != thread_ts
    shown = text_of(update.params["blocks"])
    expected = marked.qa.answer(Q_SIGNED, audience=marked.settings.cli_audience("OFFICIAL"))
    assert escape_mrkdwn(expected.text[:80]) in shown and expected.citations[0].source in shown
    assert not slack.calls("chat.appendStream", "D0NOSTREAM")


def test_without_a_status_line_a_placeholder_shows_while_searching(slack):
    with slack.api.failing("assistant.threads.setStatus", "not_allowed", channel="D0NOSTATUS"):
        slack.ask_and_wait_update(OFFICER, "D0NOSTATUS", Q_SIGNED)
    [update] = slack.calls("chat.update", "D0NOSTATUS")
    [placeholder] = slack.calls("chat.postMessage", "D0NOSTATUS")
    assert placeholder.params["text"] == PLACEHOLDER_TEXT
    assert update.params["ts"] == placeholder.response["ts"]
    assert "14 November 2023" in text_of(update.params["blocks"])
    assert not slack.calls("chat.startStream", "D0NOSTATUS")


def test_a_message_delivered_twice_is_answered_once(slack):
    thread_ts = slack.start_thread(OFFICER, "D0TWICE")
    ts = slack.api.add_message("D0TWICE", Q_SIGNED, OFFICER, thread_ts)
    event = {
        "type": "message",
        "channel_type": "im",
        "user": OFFICER,
        "text": Q_SIGNED,
        "ts": ts,
        "channel": "D0TWICE",
        "event_ts": ts,
        "thread_ts": thread_ts,
    }
    _, event_id = slack.send.event(event)
    slack.send.event(
        event,
        event_id=event_id,
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    slack.send.event(event)  # the same message under a new event id
    slack.stopped("D0TWICE")
    time.sleep(0.5)  # grace for a second answer to show up; a pass cannot turn into a failure
    assert len(slack.calls("chat.startStream", "D0TWICE")) == 1


def test_a_stream_that_breaks_is_repaired_with_chat_update(slack):
    slack.api.fail_once("chat.stopStream", "internal_error", channel="D0BROKEN")
    _, update = slack.ask_and_wait_update(OFFICER, "D0BROKEN", Q_SIGNED)
    [start] = [
        c
        for c in slack.api.calls
        if c.method == "chat.startStream" and c.params.get("channel") == "D0BROKEN"
    ]
    assert update.params["ts"] == start.response["ts"]
    assert "14 November 2023" in text_of(update.params["blocks"])


def test_a_dm_thread_slack_never_announced_keeps_the_dm_path(slack):
    root = slack.say(OFFICER, "D0PLAIN", Q_SIGNED)
    slack.api.wait_for("chat.update", timeout=60, where=lambda c: c.params["channel"] == "D0PLAIN")
    slack.say(OFFICER, "D0PLAIN", "and who signed it?", root)
    slack.api.wait_for(
        "chat.update", 2, timeout=60, where=lambda c: c.params["channel"] == "D0PLAIN"
    )
    assert not slack.calls("chat.startStream", "D0PLAIN")
    assert not slack.calls("assistant.threads.setStatus", "D0PLAIN")


# ---- App Home ----------------------------------------------------------------------------------


def open_home(slack: Slack, user: str) -> dict:
    before = len(slack.api.calls_to("views.publish", lambda c: c.params["user_id"] == user))
    sent, _ = slack.send.event(
        {
            "type": "app_home_opened",
            "user": user,
            "channel": "D0HOME",
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        }
    )
    assert sent.status == 200
    calls = slack.api.wait_for(
        "views.publish", before + 1, where=lambda c: c.params["user_id"] == user
    )
    return calls[-1].params["view"]


def test_home_tab_shows_what_the_viewer_may_read_and_their_clearance(slack):
    view = open_home(slack, OFFICER)
    assert view["type"] == "home" and slack.api.home_views[OFFICER] == view
    shown = text_of(view["blocks"])
    readable = slack.visible("OFFICIAL")
    assert f"You may read *{len(readable)}* documents." in shown
    by_type: dict[str, int] = {}
    for d in readable:
        kind = slack.rt.manifest.document(d["source"]).doc_type
        by_type[kind] = by_type.get(kind, 0) + 1
    from bot.suggestions import doc_type_label

    for kind, n in by_type.items():
        assert f"\u2022 {doc_type_label(kind)}: {n}" in shown
    assert "marked up to OFFICIAL (UNMARKED, OFFICIAL)" in shown
    assert "You hold no caveats" in shown
    assert slack.rt.manifest.last_run() is None  # synced without a recorded run: the last
    last = max(
        r[0]
        for r in slack.rt.manifest.db.execute(  # document indexed tells when
            "SELECT indexed_at FROM documents"
        )
    )
    assert time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(last)) in shown
    assert "/accord" in shown and "indexed" not in shown and "Answers given" not in shown


def test_home_tab_of_an_admin_adds_the_index_size_and_recent_feedback(slack):
    thread_ts = slack.start_thread(OFFICER, "D0RATE")
    slack.say(OFFICER, "D0RATE", Q_SIGNED, thread_ts)
    [stop] = slack.stopped("D0RATE")
    answer_id = next(
        el["value"] for b in stop.params["blocks"] if b["type"] == "actions" for el in b["elements"]
    )
    for user, action in (
        (OFFICER, "accord_feedback_helpful"),
        (CLEARED, "accord_feedback_wrong_source"),
    ):
        slack.send.block_action(
            action, answer_id, user, "D0RATE", slack.api.response_url("r"), thread_ts=thread_ts
        )
    slack.api.wait_for("chat.postEphemeral", 2, where=lambda c: c.params["channel"] == "D0RATE")
    counts = slack.app.accord_deps.feedback.recent_counts(0)
    assert counts["helpful"] >= 1 and counts["wrong_source"] >= 1

    admin = text_of(open_home(slack, ADMIN)["blocks"])
    officer = text_of(open_home(slack, OFFICER)["blocks"])
    total = len(slack.rt.manifest.markings())
    assert (
        f"You may read *{len(slack.visible('CONFIDENTIAL'))}* documents of the *{total}* "
        "indexed." in admin
    )
    assert "marked up to CONFIDENTIAL" in admin
    assert (
        f"Answers given: {counts['answers']}\nRated helpful: {counts['helpful']} \u00b7 "
        f"not helpful: {counts['not_helpful']} \u00b7 wrong source: "
        f"{counts['wrong_source']}"
    ) in admin
    assert "Answers given" not in officer and "indexed" not in officer
    assert json.dumps(slack.api.home_views[ADMIN]) != json.dumps(slack.api.home_views[OFFICER])
