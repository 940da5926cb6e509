"""Documents sent to the bot in a DM, through Slack's real protocol: files.info and the download
(with the bot token) from the recording server, the marking shown for confirmation, the file
filed and indexed by the real sync into a real index, and then a question answered from it."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.app import build_app
from bot.listeners.uploads import CANCEL_ACTION, CONFIRM_ACTION
from bot.server import EVENTS_PATH, make_http_server, serve_in_thread
from bot.uploads import PENDING_PREFIX
from tests.conftest import SAMPLES, make_settings
from tests.mock_slack_api import MockSlackAPI, SignedSender

SECRET = "3c5d7e9f11a2b4c6d8e0f1a3b5c7d9e1"
TOKEN = "xoxb-accord-test"
ADMIN = "UADMIN01"
OFFICER = "UOFFICER1"
NAME = "fisheries-liaison-2026.md"
DOC = (
    b"OFFICIAL\n\n# Record of the Fisheries Liaison Meeting\n\nThe fisheries liaison meeting "
    b"was held in Port Aldric on 3 June 2026. The delegations agreed that the joint fisheries "
    b"patrol will begin on 1 September 2026 with four vessels.\n\nOFFICIAL\n"
)
QUESTION = "When will the joint fisheries patrol begin?"


class Uploads:
    def __init__(self, api: MockSlackAPI, send: SignedSender, docs: Path) -> None:
        self.api, self.send, self.docs = api, send, docs

    def share(
        self, user: str, files: list[tuple[str, bytes]], channel: str | None = None, **file_kw: Any
    ) -> str:
        """``user`` shares ``files`` with the bot in their DM; returns the message's ts."""
        channel = channel or f"D{user}"
        ids = [self.api.add_file(name, data, user=user, **file_kw) for name, data in files]
        ts = self.api.add_message(channel, "", user)
        shared = [{"id": fid, "name": name} for fid, (name, _) in zip(ids, files, strict=True)]
        event = {
            "type": "message",
            "subtype": "file_share",
            "channel_type": "im",
            "user": user,
            "text": "",
            "ts": ts,
            "channel": channel,
            "event_ts": ts,
            "files": shared,
        }
        sent, _ = self.send.event(event)
        assert sent.status == 200
        return ts

    def replies(self, channel: str, ts: str, n: int = 1) -> list[Any]:
        return self.api.wait_for(
            "chat.postMessage",
            n,
            timeout=60,
            where=lambda c: c.params.get("channel") == channel and c.params.get("thread_ts") == ts,
        )

    def click(self, action_id: str, reply: Any, user: str = ADMIN) -> None:
        value = next(
            el["value"]
            for b in reply.params["blocks"]
            if b["type"] == "actions"
            for el in b["elements"]
            if el["action_id"] == action_id
        )
        sent = self.send.block_action(
            action_id,
            value,
            user,
            reply.params["channel"],
            self.api.response_url(f"{action_id}-{time.time()}"),
            message_ts=self._ts_of(reply),
            thread_ts=reply.params["thread_ts"],
        )
        assert sent.status == 200

    def _ts_of(self, reply: Any) -> str:
        """The ts Slack gave the message ``reply`` posted: the bot's n-th post in the thread."""
        channel, thread = reply.params["channel"], reply.params["thread_ts"]
        posts = self.api.calls_to(
            "chat.postMessage",
            lambda c: c.params.get("channel") == channel and c.params.get("thread_ts") == thread,
        )
        mine = [
            m["ts"]
            for m in self.api.messages[channel]
            if m.get("bot_id") and m.get("thread_ts") == thread
        ]
        return mine[posts.index(reply)]

    def pending(self) -> list[str]:
        return sorted(p.name for p in self.docs.iterdir() if p.name.startswith(PENDING_PREFIX))


