"""Access control through Slack's real protocol (signed requests in, a recording Web API server
out, answering conversations.info and usergroups.users.list): channel, DM, user group, Slack
Connect, a private answer whose Share is re-checked, and the audit record of every answer."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from slack_sdk import WebClient

from accord.access.audit import read_csv_export
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
        event = {
            "type": "message" if dm else "app_mention",
            "user": user,
            "text": text,
            "ts": ts,
            "channel": channel,
            "event_ts": ts,
        }
        if dm:
            event["channel_type"] = "im"
        sent, _ = self.send.event(event)
        assert sent.status == 200
        bot_ts = self.api.wait_until(
            lambda: [
                m["ts"]
                for m in self.api.messages.get(channel, [])
                if m.get("bot_id") and m.get("thread_ts") == ts
            ],
            60,
            "placeholder",
        )
        self.api.wait_for("chat.update", where=lambda c: c.params.get("ts") in bot_ts)
        calls = [
            c.params
            for c in self.api.calls
            if c.params.get("channel") == channel
            and (c.params.get("thread_ts") == ts or c.params.get("ts") in bot_ts)
        ]
        return json.dumps(calls)


@pytest.fixture(scope="module")
def slack(marked, tmp_path_factory):
    root = tmp_path_factory.mktemp("slack-access")
    policy = root / "policy.yaml"
    policy.write_text(POLICY)
    api = MockSlackAPI().start()
    api.shared_channels = {"C0EXTERNAL"}
    api.usergroups = {"S0ANALYST": ["U0ANALYST"]}
    settings = make_settings(
        root / "data",
        slack_bot_token="xoxb-access-test",
        slack_signing_secret=SECRET,
        slack_api_url=api.url,
        audience_policy=policy,
        clearance="OFFICIAL",
    )
    app = build_app(settings, marked.qa, WebClient(token="xoxb-access-test", base_url=api.url))
    with serve_signed(app, SECRET) as sender:
        yield Slack(api, sender, app)
    api.stop()


CABLE = "marked/us-cable-maritime-pilot.txt"
BRIEF = "marked/au-brief-liaison-rotation.md"
BULLETIN = "marked/official-scam-bulletin.md"


def shows(slack_text: str, marked, source: str) -> bool:
    return source in slack_text or marked.manifest.document(source).title in slack_text


def _private(slack, q: str, name: str) -> tuple[Any, str]:
    """/accord q in C0OFFICIAL by U0CLEARED: the private answer and its Share button's value."""
    sent = slack.send.command(q, "U0CLEARED", "C0OFFICIAL", slack.api.response_url(name))
    assert sent.status == 200
    [private] = slack.api.wait_for(
        "response_url", where=lambda c: c.params["_name"] == name and c.params.get("blocks")
    )
    answer_id = {
        el["action_id"]: el["value"]
        for b in private.params["blocks"]
        if b["type"] == "actions"
        for el in b["elements"]
    }["accord_share"]
    return private, answer_id


def _posted(slack) -> list:
    return slack.api.calls_to("chat.postMessage", lambda c: c.params["channel"] == "C0OFFICIAL")


@pytest.fixture(scope="module")
def conversations(slack, marked) -> dict[str, Any]:
    """Every Slack conversation of this module, had once (the tests below read what each
    returned, in any order): 9 questions in threads and DMs, 2 private /accord answers and
    their Shares (one refused, one posted)."""
    cable, brief, bulletin = EXPECTED[CABLE][2], EXPECTED[BRIEF][2], EXPECTED[BULLETIN][2]
    out: dict[str, Any] = {
        "official/cleared": slack.ask("C0OFFICIAL", "U0CLEARED", cable),
        "secrets/cleared": slack.ask("C0SECRETS", "U0CLEARED", cable),
        "secrets/officer": slack.ask("C0SECRETS", "UOFFICER1", cable),  # asker: default
        "dm/cleared": slack.ask("D0CLEARED", "U0CLEARED", cable, dm=True),
        "dm/officer": slack.ask("D0OFFICER", "UOFFICER1", cable, dm=True),
        "dm/analyst brief": slack.ask("D0ANALYST", "U0ANALYST", brief, dm=True),
        "dm/officer brief": slack.ask("D0OFFICER", "UOFFICER1", brief, dm=True),
        "internal": slack.ask("C0INTERNAL", "U0CLEARED", bulletin),  # default OFFICIAL
        "external": slack.ask("C0EXTERNAL", "U0CLEARED", bulletin),
    }
    private, answer_id = _private(slack, cable, "priv")
    before = len(_posted(slack))
    slack.send.block_action(
        "accord_share",
        answer_id,
        "U0CLEARED",
        "C0OFFICIAL",
        slack.api.response_url("share-refused"),
        ephemeral=True,
    )
    [refusal] = slack.api.wait_for(
        "response_url", where=lambda c: c.params["_name"] == "share-refused"
    )
    out.update(
        private=private, refusal=refusal, posted_after_refusal=_posted(slack), posted_before=before
    )
    # an answer resting only on what the channel may see is shared
    _, answer_id = _private(slack, bulletin, "priv2")
    slack.send.block_action(
        "accord_share",
        answer_id,
        "U0CLEARED",
        "C0OFFICIAL",
        slack.api.response_url("share-ok"),
        ephemeral=True,
    )
    out["shared"] = slack.api.wait_for(
        "chat.postMessage", count=before + 1, where=lambda c: c.params["channel"] == "C0OFFICIAL"
    )
    return out


