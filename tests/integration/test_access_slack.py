"""Access control through Slack's real protocol (signed requests in, a recording Web API server
out, answering conversations.info and usergroups.users.list): channel, DM, user group, Slack
Connect, a private answer whose Share is re-checked, and the audit record of every answer."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from slack_sdk import WebClient

from accord.audit import read_csv_export
from bot.app import build_app
from tests.conftest import make_settings
from tests.integration.access_common import EXPECTED, SECRET, ask_json, run
from tests.mock_slack_api import BOT_USER_ID, MockSlackAPI, SignedSender, serve_signed

# ---- Slack ------------------------------------------------------------------------------------

POLICY = """\
default: OFFICIAL
shared_default: UNMARKED
channels:
  C0OFFICIAL: OFFICIAL
  C0SECRETS: {clearance: SECRET, caveats: [NOFORN, AUSTEO]}
users:
  U0CLEARED: {clearance: TOP SECRET, caveats: [NOFORN, AUSTEO, REL TO SGP]}
usergroups:
  S0ANALYST: {clearance: CONFIDENTIAL, caveats: [AUSTEO]}
"""


class Slack:
    def __init__(self, api: MockSlackAPI, send: SignedSender, app: Any) -> None:
        self.api, self.send, self.app = api, send, app

    def ask(self, channel: str, user: str, question: str, dm: bool = False) -> str:
        """Mention the bot (or write in a DM); wait for the answer; return everything the bot
        sent to that conversation's thread, as one string."""
        text = question if dm else f"<@{BOT_USER_ID}> {question}"
        ts = self.api.add_message(channel, text, user)
        event = {"type": "message" if dm else "app_mention", "user": user, "text": text,
                 "ts": ts, "channel": channel, "event_ts": ts}
        if dm:
            event["channel_type"] = "im"
        sent, _ = self.send.event(event)
        assert sent.status == 200
        bot_ts = self.api.wait_until(
            lambda: [m["ts"] for m in self.api.messages.get(channel, [])
                     if m.get("bot_id") and m.get("thread_ts") == ts], 60, "placeholder")
        self.api.wait_for("chat.update", where=lambda c: c.params.get("ts") in bot_ts)
        calls = [c.params for c in self.api.calls
                 if c.params.get("channel") == channel and (c.params.get("thread_ts") == ts
                                                            or c.params.get("ts") in bot_ts)]
        return json.dumps(calls)


@pytest.fixture(scope="module")
def slack(marked, tmp_path_factory):
    root = tmp_path_factory.mktemp("slack-access")
    policy = root / "policy.yaml"
    policy.write_text(POLICY)
    api = MockSlackAPI().start()
    api.shared_channels = {"C0EXTERNAL"}
    api.usergroups = {"S0ANALYST": ["U0ANALYST"]}
    settings = make_settings(root / "data", slack_bot_token="xoxb-access-test",
                             slack_signing_secret=SECRET, slack_api_url=api.url,
                             audience_policy=policy, clearance="OFFICIAL")
    app = build_app(settings, marked.qa, WebClient(token="xoxb-access-test", base_url=api.url))
    with serve_signed(app, SECRET) as sender:
        yield Slack(api, sender, app)
    api.stop()


CABLE = "marked/us-cable-maritime-pilot.txt"
BRIEF = "marked/au-brief-liaison-rotation.md"
BULLETIN = "marked/official-scam-bulletin.md"


def shows(slack_text: str, marked, source: str) -> bool:
    return source in slack_text or marked.manifest.document(source).title in slack_text


def test_slack_channel_gets_the_channels_clearance_never_more_than_the_asker(slack, marked):
    q = EXPECTED[CABLE][2]
    assert not shows(slack.ask("C0OFFICIAL", "U0CLEARED", q), marked, CABLE)
    assert shows(slack.ask("C0SECRETS", "U0CLEARED", q), marked, CABLE)
    assert not shows(slack.ask("C0SECRETS", "UOFFICER1", q), marked, CABLE)  # asker: default


def test_slack_dm_gets_the_users_own_clearance(slack, marked):
    q = EXPECTED[CABLE][2]
    assert shows(slack.ask("D0CLEARED", "U0CLEARED", q, dm=True), marked, CABLE)
    assert not shows(slack.ask("D0OFFICER", "UOFFICER1", q, dm=True), marked, CABLE)


def test_slack_user_group_grants_its_clearance_and_caveats(slack, marked):
    q = EXPECTED[BRIEF][2]
    assert shows(slack.ask("D0ANALYST", "U0ANALYST", q, dm=True), marked, BRIEF)
    assert not shows(slack.ask("D0OFFICER", "UOFFICER1", q, dm=True), marked, BRIEF)


