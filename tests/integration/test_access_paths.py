"""Every place the bot posts, in every kind of conversation, over Slack's real protocol (signed
requests in, a recording Web API out), with two real DFAT cables: one marked SECRET and one TOP
SECRET PERSONAL (../shared/corpus/dfat, volume 21).

The table: posting paths (a mention, a thread follow-up, a DM, an assistant thread, a message
shortcut, a private ``/accord`` answer and its Share, the Home tab) against audience kinds (a
channel, a channel with a member cleared lower, the asker's DM with the bot, a DM between two
people cleared alike or not, a group DM, a Slack Connect channel listed above
``shared_default``, a conversation Slack cannot describe). For each cell, whatever reaches the
conversation shows neither cable above the conversation's audience, and shows each cable the
audience may read (so the test can fail); whatever only the asker sees is at the asker's level.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from typing import Any

import pytest
from slack_sdk import WebClient

from accord.runtime import Runtime
from bot.app import build_app
from bot.listeners.actions import UNESTABLISHED_TEXT
from bot.listeners.shortcuts import ASK_SHORTCUT
from tests.conftest import CORPUS, SAMPLES, make_settings
from tests.mock_slack_api import BOT_USER_ID, TEAM_ID, MockSlackAPI, serve_signed

VOLUME = CORPUS / "dfat" / "volume-21-the-anzus-treaty"
TOP = "81-message-1-from-spender-to-dulles.md"  # TOP SECRET PERSONAL
SEC = "82-message-1-from-dulles-to-spender.md"  # SECRET
pytestmark = pytest.mark.skipif(not (VOLUME / TOP).is_file(), reason=f"{VOLUME} is not there")
SIGNING = "paths-signing-secret-0123456789abcd"

# Each cable: a question from its own sentence, and what shows it in a reply (title or source).
ASK = {
    TOP: "Which arrangement would receive the whole-hearted support of the United Kingdom?",
    SEC: "Which part of the Canberra draft seemed too broad?",
}
SIGNS = {
    TOP: ("Spender to Dulles", "spender-to-dulles"),
    SEC: ("Dulles to Spender", "dulles-to-spender"),
}

ALICE, BOB, SAM, OLLIE = "U0TOPSEC1", "U0TOPSEC2", "U0SECRET1", "U0OFFICER"
POLICY = """\
default: OFFICIAL
shared_default: UNMARKED
channels:
  C0TOPSECR: {clearance: TOP SECRET, caveats: [PERSONAL]}
  C0SECRET0: SECRET
  C0CONNECT: {clearance: TOP SECRET, caveats: [PERSONAL]}
users:
  U0TOPSEC1: {clearance: TOP SECRET, caveats: [PERSONAL]}
  U0TOPSEC2: {clearance: TOP SECRET, caveats: [PERSONAL]}
  U0SECRET1: SECRET