def test_slack_channel_gets_the_channels_clearance_never_more_than_the_asker(conversations, marked):
    assert not shows(conversations["official/cleared"], marked, CABLE)
    assert shows(conversations["secrets/cleared"], marked, CABLE)
    assert not shows(conversations["secrets/officer"], marked, CABLE)


def test_slack_dm_gets_the_users_own_clearance(conversations, marked):
    assert shows(conversations["dm/cleared"], marked, CABLE)
    assert not shows(conversations["dm/officer"], marked, CABLE)


def test_slack_user_group_grants_its_clearance_and_caveats(conversations, marked):
    assert shows(conversations["dm/analyst brief"], marked, BRIEF)
    assert not shows(conversations["dm/officer brief"], marked, BRIEF)


def test_slack_connect_channel_gets_the_lower_shared_default(slack, conversations, marked):
    assert shows(conversations["internal"], marked, BULLETIN)
    assert not shows(conversations["external"], marked, BULLETIN)
    assert slack.api.calls_to("conversations.info", lambda c: c.params["channel"] == "C0EXTERNAL")


def test_slash_answer_is_private_at_the_askers_level_and_share_is_rechecked(conversations, marked):
    private, refusal = conversations["private"], conversations["refusal"]
    assert private.params["response_type"] == "ephemeral"
    assert shows(json.dumps(private.params), marked, CABLE)
    assert refusal.params["response_type"] == "ephemeral" and "Not shared" in refusal.params["text"]
    posted = conversations["posted_after_refusal"]
    assert len(posted) == conversations["posted_before"]
    assert not shows(json.dumps([c.params for c in posted]), marked, CABLE)
    assert conversations["shared"]  # the bulletin's answer was posted to the channel


def test_every_answer_leaves_one_audit_row_and_the_export_round_trips(
    conversations, marked, tmp_path
):
    ask_json(marked, EXPECTED[BULLETIN][2], "--clearance", "OFFICIAL")  # and one from the CLI
    rows = list(marked.audit.rows())
    answers = [r for r in rows if r["kind"] == "answer"]
    slack_rows = [r for r in answers if r["front_end"] == "slack"]
    # 3 + 2 + 2 + 2 questions in threads and DMs, 2 private /accord answers
    assert len(slack_rows) == 11
    assert {r["conversation"] for r in slack_rows} >= {
        "C0OFFICIAL",
        "C0SECRETS",
        "D0CLEARED",
        "C0EXTERNAL",
    }
    assert any(r["front_end"] == "cli" for r in answers)
    refused = [r for r in rows if r["kind"] == "share_refused"]
    assert len(refused) == 1 and refused[0]["cited"][0]["source"] == CABLE
    assert [r["kind"] for r in rows].count("share") == 1
    cable_row = next(
        r for r in slack_rows if r["conversation"] == "C0SECRETS" and r["user"] == "U0CLEARED"
    )
    assert cable_row["clearance"] == "SECRET" and "NOFORN" in cable_row["caveats"]
    assert any(x["source"] == CABLE and x["marking"] == "SECRET" for x in cable_row["listed"])
    for fmt in ("jsonl", "csv"):
        out = tmp_path / f"audit.{fmt}"
        r = run(marked, "audit", "export", "--format", fmt, "--out", str(out))
        assert r.exit_code == 0, r.output
        text = out.read_text()
        back = (
            [json.loads(line) for line in text.splitlines()]
            if fmt == "jsonl"
            else read_csv_export(io.StringIO(text))
        )
        assert back == rows
        assert "xoxb-access-test" not in text and SECRET not in text
    r = run(marked, "audit", "export", "--since", "2999-01-01")
    assert r.exit_code == 0 and r.stdout == ""