@pytest.fixture(scope="module")
def uploads(tmp_path_factory, embedder):
    from accord.runtime import Runtime

    root = tmp_path_factory.mktemp("slack-uploads")
    docs = root / "docs"
    docs.mkdir()
    for name in ("press-statement-jwc-2024-03.txt", "press-statement-jwc-2024-03.txt.meta.yaml"):
        shutil.copy(SAMPLES / name, docs / name)
    api = MockSlackAPI().start()
    api.file_token = TOKEN
    settings = make_settings(
        root / "data",
        slack_bot_token=TOKEN,
        slack_signing_secret=SECRET,
        slack_api_url=api.url,
        admin_users=f"{ADMIN}, UOTHERADMIN",
        docs_dir=docs,
    )
    rt = Runtime(settings, embedder=embedder)
    assert not rt.syncer().run(docs).failed
    app = build_app(
        settings,
        rt.qa,
        WebClient(token=TOKEN, base_url=api.url),
        reindex=lambda folder: rt.syncer().run(folder),
    )
    server = make_http_server(app, "127.0.0.1", 0)
    serve_in_thread(server)
    yield Uploads(
        api, SignedSender(f"http://127.0.0.1:{server.server_port}{EVENTS_PATH}", SECRET), docs
    )
    server.shutdown()
    server.server_close()
    api.stop()
    rt.close()


def test_admin_upload_is_shown_confirmed_indexed_and_answered_from(uploads):
    # other tests of the module may have run first: only what this one caused is counted
    downloads_before = len(uploads.api.calls_to("file_download"))
    pending_before = set(uploads.pending())
    ts = uploads.share(ADMIN, [(NAME, DOC)])
    [offer] = uploads.replies(f"D{ADMIN}", ts)
    shown = offer.params["blocks"][0]["text"]["text"]
    assert f"*{NAME}*" in shown and "*Marking:* OFFICIAL" in shown
    assert "text (line 1): 'OFFICIAL'" in shown  # the evidence, as `accord markings` gives it
    [download] = uploads.api.calls_to("file_download")[downloads_before:]
    assert download.headers["authorization"] == f"Bearer {TOKEN}"
    assert not (uploads.docs / NAME).exists()
    assert len(set(uploads.pending()) - pending_before) == 1  # held, not filed yet

    uploads.click(CONFIRM_ACTION, offer)
    _, result = uploads.replies(f"D{ADMIN}", ts, n=2)
    assert f"`{NAME}` is indexed, marked OFFICIAL" in result.params["text"]
    assert "added 1" in result.params["text"] and "failed 0" in result.params["text"]
    assert (uploads.docs / NAME).read_bytes() == DOC
    assert not set(uploads.pending()) - pending_before

    q_ts = uploads.api.add_message(f"D{ADMIN}", QUESTION, ADMIN)
    uploads.send.event(
        {
            "type": "message",
            "channel_type": "im",
            "user": ADMIN,
            "ts": q_ts,
            "text": QUESTION,
            "channel": f"D{ADMIN}",
            "event_ts": q_ts,
        }
    )
    answer = uploads.api.wait_for(
        "chat.update",
        timeout=60,
        where=lambda c: (
            c.params.get("channel") == f"D{ADMIN}" and "1 September 2026" in json.dumps(c.params)
        ),
    )
    assert NAME in json.dumps(answer[0].params["blocks"])


def test_non_admin_upload_is_refused_with_who_can_add(uploads):
    ts = uploads.share(OFFICER, [("minutes-draft.md", b"# Draft minutes\n\nNothing yet.\n")])
    [reply] = uploads.replies(f"D{OFFICER}", ts)
    text = reply.params["text"]
    assert "Only Accord's administrators can add documents" in text
    assert f"<@{ADMIN}>" in text and "<@UOTHERADMIN>" in text
    assert not uploads.api.calls_to(
        "files.info", lambda c: uploads.api.files.get(c.params["file"], {}).get("user") == OFFICER
    )
    assert not (uploads.docs / "minutes-draft.md").exists() and uploads.pending() == []


def test_same_name_upload_never_overwrites(uploads):
    first = b"# Liaison note\n\nThe first version.\n"
    (uploads.docs / "liaison-note.md").write_bytes(first)
    newer = b"# Liaison note\n\nThe second version, with the new liaison officer named.\n"
    ts = uploads.share(ADMIN, [("liaison-note.md", newer)])
    [offer] = uploads.replies(f"D{ADMIN}", ts)
    assert "will be added as `liaison-note-2.md`" in offer.params["blocks"][0]["text"]["text"]
    uploads.click(CONFIRM_ACTION, offer)
    uploads.replies(f"D{ADMIN}", ts, n=2)
    assert (uploads.docs / "liaison-note.md").read_bytes() == first
    assert (uploads.docs / "liaison-note-2.md").read_bytes() == newer
    # the same bytes again: nothing to add, nothing written
    ts = uploads.share(ADMIN, [("liaison-note.md", newer)])
    [reply] = uploads.replies(f"D{ADMIN}", ts)
    assert "`liaison-note-2.md` is already in the documents folder" in reply.params["text"]
    assert uploads.pending() == [] and not (uploads.docs / "liaison-note-3.md").exists()


