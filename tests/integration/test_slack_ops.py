"""Running the bot as an admin does: start-up that fails fast with one line (bad token,
unreachable Slack, missing token, empty index), and the health, readiness and metrics endpoints
of `accord bot --http` as a real process over a real index and Slack's real protocol."""

from __future__ import annotations

import json
import time

import pytest

from bot.server import EVENTS_PATH
from tests.integration.test_slack_bot import OFFICER, Q_SIGNED, SECRET
from tests.mock_slack_api import BOT_USER_ID, MockSlackAPI, SignedSender


@pytest.mark.parametrize("case", ["bad token", "unreachable", "missing token", "all"])
def test_the_bot_fails_fast_with_every_problem_at_once_before_loading_the_model(tmp_path, case):
    import os
    import subprocess
    import sys

    api = MockSlackAPI().start()
    try:
        env = {
            **os.environ,
            "ACCORD_DATA_DIR": str(tmp_path),
            "HF_HUB_OFFLINE": "1",
            "ACCORD_SLACK_SIGNING_SECRET": "s",
            "ACCORD_SLACK_BOT_TOKEN": "xoxb-test",
            "ACCORD_SLACK_API_URL": api.url,
        }
        if case == "bad token":
            api.fail_once("auth.test", "invalid_auth")
        elif case == "unreachable":
            env["ACCORD_SLACK_API_URL"] = "http://127.0.0.1:9/api/"  # nobody listens on port 9
        else:
            env.pop("ACCORD_SLACK_BOT_TOKEN")
            env.pop("SLACK_BOT_TOKEN", None)
        if case == "all":
            env.pop("ACCORD_SLACK_SIGNING_SECRET")
            env.pop("SLACK_SIGNING_SECRET", None)
        r = subprocess.run(
            [sys.executable, "-m", "accord.cli", "bot", "--http", "--port", "0"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
    finally:
        api.stop()
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    problems = [ln for ln in lines if ln.startswith("  - ")]
    # One message: a heading line, then one line per problem (the data folder is empty too).
    assert lines[0].startswith("error: the bot cannot start") and len(lines) == 1 + len(problems)
    expected = {
        "bad token": ["invalid_auth"],
        "unreachable": ["cannot reach Slack"],
        "missing token": ["ACCORD_SLACK_BOT_TOKEN"],
        "all": ["ACCORD_SLACK_BOT_TOKEN", "ACCORD_SLACK_SIGNING_SECRET"],
    }[case]
    assert len(problems) == len(expected) + 1, problems
    for needle in [*expected, "--allow-empty"]:
        assert sum(needle in line for line in problems) == 1, (needle, problems)
    assert "SentenceTransformer" not in r.stderr and "Loading" not in r.stderr  # no model load


def test_health_readiness_and_metrics_over_http(sample_index, tmp_path):
    """`accord bot --http` as a process over a real index: /healthz at once, /readyz 503 until
    the model is loaded then 200, /metrics counters move after a question."""
    import os
    import re
    import subprocess
    import sys
    import urllib.error
    import urllib.request

    def get(url):
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    api = MockSlackAPI().start()
    env = {
        **os.environ,
        "ACCORD_DATA_DIR": str(sample_index.settings.data_dir),
        "HF_HUB_OFFLINE": "1",
        "ACCORD_SLACK_SIGNING_SECRET": SECRET,
        "ACCORD_SLACK_BOT_TOKEN": "xoxb-test",
        "ACCORD_SLACK_API_URL": api.url,
        "ACCORD_CLEARANCE": "TOP SECRET",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "accord.cli", "bot", "--http", "--host", "127.0.0.1", "--port", "0"],
        env=env,
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = ""
        seen = []
        while "listening on" not in line:
            line = proc.stderr.readline()
            seen.append(line)
            assert line or proc.poll() is None, "the bot exited: " + "".join(seen)
        base = re.search(r"http://[\d.]+:\d+", line).group(0)
        assert get(base + "/healthz") == (200, "ok\n")
        states = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            status, body = get(base + "/readyz")
            states.append(status)
            if status == 200:
                break
            time.sleep(0.05)
        assert states[0] == 503 and states[-1] == 200, states[:3]
        assert json.loads(body) == {"ready": True, "reasons": []}
        before = get(base + "/metrics")[1]
        assert 'accord_questions_total{front_end="slack"}' not in before
        send = SignedSender(base + EVENTS_PATH, SECRET)
        ts = api.add_message("CHEALTH", f"<@{BOT_USER_ID}> {Q_SIGNED}")
        sent, _ = send.event(
            {
                "type": "app_mention",
                "user": OFFICER,
                "ts": ts,
                "text": f"<@{BOT_USER_ID}> {Q_SIGNED}",
                "channel": "CHEALTH",
            }
        )
        assert sent.status == 200
        api.wait_for(
            "chat.update", where=lambda c: c.params.get("channel") == "CHEALTH", timeout=60
        )
        after = get(base + "/metrics")[1]
        assert 'accord_questions_total{front_end="slack"} 1' in after
        assert 'accord_answer_latency_seconds_count{front_end="slack"} 1' in after
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        api.stop()


def test_the_bot_refuses_an_empty_index_unless_told(tmp_path):
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "ACCORD_DATA_DIR": str(tmp_path / "empty"),
        "HF_HUB_OFFLINE": "1",
        "ACCORD_SLACK_SIGNING_SECRET": "s",
        "ACCORD_SLACK_BOT_TOKEN": "xoxb-test",
    }
    api = MockSlackAPI().start()
    env["ACCORD_SLACK_API_URL"] = api.url
    try:
        r = subprocess.run(
            [sys.executable, "-m", "accord.cli", "bot", "--http", "--port", "0"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
    finally:
        api.stop()
    assert r.returncode == 2 and "accord ingest" in r.stderr and "--allow-empty" in r.stderr
    assert "Traceback" not in r.stderr
