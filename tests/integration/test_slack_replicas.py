"""Two `accord bot --http` replicas behind one URL: each event is answered once.

Two real processes share one data dir (so one claims database, ``bot.dedupe``) and one recording
Web API server. One event is delivered to both, then retried to both with ``X-Slack-Retry-Num``,
all at once: exactly one placeholder and one answer reach Slack.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from bot.server import EVENTS_PATH
from tests.conftest import REPO
from tests.integration.test_slack_bot import OFFICER, Q_SIGNED, SECRET
from tests.mock_slack_api import BOT_USER_ID, MockSlackAPI, SignedSender


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _start_replica(env: dict[str, str], cwd: str) -> tuple[subprocess.Popen, str]:
    """Start `accord bot --http` on a free port; return the process and its base URL."""
    proc = subprocess.Popen([sys.executable, "-m", "accord.cli", "bot", "--http", "--host",
                             "127.0.0.1", "--port", "0"], env=env, cwd=cwd,
                            stderr=subprocess.PIPE, text=True)
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


def test_two_replicas_sharing_the_data_dir_answer_a_retried_event_once(sample_index, tmp_path):
    api = MockSlackAPI().start()
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1",
           "ACCORD_DATA_DIR": str(sample_index.settings.data_dir),
           "ACCORD_SLACK_SIGNING_SECRET": SECRET, "ACCORD_SLACK_BOT_TOKEN": "xoxb-test",
           "ACCORD_SLACK_API_URL": api.url, "ACCORD_CLEARANCE": "TOP SECRET"}
    procs: list[subprocess.Popen] = []
    try:
        bases = []
        for _ in range(2):
            proc, base = _start_replica(env, str(tmp_path))
            procs.append(proc)
            bases.append(base)
        for base in bases:
            _wait_ready(base)
        senders = [SignedSender(base + EVENTS_PATH, SECRET) for base in bases]
        ts = api.add_message("CREPLICA", f"<@{BOT_USER_ID}> {Q_SIGNED}")
        event = {"type": "app_mention", "user": OFFICER, "ts": ts, "event_ts": ts,
                 "text": f"<@{BOT_USER_ID}> {Q_SIGNED}", "channel": "CREPLICA"}
        event_id = "EvREPLICA0001"
        deliveries = [(s, None) for s in senders] + [
            (s, {"X-Slack-Retry-Num": str(n), "X-Slack-Retry-Reason": "http_timeout"})
            for n in (1, 2) for s in senders]
        with ThreadPoolExecutor(max_workers=len(deliveries)) as pool:
            sent = list(pool.map(
                lambda d: d[0].event(event, event_id=event_id, headers=d[1])[0], deliveries))
        assert [s.status for s in sent] == [200] * len(deliveries)

        def in_thread(c):
            return c.params.get("channel") == "CREPLICA" and c.params.get("thread_ts") == ts

        [placeholder] = api.wait_for("chat.postMessage", where=in_thread, timeout=120)
        [answer] = api.wait_for("chat.update", timeout=120,
                                where=lambda c: c.params.get("channel") == "CREPLICA")
        assert answer.params["ts"] == api.messages["CREPLICA"][-1]["ts"]
        assert "14 November 2023" in json.dumps(answer.params["blocks"])
        time.sleep(1.0)  # grace for a second answer to show up; a pass cannot turn into a failure
        assert len(api.calls_to("chat.postMessage", in_thread)) == 1
        assert len(api.calls_to("chat.update",
                                lambda c: c.params.get("channel") == "CREPLICA")) == 1
        # both replicas were up and each took deliveries: the claim, not luck, kept it to one
        for base in bases:
            assert _get(base + "/healthz")[0] == 200
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
        api.stop()