def test_bad_files_are_reported_by_name_with_the_reason(uploads):
    ts = uploads.share(ADMIN, [("photo.exe", b"MZ\x90\x00"), ("broken.pdf", b"%PDF-1.4 not")])
    replies = uploads.replies(f"D{ADMIN}", ts, n=2)
    texts = sorted(r.params["text"] for r in replies)
    assert "`broken.pdf` cannot be added" in texts[0]
    assert "`photo.exe` cannot be added: unsupported file type '.exe'" in texts[1]
    ts = uploads.share(ADMIN, [("annual-report.pdf", b"%PDF-1.4")], size=200 * 1024 * 1024)
    [big] = uploads.replies(f"D{ADMIN}", ts)
    assert "`annual-report.pdf` cannot be added: file too large: 200.0 MB" in big.params["text"]
    uploads.api.file_token = "xoxb-some-other-app"  # Slack will not accept the bot's token
    try:
        ts = uploads.share(ADMIN, [("refused.md", b"# Refused\n\nText.\n")])
        [refused] = uploads.replies(f"D{ADMIN}", ts)
    finally:
        uploads.api.file_token = TOKEN
    assert (
        "`refused.md` cannot be added: download refused by Slack (HTTP 403)"
        in (refused.params["text"])
    )
    assert uploads.pending() == []
    for name in ("photo.exe", "broken.pdf", "annual-report.pdf", "refused.md"):
        assert not (uploads.docs / name).exists()


def test_cancelled_upload_is_not_filed(uploads):
    ts = uploads.share(ADMIN, [("withdrawn-note.md", b"# Withdrawn\n\nA note.\n")])
    [offer] = uploads.replies(f"D{ADMIN}", ts)
    assert len(uploads.pending()) == 1
    uploads.click(CANCEL_ACTION, offer)
    uploads.api.wait_for("chat.update", where=lambda c: "Cancelled" in c.params.get("text", ""))
    assert uploads.pending() == [] and not (uploads.docs / "withdrawn-note.md").exists()
    uploads.click(CONFIRM_ACTION, offer)  # a late click on the same offer files nothing
    time.sleep(0.5)  # grace for a wrong filing to show up; a pass cannot turn into a failure
    assert not (uploads.docs / "withdrawn-note.md").exists()


def test_upload_results_reach_only_those_who_may_read_the_marking(uploads):
    """A confirmation clicked where not everyone may read the document's marking (here a Slack
    Connect channel: the bottom of the ladder without a policy file) sends the results to the
    admin alone; nothing is posted there."""
    name = "outside-liaison-note.md"
    ts = uploads.share(ADMIN, [(name, DOC.replace(b"fisheries", b"coastal"))])
    [offer] = uploads.replies(f"D{ADMIN}", ts)
    value = next(
        el["value"]
        for b in offer.params["blocks"]
        if b["type"] == "actions"
        for el in b["elements"]
        if el["action_id"] == CONFIRM_ACTION
    )
    uploads.api.shared_channels.add("C0CONNECT")
    uploads.api.members["C0CONNECT"] = [ADMIN]
    uploads.send.block_action(
        CONFIRM_ACTION,
        value,
        ADMIN,
        "C0CONNECT",
        uploads.api.response_url("outside"),
        message_ts=ts,
        thread_ts=ts,
    )
    private = uploads.api.wait_for(
        "response_url", 3, timeout=60, where=lambda c: c.params["_name"] == "outside"
    )
    assert {c.params["response_type"] for c in private} == {"ephemeral"}
    assert any(f"`{name}` is indexed, marked OFFICIAL" in c.params["text"] for c in private)
    assert (uploads.docs / name).exists()
    assert not [
        c
        for c in uploads.api.calls
        if c.method.startswith("chat.") and c.params.get("channel") == "C0CONNECT"
    ]
