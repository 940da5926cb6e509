"""The Slack bot through Slack's real protocol: signed HTTP requests in, Web API calls out.

The app runs in HTTP mode on a loopback port (``bot.server``, a threading WSGI server); its
WebClient points at ``MockSlackAPI``, a local server recording every call. The index is the
real one built from samples/ (``sample_index``), the embedding model is the real one.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.app import build_app
from bot.blocks import PLACEHOLDER_TEXT, escape_mrkdwn
from tests.conftest import SAMPLES_QA, make_settings
from tests.mock_slack_api import (
    BOT_ID,
    BOT_USER_ID,
    MockSlackAPI,
    SignedSender,
    serve_signed,
    text_of,
)

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
ADMIN = "UADMIN01"
OFFICER = "UOFFICER1"
Q_SIGNED = "When was the MoU on transborder crime signed?"
FOLLOW_UP = "and who signed it?"


class Bot:
    def __init__(
        self,
        api: MockSlackAPI,
        sender: SignedSender,
        app: Any,
        data_dir: Any,
        docs: Any = None,
        reindex_manifest: Any = None,
    ):
        self.api, self.send, self.app, self.data_dir = api, sender, app, data_dir
        self.docs, self.reindex_manifest = docs, reindex_manifest

    def mention(self, channel: str, question: str, thread_ts: str | None = None) -> tuple:
        ts = self.api.add_message(channel, f"<@{BOT_USER_ID}> {question}", OFFICER, thread_ts)
        event = {
            "type": "app_mention",
            "user": OFFICER,
            "text": f"<@{BOT_USER_ID}> {question}",
            "ts": ts,
            "channel": channel,
            "event_ts": ts,
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        sent, _ = self.send.event(event)
        return sent, ts

    def message(
        self, channel: str, text: str, thread_ts: str | None = None, channel_type: str = "channel"
    ) -> tuple:
        ts = self.api.add_message(channel, text, OFFICER, thread_ts)
        event = {
            "type": "message",
            "channel_type": channel_type,
            "user": OFFICER,
            "text": text,
            "ts": ts,
            "channel": channel,
            "event_ts": ts,
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        sent, _ = self.send.event(event)
        return sent, ts

    def placeholders(self, channel: str, thread_ts: str) -> list:
        return self.api.calls_to(
            "chat.postMessage",
            lambda c: c.params.get("channel") == channel and c.params.get("thread_ts") == thread_ts,
        )

    def answers(self, channel: str, thread_ts: str) -> list:
        """chat.update calls that replaced a bot message in this thread, in order."""
        bot_ts = {
            m["ts"]
            for m in self.api.messages.get(channel, [])
            if m.get("bot_id") and m.get("thread_ts") == thread_ts
        }
        return self.api.calls_to(
            "chat.update",
            lambda c: c.params.get("channel") == channel and c.params.get("ts") in bot_ts,
        )

    def wait_answers(self, channel: str, thread_ts: str, n: int = 1, timeout: float = 60) -> list:
        return self.api.wait_until(
            lambda: (a := self.answers(channel, thread_ts)) and len(a) >= n and a,
            timeout,
            f"{n} answer(s) in {channel} thread {thread_ts}",
        )


def buttons(blocks: list[dict]) -> dict[str, str]:
    return {
        el["action_id"]: el["value"]
        for b in blocks
        if b["type"] == "actions"
        for el in b["elements"]
    }


@pytest.fixture(scope="module")
def bot(tmp_path_factory, sample_index, embedder):
    from accord.runtime import Runtime

    root = tmp_path_factory.mktemp("slack-bot")
    docs = root / "reindex-docs"
    docs.mkdir()
    (docs / "readout-2025-02.md").write_text(
        "---\ntitle: Readout of the Extradition Treaty Talks\ndate: 2025-02-12\n"
        "doc_type: readout\n---\n\nThe first round of extradition treaty talks was held in "
        "Sarapura on 12 February 2025. Both delegations agreed to meet again in May.\n"
    )
    reindex_rt = Runtime(make_settings(root / "reindex-data"), embedder=embedder)
    api = MockSlackAPI().start()
    settings = make_settings(
        root / "data",
        slack_bot_token="xoxb-accord-test",
        slack_signing_secret=SECRET,
        slack_api_url=api.url,
        admin_users=f"{ADMIN}, UOTHERADMIN",
        docs_dir=docs,
    )
    client = WebClient(token="xoxb-accord-test", base_url=api.url)
    app = build_app(
        settings, sample_index.qa, client, reindex=lambda folder: reindex_rt.syncer().run(folder)
    )
    with serve_signed(app, SECRET) as sender:
        yield Bot(api, sender, app, settings.data_dir, docs, lambda: reindex_rt.manifest)
    api.stop()
    reindex_rt.close()


# ---- 1. mentions, DMs, follow-ups ------------------------------------------------------------


def test_mention_is_answered_in_its_thread_with_sources(bot, sample_index):
    sent, ts = bot.mention("CMENTION", Q_SIGNED)
    assert sent.status == 200
    [update] = bot.wait_answers("CMENTION", ts)
    [placeholder] = bot.placeholders("CMENTION", ts)
    assert placeholder.params["text"] == PLACEHOLDER_TEXT
    assert update.params["ts"] == bot.api.messages["CMENTION"][-1]["ts"]
    expected = sample_index.qa.answer(Q_SIGNED)
    shown = text_of(update.params["blocks"])
    assert escape_mrkdwn(expected.text[:80]) in shown
    assert "14 November 2023" in shown and "*Sources*" in shown
    assert expected.citations
    for c in expected.citations:
        assert f"*[{c.n}] {escape_mrkdwn(c.title)}*" in shown
        assert escape_mrkdwn(c.source) in shown
    assert set(buttons(update.params["blocks"])) == {
        "accord_feedback_helpful",
        "accord_feedback_not_helpful",
        "accord_feedback_wrong_source",
    }


def test_direct_message_is_answered_in_a_thread(bot):
    q = "How much notice must a party give to terminate the MoU?"
    sent, ts = bot.message("DOFFICER1", q, channel_type="im")
    assert sent.status == 200
    [update] = bot.wait_answers("DOFFICER1", ts)
    shown = text_of(update.params["blocks"])
    assert "six (6) months" in shown and "mou-transborder-crime-2023.pdf" in shown


def test_follow_up_without_mention_is_answered_with_the_thread(bot, sample_index):
    _, root = bot.mention("CFOLLOW", Q_SIGNED)
    bot.wait_answers("CFOLLOW", root)
    sent, _ = bot.message("CFOLLOW", FOLLOW_UP, thread_ts=root)
    assert sent.status == 200
    first, second = bot.wait_answers("CFOLLOW", root, n=2)
    with_thread = sample_index.qa.answer(FOLLOW_UP, history=[Q_SIGNED])
    alone = sample_index.qa.answer(FOLLOW_UP)
    assert with_thread.text != alone.text  # the thread changes the answer ...
    shown = text_of(second.params["blocks"])
    assert escape_mrkdwn(with_thread.text[:80]) in shown  # ... and the bot used it
    assert "Tomas Arvelo" in shown
    assert bot.app.accord_deps.feedback.thread_questions("CFOLLOW", root) == [Q_SIGNED, FOLLOW_UP]


def test_follow_up_in_a_thread_known_only_to_slack_reads_conversations_replies(bot, sample_index):
    root = bot.api.add_message("CREPLIES", f"<@{BOT_USER_ID}> {Q_SIGNED}")
    bot.api.messages["CREPLIES"].append(
        {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "text": "an earlier answer",
            "ts": bot.api.next_ts(),
            "thread_ts": root,
        }
    )
    bot.message("CREPLIES", FOLLOW_UP, thread_ts=root)
    [answer] = bot.wait_answers("CREPLIES", root)
    assert bot.api.calls_to(
        "conversations.replies", lambda c: c.params.get("channel") == "CREPLIES"
    )
    expected = sample_index.qa.answer(FOLLOW_UP, history=[Q_SIGNED])
    assert escape_mrkdwn(expected.text[:80]) in text_of(answer.params["blocks"])


def test_people_talking_in_a_thread_without_the_bot_are_left_alone(bot):
    root = bot.api.add_message("CPEOPLE", "Lunch at noon?")
    bot.message("CPEOPLE", "and who signed it?", thread_ts=root)
    bot.api.wait_for("conversations.replies", where=lambda c: c.params.get("channel") == "CPEOPLE")
    time.sleep(1.0)  # grace for a wrong answer to show up; a pass cannot turn into a failure
    assert not bot.api.calls_to("chat.postMessage", lambda c: c.params["channel"] == "CPEOPLE")


# ---- 2. signatures, duplicates, retries --------------------------------------------------------


def test_bad_signature_and_stale_timestamp_are_rejected(bot):
    event = {
        "type": "app_mention",
        "user": OFFICER,
        "text": f"<@{BOT_USER_ID}> {Q_SIGNED}",
        "ts": "1700000999.000100",
        "channel": "CFORGED",
    }
    forged, _ = bot.send.event(event, secret="not-the-signing-secret")
    stale, _ = bot.send.event({**event, "channel": "CSTALE"}, timestamp=int(time.time()) - 6 * 60)
    assert forged.status == 401 and stale.status == 401
    assert not [c for c in bot.api.calls if c.params.get("channel") in ("CFORGED", "CSTALE")]


def test_duplicate_delivery_and_retry_are_answered_once(bot):
    ts = bot.api.add_message("CDUP", f"<@{BOT_USER_ID}> {Q_SIGNED}")
    mention = {
        "type": "app_mention",
        "user": OFFICER,
        "text": f"<@{BOT_USER_ID}> {Q_SIGNED}",
        "ts": ts,
        "channel": "CDUP",
        "event_ts": ts,
    }
    first, event_id = bot.send.event(mention)
    again, _ = bot.send.event(mention, event_id=event_id)
    retry, _ = bot.send.event(
        mention,
        event_id=event_id,
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    # the same message as a `message` event, and re-sent under a new event id
    as_message, _ = bot.send.event({**mention, "type": "message", "channel_type": "channel"})
    new_id, _ = bot.send.event(mention)
    assert {s.status for s in (first, again, retry, as_message, new_id)} == {200}
    bot.wait_answers("CDUP", ts)
    time.sleep(0.5)  # grace for a second answer to show up; a pass cannot turn into a failure
    assert len(bot.placeholders("CDUP", ts)) == 1
    assert len(bot.answers("CDUP", ts)) == 1


# ---- 3. load: 20 mentions at once -------------------------------------------------------------


def test_twenty_mentions_at_once_each_answered_once_and_acked_fast(bot):

    questions = [
        json.loads(line)["question"] for line in SAMPLES_QA.read_text().splitlines() if line.strip()
    ][:20]
    assert len(questions) == 20
    prepared = []
    for q in questions:
        ts = bot.api.add_message("CLOAD", f"<@{BOT_USER_ID}> {q}")
        prepared.append(
            (
                q,
                ts,
                {
                    "type": "app_mention",
                    "user": OFFICER,
                    "ts": ts,
                    "text": f"<@{BOT_USER_ID}> {q}",
                    "channel": "CLOAD",
                },
            )
        )
    with ThreadPoolExecutor(max_workers=20) as pool:
        sent = list(pool.map(lambda p: bot.send.event(p[2])[0], prepared))
    assert [s.status for s in sent] == [200] * 20
    # Slack's 3 seconds: every event is acknowledged before its answer is shown, i.e. the ack
    # never waits for the search (an ordering, not a stopwatch: no timing assertion)
    for s_, (_q, ts, _) in zip(sent, prepared, strict=True):
        [answer] = bot.wait_answers("CLOAD", ts, timeout=240)
        assert s_.done_at < answer.at
    feedback = bot.app.accord_deps.feedback
    for q, ts, _ in prepared:
        assert len(bot.placeholders("CLOAD", ts)) == 1
        assert len(bot.answers("CLOAD", ts)) == 1
        assert feedback.thread_questions("CLOAD", ts) == [q]


# ---- rate limits and failures -----------------------------------------------------------------


def test_rate_limited_web_api_call_is_retried_after_retry_after(bot):
    bot.api.rate_limit_once("chat.update", retry_after=1, channel="CRATE")
    _, ts = bot.mention("CRATE", Q_SIGNED)
    [update] = bot.wait_answers("CRATE", ts)
    limited = [
        c
        for c in bot.api.calls
        if c.method == "chat.update" and c.status == 429 and c.params.get("channel") == "CRATE"
    ]
    assert len(limited) == 1
    assert update.at - limited[0].at >= 1.0  # waited for Retry-After
    assert "14 November 2023" in text_of(update.params["blocks"])


def test_failure_ends_in_an_apology_with_an_error_id_that_is_logged(bot, caplog):
    bot.api.fail_once("chat.update", "msg_too_long", channel="CFAIL")
    with caplog.at_level("ERROR", logger="bot"):
        _, ts = bot.mention("CFAIL", Q_SIGNED)
        [apology] = bot.wait_answers("CFAIL", ts)
    text = apology.params["text"]
    assert "Sorry" in text and "error id" in text
    error_id = text.split("`")[1]
    logged = [r for r in caplog.records if error_id in r.getMessage()]
    assert logged and logged[0].exc_info is not None  # the trace is in the log


# ---- 4. /accord, share, feedback, re-index -----------------------------------------------------


def _wait_response(bot: Bot, name: str, n: int = 1) -> list:
    return bot.api.wait_for("response_url", n, where=lambda c: c.params["_name"] == name)


def test_slash_command_answers_privately_and_share_posts_in_channel(bot, sample_index):
    q = "How often does the Joint Working Committee have to meet under the MoU?"
    expected = escape_mrkdwn(sample_index.qa.answer(q).text[:80])
    sent = bot.send.command(q, OFFICER, "CCMD", bot.api.response_url("cmd"))
    assert sent.status == 200
    assert PLACEHOLDER_TEXT in json.loads(sent.body)["text"]  # the ack is the "working" note
    [private] = _wait_response(bot, "cmd")
    assert sent.done_at < private.at  # acknowledged before answering, not after
    assert private.params["response_type"] == "ephemeral"
    assert expected in text_of(private.params["blocks"])
    answer_id = buttons(private.params["blocks"])["accord_share"]
    assert not bot.api.calls_to("chat.postMessage", lambda c: c.params["channel"] == "CCMD")

    bot.api.members["CCMD"] = [BOT_USER_ID, OFFICER]  # Share checks who is in the channel
    clicked = bot.send.block_action(
        "accord_share", answer_id, OFFICER, "CCMD", bot.api.response_url("share"), ephemeral=True
    )
    assert clicked.status == 200
    [shared] = bot.api.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == "CCMD")
    shown = text_of(shared.params["blocks"])
    assert f"<@{OFFICER}> shared an answer" in shown and expected in shown
    assert "accord_share" not in buttons(shared.params["blocks"])
    [deleted] = _wait_response(bot, "share")
    assert deleted.params.get("delete_original") is True


def test_slash_timeline_lists_dated_entries_privately(bot):
    bot.send.command(
        "timeline transborder crime MoU", OFFICER, "CTIME", bot.api.response_url("timeline")
    )
    [reply] = _wait_response(bot, "timeline")
    assert reply.params["response_type"] == "ephemeral"
    text = reply.params["text"]
    dates = re.findall(r"^\*(\d{4}-\d{2}-\d{2})\*", text, re.M)
    assert len(dates) >= 3 and dates == sorted(dates) and "*Sources*" in text


def test_feedback_clicks_are_stored_and_exported(bot, tmp_path):
    from typer.testing import CliRunner

    from accord.cli import app as cli

    _, ts = bot.mention("CFEED", Q_SIGNED)
    [update] = bot.wait_answers("CFEED", ts)
    answer_id = buttons(update.params["blocks"])["accord_feedback_helpful"]
    for user, action in (
        ("UREADER1", "accord_feedback_helpful"),
        ("UREADER2", "accord_feedback_wrong_source"),
    ):
        sent = bot.send.block_action(
            action,
            answer_id,
            user,
            "CFEED",
            bot.api.response_url("fb"),
            message_ts=update.params["ts"],
            thread_ts=ts,
        )
        assert sent.status == 200
    thanks = bot.api.wait_for(
        "chat.postEphemeral", 2, where=lambda c: c.params["channel"] == "CFEED"
    )
    assert {c.params["user"] for c in thanks} == {"UREADER1", "UREADER2"}

    out = tmp_path / "feedback.jsonl"
    result = CliRunner().invoke(
        cli,
        [
            "feedback",
            "export",
            "--format",
            "jsonl",
            "--out",
            str(out),
            "--data-dir",
            str(bot.data_dir),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = [
        json.loads(line)
        for line in out.read_text().splitlines()
        if json.loads(line)["channel"] == "CFEED"
    ]
    assert [(r["user"], r["rating"]) for r in rows] == [
        ("UREADER1", "helpful"),
        ("UREADER2", "wrong_source"),
    ]
    for r in rows:
        assert r["question"] == Q_SIGNED and "14 November 2023" in r["answer"]
        assert r["citations"] and r["citations"][0]["quote"] and r["citations"][0]["source"]
        assert r["asked_by"] == OFFICER and r["time"].startswith("20")

    csv_out = tmp_path / "feedback.csv"
    result = CliRunner().invoke(
        cli,
        [
            "feedback",
            "export",
            "--format",
            "csv",
            "--out",
            str(csv_out),
            "--data-dir",
            str(bot.data_dir),
        ],
    )
    assert result.exit_code == 0, result.output
    table = [r for r in csv.DictReader(io.StringIO(csv_out.read_text())) if r["channel"] == "CFEED"]
    assert [r["rating"] for r in table] == ["helpful", "wrong_source"]
    assert json.loads(table[0]["citations"])[0]["source"] == rows[0]["citations"][0]["source"]


def test_reindex_is_refused_for_a_non_admin(bot):
    sent = bot.send.command("reindex", OFFICER, "CNOADMIN", bot.api.response_url("noadmin"))
    assert sent.status == 200
    assert "limited to Accord's administrators" in json.loads(sent.body)["text"]
    time.sleep(0.5)  # grace for a wrong re-index to show up; a pass cannot turn into a failure
    assert not bot.api.calls_to("chat.postMessage", lambda c: c.params["channel"] == "CNOADMIN")
    assert not bot.api.calls_to("response_url", lambda c: c.params["_name"] == "noadmin")


def test_admin_reindex_runs_and_posts_its_summary(bot):
    sent = bot.send.command("reindex", ADMIN, "CADMIN", bot.api.response_url("admin"))
    assert sent.status == 200
    assert "started" in json.loads(sent.body)["text"]
    [summary] = bot.api.wait_for(
        "chat.postMessage", timeout=120, where=lambda c: c.params["channel"] == "CADMIN"
    )
    assert sent.done_at < summary.at  # acknowledged before the re-index, not after it
    text = summary.params["text"]
    assert "Re-index finished" in text and "added 1" in text and "failed 0" in text
    again = bot.send.command("reindex", ADMIN, "CADMIN", bot.api.response_url("admin2"))
    assert "started" in json.loads(again.body)["text"]
    [second] = bot.api.wait_for(
        "chat.postMessage", 2, timeout=120, where=lambda c: c.params["channel"] == "CADMIN"
    )[1:]
    assert "unchanged 1" in second.params["text"] and "added 0" in second.params["text"]
    # A re-index that would empty the folder's documents is held: the admin is told, no change.
    doc = bot.docs / "readout-2025-02.md"
    kept = doc.read_bytes()
    doc.unlink()
    try:
        bot.send.command("reindex", ADMIN, "CADMIN", bot.api.response_url("admin3"))
        [third] = bot.api.wait_for(
            "chat.postMessage", 3, timeout=120, where=lambda c: c.params["channel"] == "CADMIN"
        )[2:]
    finally:
        doc.write_bytes(kept)
    assert "Re-index failed" in third.params["text"]
    assert "would remove 1 of the 1" in third.params["text"]
    assert "--prune" in third.params["text"] and "Nothing was changed" in third.params["text"]
    assert bot.reindex_manifest().records().keys() == {"readout-2025-02.md"}


def test_manifest_declares_what_the_app_listens_to():
    from pathlib import Path

    import yaml

    import bot as bot_package

    manifest = yaml.safe_load(
        (Path(bot_package.__file__).parent / "manifest.yml").read_text(encoding="utf-8")
    )
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert events == {
        "app_mention",
        "message.im",
        "message.channels",
        "message.groups",
        "assistant_thread_started",
        "assistant_thread_context_changed",
        "app_home_opened",
    }
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {
        "app_mentions:read",
        "chat:write",
        "commands",
        "im:history",
        "channels:history",
        "groups:history",
        "assistant:write",
    } <= scopes
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["features"]["assistant_view"]["assistant_description"]
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/accord"]
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True


def test_socket_mode_without_an_app_token_exits_with_a_hint(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from accord.cli import app as cli

    for name in ("ACCORD_SLACK_APP_TOKEN", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    result = CliRunner().invoke(cli, ["bot", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "ACCORD_SLACK_APP_TOKEN" in result.output
