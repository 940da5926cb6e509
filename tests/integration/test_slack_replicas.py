"""Two `accord bot --http` replicas behind one URL: each event is answered once.

First, two real processes share one data dir (so one claims database, ``bot.dedupe``) and one
recording Web API server. Then, as on two hosts: two processes with data dirs of their own, one
real Chroma server and one real PostgreSQL server, the index built by the ingest job from a
third. In both, one event is delivered to both replicas, then retried to both with
``X-Slack-Retry-Num``, all at once: exactly one placeholder and one answer reach Slack.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from bot.server import EVENTS_PATH
from tests.conftest import REPO, SAMPLES
from tests.integration.chroma_server import ChromaServer
from tests.integration.test_slack_bot import OFFICER, Q_SIGNED, SECRET, buttons
from tests.mock_slack_api import BOT_USER_ID, MockSlackAPI, SignedSender


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _start_replica(env: dict[str, str], cwd: str) -> tuple[subprocess.Popen, str]:
    """Start `accord bot --http` on a free port; return the process and its base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "accord.cli", "bot", "--http", "--host", "127.0.0.1", "--port", "0"],
        env=env,
        cwd=cwd,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: list[str] = []
    line = ""
    while "listening on" not in line:
        line = proc.stderr.readline()
        seen.append(line)
        assert line or proc.poll() is None, "a replica exited: " + "".join(seen)
    return proc, re.search(r"http://[\d.]+:\d+", line).group(0)


def _wait_ready(base: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, body = _get(base + "/readyz")
        if status == 200:
            return
        time.sleep(0.1)
    raise AssertionError(f"{base} never became ready: {body}")


def _deliver_to_both(api: MockSlackAPI, bases: list[str], channel: str, event_id: str) -> str:
    """Deliver one mention to both replicas, then retry it to both, all at once; check that
    one placeholder and one answer (the MoU's signature date) reach Slack. Returns its ts."""
    senders = [SignedSender(base + EVENTS_PATH, SECRET) for base in bases]
    ts = api.add_message(channel, f"<@{BOT_USER_ID}> {Q_SIGNED}")
    event = {
        "type": "app_mention",
        "user": OFFICER,
        "ts": ts,
        "event_ts": ts,
        "text": f"<@{BOT_USER_ID}> {Q_SIGNED}",
        "channel": channel,
    }
    deliveries = [(s, None) for s in senders] + [
        (s, {"X-Slack-Retry-Num": str(n), "X-Slack-Retry-Reason": "http_timeout"})
        for n in (1, 2)
        for s in senders
    ]
    with ThreadPoolExecutor(max_workers=len(deliveries)) as pool:
        sent = list(
            pool.map(lambda d: d[0].event(event, event_id=event_id, headers=d[1])[0], deliveries)
        )
    assert [s.status for s in sent] == [200] * len(deliveries)

    def in_thread(c):
        return c.params.get("channel") == channel and c.params.get("thread_ts") == ts

    [placeholder] = api.wait_for("chat.postMessage", where=in_thread, timeout=120)
    [answer] = api.wait_for(
        "chat.update", timeout=120, where=lambda c: c.params.get("channel") == channel
    )
    assert answer.params["ts"] == api.messages[channel][-1]["ts"]
    assert "14 November 2023" in json.dumps(answer.params["blocks"])
    time.sleep(1.0)  # grace for a second answer to show up; a pass cannot turn into a failure
    assert len(api.calls_to("chat.postMessage", in_thread)) == 1
    assert len(api.calls_to("chat.update", lambda c: c.params.get("channel") == channel)) == 1
    # both replicas were up and each took deliveries: the claim, not luck, kept it to one
    for base in bases:
        assert _get(base + "/healthz")[0] == 200
    return ts


def _stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        proc.wait(timeout=30)


def test_two_replicas_sharing_the_data_dir_answer_a_retried_event_once(sample_index, tmp_path):
    api = MockSlackAPI().start()
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "HF_HUB_OFFLINE": "1",
        "ACCORD_DATA_DIR": str(sample_index.settings.data_dir),
        "ACCORD_SLACK_SIGNING_SECRET": SECRET,
        "ACCORD_SLACK_BOT_TOKEN": "xoxb-test",
        "ACCORD_SLACK_API_URL": api.url,
        "ACCORD_CLEARANCE": "TOP SECRET",
    }
    procs: list[subprocess.Popen] = []
    try:
        bases = []
        for _ in range(2):
            proc, base = _start_replica(env, str(tmp_path))
            procs.append(proc)
            bases.append(base)
        for base in bases:
            _wait_ready(base)
        _deliver_to_both(api, bases, "CREPLICA", "EvREPLICA0001")
    finally:
        _stop(procs)
        api.stop()


NEW_DOC = """JOINT PRESS STATEMENT

Issued on 2 October 2026 after the Fourth Meeting of the Joint Working Committee

The Ministers agreed to hold the Fifth Meeting of the Joint Working Committee in Port Harlow in
May 2027.
"""


