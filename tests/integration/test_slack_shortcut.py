"""The message shortcut "Ask Accord about this" through Slack's real protocol, over the index of
marked documents: in the message's thread for the channel's audience, privately for the asker's
own when the channel's audience is not known or the bot cannot post there, and audited."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.listeners.shortcuts import ASK_SHORTCUT
from tests.integration.access_common import EXPECTED
from tests.integration.test_access_slack import (  # slack: the fixture, used by name
    BULLETIN,
    CABLE,
    shows,
    slack,  # noqa: F401
)
from tests.mock_slack_api import MockSlackAPI, SignedSender

CLEARED = "U0CLEARED"  # TOP SECRET in the policy
OFFICER = "UOFFICER1"  # the default, OFFICIAL


class Shortcut:
    def __init__(self, api: MockSlackAPI, send: SignedSender) -> None:
        self.api, self.send = api, send

    def use(
        self,
        channel: str,
        user: str,
        text: str,
        name: str,
        thread_ts: str | None = None,
        writer: str = "UWRITER1",
    ) -> str:
        """Use the shortcut on a new message by ``writer`` with ``text``; returns the message's
        ts. (The recording server counts whoever wrote in a channel among its members.)"""
        ts = self.api.add_message(channel, text, writer, thread_ts)
        message = {"type": "message", "user": writer, "text": text, "ts": ts}
        if thread_ts:
            message["thread_ts"] = thread_ts
        sent = self.send.message_shortcut(
            ASK_SHORTCUT, user, channel, message, self.api.response_url(name)
        )
        assert sent.status == 200
        return ts

    def in_thread(self, channel: str, thread_ts: str) -> list[Any]:
        """The answer that replaced the bot's placeholder in the thread (waits for it)."""
        self.api.wait_for(
            "chat.postMessage",
            where=lambda c: (
                c.params.get("channel") == channel and c.params.get("thread_ts") == thread_ts
            ),
            timeout=60,
        )
        ts = {
            m["ts"]
            for m in self.api.messages[channel]
            if m.get("bot_id") and m.get("thread_ts") == thread_ts
        }
        return self.api.wait_for(
            "chat.update",
            where=lambda c: c.params.get("channel") == channel and c.params.get("ts") in ts,
            timeout=60,
        )


@pytest.fixture(scope="module")
def shortcut(request):
    """The app of the access tests (policy, marked index, recording server), shortcut in hand."""
    app = request.getfixturevalue("slack")
    return Shortcut(app.api, app.send)


def test_shortcut_answers_in_the_messages_thread_for_the_channels_audience(shortcut, marked):
    q = EXPECTED[CABLE][2]  # the answer rests on a SECRET NOFORN cable
    ts = shortcut.use("C0SECRETS", CLEARED, q, "secrets", writer=CLEARED)  # all cleared there
    [answer] = shortcut.in_thread("C0SECRETS", ts)
    shown = json.dumps(answer.params)
    assert f"<@{CLEARED}> asked about this message" in shown
    assert shows(shown, marked, CABLE)
    # the same message in an OFFICIAL channel: the cable stays out, however cleared the asker
    ts = shortcut.use("C0OFFICIAL", CLEARED, q, "official")
    [answer] = shortcut.in_thread("C0OFFICIAL", ts)
    assert not shows(json.dumps(answer.params), marked, CABLE)
    assert not shortcut.api.calls_to(
        "response_url", lambda c: c.params["_name"] in ("secrets", "official")
    )


def test_shortcut_on_a_reply_answers_in_that_thread(shortcut, marked):
    root = shortcut.api.add_message("C0OFFICIAL", "Scam bulletins, anyone?")
    shortcut.use("C0OFFICIAL", OFFICER, EXPECTED[BULLETIN][2], "reply", thread_ts=root)
    [answer] = shortcut.in_thread("C0OFFICIAL", root)
    assert shows(json.dumps(answer.params), marked, BULLETIN)


def test_shortcut_where_the_channels_audience_is_unknown_answers_privately(shortcut, marked):
    shortcut.api.fail_once("conversations.info", "channel_not_found", channel="G0PRIVATE")
    shortcut.use("G0PRIVATE", CLEARED, EXPECTED[CABLE][2], "unknown")
    [private] = shortcut.api.wait_for(
        "response_url",
        timeout=60,
        where=lambda c: c.params["_name"] == "unknown" and c.params.get("blocks"),
    )
    assert private.params["response_type"] == "ephemeral"
    assert shows(json.dumps(private.params), marked, CABLE)  # the asker's own audience
    assert not shortcut.api.calls_to(
        "chat.postMessage", lambda c: c.params.get("channel") == "G0PRIVATE"
    )


def test_shortcut_where_the_bot_cannot_post_answers_privately(shortcut, marked):
    shortcut.api.not_in_channels.add("C0NOTMEMBER")
    shortcut.use("C0NOTMEMBER", OFFICER, EXPECTED[BULLETIN][2], "notmember")
    [private] = shortcut.api.wait_for(
        "response_url",
        timeout=60,
        where=lambda c: c.params["_name"] == "notmember" and c.params.get("blocks"),
    )
    assert private.params["response_type"] == "ephemeral"
    assert shows(json.dumps(private.params), marked, BULLETIN)


def test_shortcut_on_a_message_without_text_says_so(shortcut):
    shortcut.use("C0OFFICIAL", OFFICER, "", "notext")
    [reply] = shortcut.api.wait_for("response_url", where=lambda c: c.params["_name"] == "notext")
    assert reply.params["response_type"] == "ephemeral" and "no text" in reply.params["text"]


def test_shortcut_answers_are_audited_with_their_audience(shortcut, marked):
    q = EXPECTED[CABLE][2]  # asked here in three places, whichever tests ran before
    for channel, writer in (("C0SECRETS", CLEARED), ("C0OFFICIAL", "UWRITER1")):
        ts = shortcut.use(channel, CLEARED, q, f"audit-{channel}", writer=writer)
        shortcut.in_thread(channel, ts)
    shortcut.api.fail_once("conversations.info", "channel_not_found", channel="G0PRIVATE")
    shortcut.use("G0PRIVATE", CLEARED, q, "audit-unknown")
    shortcut.api.wait_for(
        "response_url",
        timeout=60,
        where=lambda c: c.params["_name"] == "audit-unknown" and c.params.get("blocks"),
    )
    rows = [
        r
        for r in marked.audit.rows()
        if r["kind"] == "answer"
        and r["front_end"] == "slack"
        and r["question"] == EXPECTED[CABLE][2]
    ]
    by_place = {r["conversation"]: r for r in rows}
    assert by_place["C0SECRETS"]["clearance"] == "SECRET"
    assert by_place["C0OFFICIAL"]["clearance"] == "OFFICIAL"
    assert by_place["G0PRIVATE"]["clearance"] == "TOP SECRET"  # private: the asker's own


def test_manifest_declares_the_shortcut_and_the_scopes_it_and_uploads_need():
    from pathlib import Path

    import yaml

    import bot as bot_package

    manifest = yaml.safe_load(
        (Path(bot_package.__file__).parent / "manifest.yml").read_text(encoding="utf-8")
    )
    [shortcut_entry] = manifest["features"]["shortcuts"]
    assert (shortcut_entry["type"], shortcut_entry["callback_id"]) == ("message", ASK_SHORTCUT)
    assert len(shortcut_entry["name"]) <= 24  # Slack's limit for a shortcut's name
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"files:read", "channels:read", "groups:read"} <= scopes