"""
# conversation -> (kind, members, the cables its audience may read); ALICE asks everywhere
PLACES: dict[str, tuple[str, list[str], set[str]]] = {
    "C0TOPSECR": ("channel", [BOT_USER_ID, ALICE, BOB], {TOP, SEC}),
    "C0SECRET0": ("channel", [BOT_USER_ID, ALICE, SAM], {SEC}),
    "C0LOWERED": ("channel", [BOT_USER_ID, ALICE, OLLIE], set()),
    "D0BOTDM01": ("bot_dm", [BOT_USER_ID, ALICE], {TOP, SEC}),
    "D0PEOPLE1": ("people_dm", [ALICE, BOB], {TOP, SEC}),
    "D0PEOPLE2": ("people_dm", [ALICE, SAM], {SEC}),
    "D0PEOPLE3": ("people_dm", [ALICE, OLLIE], set()),
    "G0GROUPDM": ("group_dm", [BOT_USER_ID, ALICE, BOB, SAM], {SEC}),
    "C0CONNECT": ("external", [BOT_USER_ID, ALICE, BOB], set()),
    "C0UNKNOWN": ("unknown", [BOT_USER_ID, ALICE, BOB], set()),  # conversations.info fails
    "D0PEOPLE4": ("unknown", [ALICE, BOB], set()),  # conversations.members fails
}
NOT_A_MEMBER = {"D0PEOPLE1", "D0PEOPLE2", "D0PEOPLE3", "D0PEOPLE4"}  # people's DMs: chat.* fails


class Bot:
    def __init__(self, api: MockSlackAPI, send: Any, app: Any) -> None:
        self.api, self.send, self.app = api, send, app
        self.n = 0

    def name(self) -> str:
        self.n += 1
        return f"r{self.n}"

    # -- what reached the conversation, and what reached the asker alone ----------------------
    def seen(self, channel: str, since: int, names: set[str]) -> tuple[str, str]:
        public, private = [], []
        for c in self.api.calls[since:]:
            if c.method == "response_url" and c.params.get("_name") in names:
                kind = c.params.get("response_type")
                (public if kind == "in_channel" else private).append(c.params)
            elif (
                c.status == 200
                and not c.error
                and channel in (c.params.get("channel"), c.params.get("channel_id"))
            ):
                public.append(c.params)
        return json.dumps(public), json.dumps(private)

    def settle(self, since: int) -> None:
        """Wait until the bot has been quiet for a moment after its last call."""
        last, quiet = len(self.api.calls), time.monotonic()
        while time.monotonic() - quiet < 1.5:
            time.sleep(0.1)
            if len(self.api.calls) != last:
                last, quiet = len(self.api.calls), time.monotonic()

    # -- the posting paths ---------------------------------------------------------------------
    def mention(self, channel: str, question: str) -> tuple[str, str]:
        since, t0 = len(self.api.calls), time.monotonic()
        text = f"<@{BOT_USER_ID}> {question}"
        ts = self.api.add_message(channel, text, ALICE)
        self.send.event(
            {
                "type": "app_mention",
                "user": ALICE,
                "text": text,
                "ts": ts,
                "channel": channel,
                "event_ts": ts,
            }
        )
        self.api.wait_for(
            "chat.update",
            where=lambda c: c.params.get("channel") == channel and c.at > t0,
            timeout=60,
        )
        return self.seen(channel, since, set())

    def follow_up(self, channel: str, question: str) -> tuple[str, str]:
        """A question in a thread the bot answered, without a mention."""
        self.mention(channel, "What is this index about?")
        root = next(m for m in reversed(self.api.messages[channel]) if not m.get("bot_id"))
        since, t0 = len(self.api.calls), time.monotonic()
        ts = self.api.add_message(channel, question, ALICE, thread_ts=root["ts"])
        self.send.event(
            {
                "type": "message",
                "channel_type": "channel",
                "user": ALICE,
                "text": question,
                "ts": ts,
                "thread_ts": root["ts"],
                "channel": channel,
                "event_ts": ts,
            }
        )
        self.api.wait_for(
            "chat.update",
            where=lambda c: c.params.get("channel") == channel and c.at > t0,
            timeout=60,
        )
        return self.seen(channel, since, set())

    def dm(self, channel: str, question: str) -> tuple[str, str]:
        since, t0 = len(self.api.calls), time.monotonic()
        ts = self.api.add_message(channel, question, ALICE)
        self.send.event(
            {
                "type": "message",
                "channel_type": "im",
                "user": ALICE,
                "text": question,
                "ts": ts,
                "channel": channel,
                "event_ts": ts,
            }
        )
        self.api.wait_for(
            "chat.update",
            where=lambda c: c.params.get("channel") == channel and c.at > t0,
            timeout=60,
        )
        return self.seen(channel, since, set())

    def assistant(self, channel: str, question: str) -> tuple[str, str]:
        since, t0 = len(self.api.calls), time.monotonic()
        thread_ts = self.api.next_ts()
        self.send.event(
            {
                "type": "assistant_thread_started",
                "event_ts": thread_ts,
                "assistant_thread": {
                    "user_id": ALICE,
                    "channel_id": channel,
                    "thread_ts": thread_ts,
                    "context": {},
                },
            }
        )
        self.api.wait_until(
            lambda: (channel, thread_ts) in self.api.assistant_threads, 30, "the thread's prompts"
        )
        ts = self.api.add_message(channel, question, ALICE, thread_ts)
        self.send.event(
            {
                "type": "message",
                "channel_type": "im",
                "user": ALICE,
                "text": question,
                "ts": ts,
                "channel": channel,
                "event_ts": ts,
                "thread_ts": thread_ts,
                "parent_user_id": BOT_USER_ID,
                "team": TEAM_ID,
            }
        )
        self.api.wait_for(
            "chat.stopStream",
            where=lambda c: c.params.get("channel") == channel and c.at > t0,
            timeout=60,
        )
        return self.seen(channel, since, set())

    def shortcut(self, channel: str, question: str) -> tuple[str, str]:
        since, name, t0 = len(self.api.calls), self.name(), time.monotonic()
        ts = self.api.add_message(channel, question, BOB if channel != "C0SECRET0" else SAM)
        message = {"type": "message", "user": BOB, "text": question, "ts": ts}
        self.send.message_shortcut(
            ASK_SHORTCUT, ALICE, channel, message, self.api.response_url(name)
        )
        self.api.wait_until(
            lambda: (
                self.api.calls_to(
                    "response_url", lambda c: c.params["_name"] == name and c.params.get("blocks")
                )
                or self.api.calls_to(
                    "chat.update", lambda c: c.params.get("channel") == channel and c.at > t0
                )
            ),
            60,
            "the shortcut's answer",
        )
        return self.seen(channel, since, {name})

    def share(self, channel: str, question: str) -> tuple[str, str]:
        """``/accord`` (a private answer at the asker's level), then Share."""
        since, first, second = len(self.api.calls), self.name(), self.name()
        self.send.command(question, ALICE, channel, self.api.response_url(first))
        [private] = self.api.wait_for(
            "response_url",
            timeout=60,
            where=lambda c: c.params["_name"] == first and c.params.get("blocks"),
        )
        assert private.params["response_type"] == "ephemeral"
        answer_id = {
            el["action_id"]: el["value"]
            for b in private.params["blocks"]
            if b["type"] == "actions"
            for el in b["elements"]
        }["accord_share"]
        self.send.block_action(
            "accord_share", answer_id, ALICE, channel, self.api.response_url(second), ephemeral=True
        )
        self.api.wait_until(
            lambda: (
                self.api.calls_to("response_url", lambda c: c.params["_name"] == second)
                or self.api.calls_to(
                    "chat.postMessage",
                    lambda c: c.params.get("channel") == channel and c.at > private.at,
                )
            ),
            60,
            "the share",
        )
        self.settle(since)
        public, _ = self.seen(channel, since, {second})
        return public, json.dumps(private.params)


@pytest.fixture(scope="module")
def bot(tmp_path_factory, embedder):
    root = tmp_path_factory.mktemp("paths")
    docs = root / "docs"
    shutil.copytree(SAMPLES, docs)
    (docs / "dfat").mkdir()
    for name in (TOP, SEC):
        shutil.copy(VOLUME / name, docs / "dfat" / name)
    rt = Runtime(make_settings(root / "data", clearance="OFFICIAL"), embedder=embedder)
    assert not rt.syncer().run(docs).failed
    marks = {
        d["source"].rsplit("/", 1)[-1]: (d["marking"], d["caveats"]) for d in rt.manifest.markings()
    }
    assert marks[TOP][0] == "TOP SECRET" and marks[TOP][1] and marks[SEC] == ("SECRET", [])
    policy = root / "policy.yaml"
    policy.write_text(POLICY)
    api = MockSlackAPI().start()
    api.shared_channels = {"C0CONNECT"}
    api.group_dms = {"G0GROUPDM"}
    api.not_in_channels = set(NOT_A_MEMBER)
    api.members = {cid: list(members) for cid, (_, members, _) in PLACES.items()}
    api.fail_always("conversations.info", "channel_not_found", channel="C0UNKNOWN")
    api.fail_always("conversations.members", "channel_not_found", channel="D0PEOPLE4")
    settings = make_settings(
        root / "data",
        slack_bot_token="xoxb-paths",
        clearance="OFFICIAL",
        slack_signing_secret=SIGNING,
        slack_api_url=api.url,
        audience_policy=policy,
    )
    with _capture("bot.audience") as warnings:
        app = build_app(settings, rt.qa, WebClient(token="xoxb-paths", base_url=api.url))
    with serve_signed(app, SIGNING) as sender:
        b = Bot(api, sender, app)
        b.rt, b.start_warnings = rt, warnings
        yield b
    api.stop()
    rt.close()


class _capture(logging.Handler):
    def __init__(self, name: str) -> None:
        super().__init__(logging.WARNING)
        self.logger, self.lines = logging.getLogger(name), []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    def __enter__(self) -> list[str]:
        self.logger.addHandler(self)
        return self.lines

    def __exit__(self, *exc: Any) -> None:
        self.logger.removeHandler(self)


def shows(text: str, cable: str) -> bool:
    return any(sign in text for sign in SIGNS[cable])


# (path, conversations it applies to): a mention needs the bot in the conversation; a DM and an
# assistant thread are the bot's own DM; a shortcut and a Share go anywhere.
TABLE = [
    ("mention", ["C0TOPSECR", "C0SECRET0", "C0LOWERED", "G0GROUPDM", "C0CONNECT", "C0UNKNOWN"]),
    ("follow_up", ["C0SECRET0", "C0CONNECT"]),
    ("dm", ["D0BOTDM01"]),
    ("assistant", ["D0BOTDM01"]),
    (
        "shortcut",
        [
            "C0TOPSECR",
            "C0SECRET0",
            "D0BOTDM01",
            "D0PEOPLE2",
            "G0GROUPDM",
            "C0CONNECT",
            "C0UNKNOWN",
            "D0PEOPLE4",
        ],
    ),
    ("share", list(PLACES)),
]


@pytest.mark.parametrize("path,channel", [(p, c) for p, cs in TABLE for c in cs])
def test_no_path_shows_a_cable_above_the_conversations_audience(bot, path, channel):
    kind, _, readable = PLACES[channel]
    # a shortcut answers privately, at the asker's level, where the bot cannot post or Slack
    # cannot say who is there
    private_only = path == "shortcut" and (channel in NOT_A_MEMBER or kind == "unknown")
    for cable in (TOP, SEC):
        public, private = getattr(bot, path)(channel, ASK[cable])
        if cable in readable and not private_only:
            assert shows(public, cable), f"{path} in {kind} {channel} should show {cable}"
        else:
            assert not shows(public, cable), f"{path} in {kind} {channel} leaked {cable}"
        if path == "share" or private_only:  # the asker alone sees her own level's answer
            assert shows(private, cable), f"{path} in {channel}: the asker should see {cable}"


def test_a_share_where_the_bot_is_not_a_member_goes_through_response_url(bot):
    public, _ = bot.share("D0PEOPLE1", ASK[SEC])  # two people cleared alike
    assert shows(public, SEC)
    assert bot.api.calls_to(
        "response_url",
        lambda c: (
            c.params["_name"] == f"r{bot.n}" and c.params.get("response_type") == "in_channel"
        ),
    )
    failed = [
        c
        for c in bot.api.calls
        if c.method == "chat.postMessage" and c.params.get("channel") == "D0PEOPLE1"
    ]
    assert failed and all(c.error == "not_in_channel" for c in failed)


def test_share_refusals_are_private_and_audited_with_their_reason(bot):
    before = [r for r in bot.rt.audit.rows() if r["kind"] == "share_refused"]
    public, _ = bot.share("D0PEOPLE3", ASK[SEC])  # the other person is cleared OFFICIAL
    assert not shows(public, SEC)
    assert not bot.api.calls_to(
        "response_url",
        lambda c: (
            c.params.get("response_type") == "in_channel" and c.params["_name"] == f"r{bot.n}"
        ),
    )
    public, _ = bot.share("C0UNKNOWN", ASK[SEC])  # nobody can say who is there
    refusal = bot.api.calls_to("response_url", lambda c: c.params["_name"] == f"r{bot.n}")
    assert refusal and refusal[-1].params["text"] == UNESTABLISHED_TEXT
    rows = [r for r in bot.rt.audit.rows() if r["kind"] == "share_refused"][len(before) :]
    assert [r["conversation"] for r in rows] == ["D0PEOPLE3", "C0UNKNOWN"]
    assert "above OFFICIAL" in rows[0]["note"] and "U0OFFICER" in rows[0]["audience_reason"]
    assert "not established" in rows[1]["note"] and rows[1]["clearance"] == "UNMARKED"


def test_a_slack_connect_channel_listed_above_shared_default_is_capped_and_warned(bot):
    [warning] = bot.start_warnings
    assert "policy.yaml:6" in warning and "C0CONNECT" in warning and "capped" in warning
    bot.mention("C0CONNECT", ASK[SEC])
    row = [r for r in bot.rt.audit.rows() if r["conversation"] == "C0CONNECT"][-1]
    assert row["clearance"] == "UNMARKED" and "capped at shared_default" in row["audience_reason"]


def test_the_home_tab_counts_what_the_viewer_may_read(bot):
    counts = {}
    for user in (ALICE, SAM, OLLIE):
        bot.send.event(
            {
                "type": "app_home_opened",
                "user": user,
                "channel": "D0HOME",
                "tab": "home",
                "event_ts": bot.api.next_ts(),
            }
        )
        view = bot.api.wait_until(lambda u=user: bot.api.home_views.get(u), 30, "Home")
        counts[user] = json.dumps(view)
    assert "TOP SECRET" in counts[ALICE] and "SECRET" in counts[SAM]
    assert "OFFICIAL" in counts[OLLIE] and "SECRET" not in counts[OLLIE]