def _ask(api: MockSlackAPI, base: str, channel: str, question: str, event_id: str) -> str:
    """Mention the bot in ``channel`` through one replica; return the answer's blocks as JSON."""
    ts = api.add_message(channel, f"<@{BOT_USER_ID}> {question}")
    event = {
        "type": "app_mention",
        "user": OFFICER,
        "ts": ts,
        "event_ts": ts,
        "text": f"<@{BOT_USER_ID}> {question}",
        "channel": channel,
    }
    sent, _ = SignedSender(base + EVENTS_PATH, SECRET).event(event, event_id=event_id)
    assert sent.status == 200
    [answer] = api.wait_for(
        "chat.update", timeout=120, where=lambda c: c.params.get("channel") == channel
    )
    return json.dumps(answer.params["blocks"])


def test_replicas_on_two_hosts_share_postgresql_and_a_chroma_server(tmp_path, pg_url):
    """Two replicas with data dirs of their own, one Chroma server, one PostgreSQL: an event and
    its retries get one answer; feedback given through one is exported through the other; after
    a sync by the ingest job both answer from the new document."""
    chroma = ChromaServer(tmp_path / "chroma").start()
    api = MockSlackAPI().start()
    docs = tmp_path / "docs"
    shutil.copytree(SAMPLES, docs)
    shared = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "HF_HUB_OFFLINE": "1",
        "ACCORD_DATABASE_URL": pg_url,
        "ACCORD_CHROMA_URL": chroma.url,
        "ACCORD_SLACK_SIGNING_SECRET": SECRET,
        "ACCORD_SLACK_BOT_TOKEN": "xoxb-test",
        "ACCORD_SLACK_API_URL": api.url,
        "ACCORD_CLEARANCE": "TOP SECRET",
    }

    def accord(data_dir: str, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "accord.cli", *args],
            text=True,
            env={**shared, "ACCORD_DATA_DIR": str(tmp_path / data_dir)},
            capture_output=True,
            timeout=900,
            stdin=subprocess.DEVNULL,
            cwd=str(tmp_path),
        )

    procs: list[subprocess.Popen] = []
    try:
        built = accord("ingest-job", "ingest", str(docs))
        assert built.returncode == 0, built.stdout + built.stderr
        bases = []
        for host in ("host-a", "host-b"):
            proc, base = _start_replica(
                {**shared, "ACCORD_DATA_DIR": str(tmp_path / host)}, str(tmp_path)
            )
            procs.append(proc)
            bases.append(base)
        for base in bases:
            _wait_ready(base)
        ts = _deliver_to_both(api, bases, "CHOSTS", "EvHOSTS0001")

        # feedback through host A, exported through host B
        [update] = api.calls_to("chat.update", lambda c: c.params.get("channel") == "CHOSTS")
        answer_id = buttons(update.params["blocks"])["accord_feedback_helpful"]
        clicked = SignedSender(bases[0] + EVENTS_PATH, SECRET).block_action(
            "accord_feedback_helpful",
            answer_id,
            "UREADER",
            "CHOSTS",
            api.response_url("fb"),
            message_ts=update.params["ts"],
            thread_ts=ts,
        )
        assert clicked.status == 200
        api.wait_for("chat.postEphemeral", where=lambda c: c.params["channel"] == "CHOSTS")
        out = tmp_path / "feedback.jsonl"
        exported = accord("host-b", "feedback", "export", "--out", str(out))
        assert exported.returncode == 0, exported.stdout + exported.stderr
        rows = [json.loads(line) for line in out.read_text().splitlines()]
        assert [(r["user"], r["rating"], r["question"]) for r in rows] == [
            ("UREADER", "helpful", Q_SIGNED)
        ]
        assert not (tmp_path / "host-a" / "slack_bot.sqlite").exists()  # nothing on the host
        status = accord("host-b", "status")
        assert status.returncode == 0, status.stdout + status.stderr
        said = " ".join(status.stdout.split())
        assert "state (manifest, audit log, feedback): PostgreSQL postgresql://accord@" in said

        # the ingest job syncs a new document; both replicas answer from it
        (docs / "jwc-statement-2026.txt").write_text(NEW_DOC)
        synced = accord("ingest-job", "ingest", str(docs))
        assert synced.returncode == 0, synced.stdout + synced.stderr
        question = "Where will the Fifth Meeting of the Joint Working Committee be held?"
        for i, base in enumerate(bases):
            # A replica sees the new generation at its next question and rebuilds its BM25 index
            # in the background, answering from the previous one meanwhile (the dense side is
            # current at once): the new document is in its answers once the rebuild is done.
            deadline = time.monotonic() + 90
            for attempt in itertools.count():
                shown = _ask(api, base, f"CNEW{i}x{attempt}", question, f"EvNEW{i}x{attempt}")
                if "Port Harlow" in shown or time.monotonic() > deadline:
                    break
                time.sleep(2)
            assert "Port Harlow" in shown and "jwc-statement-2026.txt" in shown, shown
    finally:
        _stop(procs)
        api.stop()
        chroma.stop()
