"""`accord ask`, `accord ask --json` and Slack show the same answer: the same lead for every
part, the same citations, and each quote printed once, reflowed (no PDF line breaks).

The CLI runs through typer in this process; Slack through its real protocol (signed HTTP
events in, Web API calls out to ``MockSlackAPI``); all three over the real sample index.
"""

from __future__ import annotations

import json
import re

import pytest
from slack_sdk import WebClient
from typer.testing import CliRunner

from accord.cli import app as cli
from accord.language.text import reflow
from bot.app import build_app
from bot.blocks import escape_mrkdwn
from tests.conftest import make_settings
from tests.mock_slack_api import BOT_USER_ID, MockSlackAPI, serve_signed, text_of

SECRET = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
OFFICER = "UPARITY01"
QUESTIONS = (
    # an amended provision: the text in force leads, the text as signed follows, labelled
    "How long does the MoU remain in force?",
    # two parts joined by ", and how long ..."
    "What is the deadline for answering an urgent request, and how long does the MoU now remain "
    "in force?",
    # a signing block's line: the lead is the whole quote, so Sources do not print it again
    "Who signed the Protocol on behalf of Meridia?",
)


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def slack(tmp_path_factory, sample_index):
    from accord.runtime import Runtime

    # The bot answers from a runtime built as `accord ask` builds its own (the same index, the
    # same question encoder), so any difference is the front end's.
    rt = Runtime(sample_index.settings)
    api = MockSlackAPI().start()
    root = tmp_path_factory.mktemp("parity")
    settings = make_settings(
        root / "data",
        slack_bot_token="xoxb-parity",
        slack_signing_secret=SECRET,
        slack_api_url=api.url,
    )
    client = WebClient(token="xoxb-parity", base_url=api.url)
    app = build_app(settings, rt.qa, client)
    with serve_signed(app, SECRET) as sender:
        yield api, sender
    api.stop()
    rt.close()


def ask_slack(slack, channel: str, question: str) -> str:
    api, sender = slack
    ts = api.add_message(channel, f"<@{BOT_USER_ID}> {question}", OFFICER)
    sender.event(
        {
            "type": "app_mention",
            "user": OFFICER,
            "ts": ts,
            "channel": channel,
            "text": f"<@{BOT_USER_ID}> {question}",
            "event_ts": ts,
        }
    )

    def answered():
        bot_ts = {
            m["ts"]
            for m in api.messages.get(channel, [])
            if m.get("bot_id") and m.get("thread_ts") == ts
        }
        calls = api.calls_to(
            "chat.update",
            lambda c: (
                c.params.get("channel") == channel
                and c.params.get("ts") in bot_ts
                and c.params.get("blocks")
            ),
        )
        return calls and calls

    calls = api.wait_until(answered, 60, f"an answer in {channel}")
    blocks = calls[-1].params["blocks"]
    return text_of(json.loads(blocks) if isinstance(blocks, str) else blocks)


def ask_cli(rt, question: str, *flags: str) -> str:
    # at the bot's audience: its settings' clearance, which a user it has no entry for gets
    result = CliRunner().invoke(
        cli,
        ["ask", question, "--clearance", "TOP SECRET", *flags],
        env={"ACCORD_DATA_DIR": str(rt.settings.data_dir), "COLUMNS": "100"},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("question", QUESTIONS)
def test_cli_json_and_slack_show_the_same_leads_quotes_and_citations(question, sample_index, slack):
    data = json.loads(ask_cli(sample_index, question, "--json"))
    assert not data["refused"] and data["citations"]
    answer = data["answer"]
    leads = [ld for p in data["parts"] for ld in p.get("leads", [])]
    assert leads, data["parts"]
    for ld in leads:  # each lead stands in the answer before its marker, and is in its quote
        assert f"{ld['text']} [{ld['n']}]" in answer
        quote = next(c["quote"] for c in data["citations"] if c["n"] == ld["n"])
        assert ld["text"].strip("\u2026") in reflow(quote)
    cli_out = flat(ask_cli(sample_index, question))
    channel = "CPAR" + str(QUESTIONS.index(question))
    slack_out = flat(ask_slack(slack, channel, question))
    assert flat(answer) in cli_out
    assert flat(escape_mrkdwn(answer)) in slack_out
    for c in data["citations"]:
        shown = reflow(c["quote"])
        assert "\n" not in shown
        for out, esc in ((cli_out, str), (slack_out, escape_mrkdwn)):
            assert esc(c["title"]) in out and esc(c["source"]) in out
            if c["section"]:
                assert esc(c["section"]) in out
            if c["page"]:
                assert f"p. {c['page']}" in out
            # printed once: in the answer when its lead is the whole quote, else under Sources
            assert out.count(esc(shown)) == 1, (c["n"], shown, out)
        if c["quoted_in_answer"]:
            assert shown in flat(answer)


def test_the_text_in_force_leads_and_the_lead_holds_the_asked_detail(sample_index):
    data = json.loads(ask_cli(sample_index, QUESTIONS[0], "--json"))
    answer = data["answer"]
    assert "ten (10) years" in answer and "five (5) years" in answer
    assert answer.index("ten (10) years") < answer.index("five (5) years")
    assert "the text as signed said" in answer
    first = data["parts"][0]["leads"][0]
    assert "ten (10) years" in first["text"] and not first["whole"]
    # the lead is the clause with the period, not the whole article
    assert "renewed" not in first["text"]


def test_two_parts_joined_by_and_how_long_are_answered_each_with_its_own_lead(sample_index):
    data = json.loads(ask_cli(sample_index, QUESTIONS[1], "--json"))
    assert len(data["parts"]) == 2
    first, second = (p["leads"][0]["text"] for p in data["parts"])
    assert re.search(r"seventy-two \(72\) hours", first)
    assert "ten (10) years" in second