def test_slack_connect_channel_gets_the_lower_shared_default(slack, marked):
    q = EXPECTED[BULLETIN][2]
    assert shows(slack.ask("C0INTERNAL", "U0CLEARED", q), marked, BULLETIN)  # default OFFICIAL
    assert not shows(slack.ask("C0EXTERNAL", "U0CLEARED", q), marked, BULLETIN)
    assert slack.api.calls_to("conversations.info", lambda c: c.params["channel"] == "C0EXTERNAL")


def test_slash_answer_is_private_at_the_askers_level_and_share_is_rechecked(slack, marked):
    q = EXPECTED[CABLE][2]
    sent = slack.send.command(q, "U0CLEARED", "C0OFFICIAL", slack.api.response_url("priv"))
    assert sent.status == 200
    [private] = slack.api.wait_for("response_url", where=lambda c: c.params["_name"] == "priv"
                                   and c.params.get("blocks"))
    assert private.params["response_type"] == "ephemeral"
    assert shows(json.dumps(private.params), marked, CABLE)
    answer_id = {el["action_id"]: el["value"] for b in private.params["blocks"]
                 if b["type"] == "actions" for el in b["elements"]}["accord_share"]
    before = len(slack.api.calls_to("chat.postMessage",
                                    lambda c: c.params["channel"] == "C0OFFICIAL"))
    slack.send.block_action("accord_share", answer_id, "U0CLEARED", "C0OFFICIAL",
                            slack.api.response_url("share-refused"), ephemeral=True)
    [refusal] = slack.api.wait_for("response_url",
                                   where=lambda c: c.params["_name"] == "share-refused")
    assert refusal.params["response_type"] == "ephemeral" and "Not shared" in refusal.params["text"]
    posted = slack.api.calls_to("chat.postMessage", lambda c: c.params["channel"] == "C0OFFICIAL")
    assert len(posted) == before and not shows(json.dumps([c.params for c in posted]), marked,
                                               CABLE)
    # an answer resting only on what the channel may see is shared
    q2 = EXPECTED[BULLETIN][2]
    slack.send.command(q2, "U0CLEARED", "C0OFFICIAL", slack.api.response_url("priv2"))
    [private2] = slack.api.wait_for("response_url", where=lambda c: c.params["_name"] == "priv2"
                                    and c.params.get("blocks"))
    answer_id = {el["action_id"]: el["value"] for b in private2.params["blocks"]
                 if b["type"] == "actions" for el in b["elements"]}["accord_share"]
    slack.send.block_action("accord_share", answer_id, "U0CLEARED", "C0OFFICIAL",
                            slack.api.response_url("share-ok"), ephemeral=True)
    slack.api.wait_for("chat.postMessage", count=before + 1,
                       where=lambda c: c.params["channel"] == "C0OFFICIAL")


def test_every_answer_leaves_one_audit_row_and_the_export_round_trips(slack, marked, tmp_path):
    ask_json(marked, EXPECTED[BULLETIN][2], "--clearance", "OFFICIAL")  # and one from the CLI
    rows = list(marked.audit.rows())
    answers = [r for r in rows if r["kind"] == "answer"]
    slack_rows = [r for r in answers if r["front_end"] == "slack"]
    # 3 + 2 + 2 + 2 questions in threads and DMs, 2 private /accord answers
    assert len(slack_rows) == 11
    assert {r["conversation"] for r in slack_rows} >= {"C0OFFICIAL", "C0SECRETS", "D0CLEARED",
                                                        "C0EXTERNAL"}
    assert any(r["front_end"] == "cli" for r in answers)
    refused = [r for r in rows if r["kind"] == "share_refused"]
    assert len(refused) == 1 and refused[0]["cited"][0]["source"] == CABLE
    assert [r["kind"] for r in rows].count("share") == 1
    cable_row = next(r for r in slack_rows if r["conversation"] == "C0SECRETS"
                     and r["user"] == "U0CLEARED")
    assert cable_row["clearance"] == "SECRET" and "NOFORN" in cable_row["caveats"]
    assert any(x["source"] == CABLE and x["marking"] == "SECRET" for x in cable_row["listed"])
    for fmt in ("jsonl", "csv"):
        out = tmp_path / f"audit.{fmt}"
        r = run(marked, "audit", "export", "--format", fmt, "--out", str(out))
        assert r.exit_code == 0, r.output
        text = out.read_text()
        back = ([json.loads(line) for line in text.splitlines()] if fmt == "jsonl"
                else read_csv_export(io.StringIO(text)))
        assert back == rows
        assert "xoxb-access-test" not in text and SECRET not in text
    r = run(marked, "audit", "export", "--since", "2999-01-01")
    assert r.exit_code == 0 and r.stdout == ""


