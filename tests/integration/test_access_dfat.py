"""Access control on real marked documents: the 775 DFAT records of ../shared/corpus/dfat.

1. Every document whose first lines carry a marking, found by this test's own reading of those
   lines (a deliberately simple rule, independent of ``accord.access.markings``), is marked at
   least that high by the ingest path, and the evidence names the line.
2. Leak tests: 40 documents marked above OFFICIAL (every marking shape among them) and 24
   unmarked ones are indexed for real; for each marked one, a question made from its own
   distinctive sentence is asked at OFFICIAL through the CLI and through a Slack channel mapped
   to OFFICIAL: the document is not quoted, listed or named. At its own level (with its caveats)
   the same question finds it, so the test can fail. Caveats (AUSTEO, NZEO, PERSONAL, GUARD): the
   top clearance without the caveat does not see the document.
"""

from __future__ import annotations

import json
import re
import shutil
from collections import defaultdict
from pathlib import Path

import pytest
from slack_sdk import WebClient
from typer.testing import CliRunner

from accord.cli import app as cli
from bot.app import build_app
from bot.server import EVENTS_PATH, make_http_server, serve_in_thread
from tests.conftest import CORPUS, make_settings
from tests.mock_slack_api import BOT_USER_ID, MockSlackAPI, SignedSender

DFAT = CORPUS / "dfat"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not DFAT.is_dir(), reason=f"{DFAT} is not there"),
]
SECRET = "dfat-signing-secret-0123456789ab"

# --- the test's own reading of a document's first lines ----------------------------------------
_LEVEL_WORDS = [
    ("TOP SECRET", r"top\s+secret"),
    ("SECRET", r"secret"),
    ("CONFIDENTIAL", r"confidential"),
    ("RESTRICTED", r"restricted"),
]


def first_lines_marking(path: Path) -> tuple[str, str] | None:
    """(level, line) when one of the first 12 non-empty lines of the body is short (< 80
    characters), holds a classification word with a capital first letter, and has no word in
    lower case but "and": how a person scanning the head of a cable sees its marking."""
    text = path.read_text(encoding="utf-8")
    body = text.split("---", 2)[2] if text.startswith("---") else text
    lines = [ln.strip() for ln in body.splitlines() if ln.strip()][:12]
    for line in lines:
        plain = line.replace("\\", "")
        if len(plain) >= 80:
            continue
        if any(w != "and" for w in re.findall(r"\b[a-z][a-z]+\b", plain)):
            continue
        for level, pattern in _LEVEL_WORDS:
            m = re.search(r"\b" + pattern + r"\b", plain, re.I)
            if m and m.group(0)[0].isupper():
                return level, plain
    return None


def shape(line: str) -> str:
    """A coarse name for how a marking line is written, to pick every shape for the leak tests."""
    parts = []
    if re.match(r"^(No\.?|NO\.?)\s*\S", line):
        parts.append("No-serial")
    elif re.match(r"^\S*\d", line):
        parts.append("serial")
    if "E (" in line or "E(" in line:
        parts.append("cabinet-ref")
    if re.search(r"(?i)\b(immediate|priority|emergency|routine|flash)\b", line):
        before = re.search(
            r"(?i)\b(immediate|priority|emergency|routine)\b.*\b(secret|"
            r"confidential|restricted)\b",
            line,
        )
        parts.append("precedence-before" if before else "precedence-after")
    for cav in ("PERSONAL", "AUSTEO", "NZEO", "EYES ONLY", "GUARD"):
        if cav.lower() in line.lower():
            parts.append(cav)
    parts.append("caps" if line.isupper() else "title")
    return "+".join(parts)


@pytest.fixture(scope="module")
def ingest_reading():
    """What the ingest path makes of every DFAT document (``accord markings --dir``, which
    loads each file with the same ``load_document`` the sync indexes with)."""
    r = CliRunner().invoke(cli, ["markings", "--dir", str(DFAT), "--json"], catch_exceptions=False)
    rows = json.loads(r.stdout)
    assert len(rows) == 775
    return {row["source"]: row for row in rows}


def test_every_marked_dfat_document_is_marked_at_least_as_high(ingest_reading):
    from accord.access.markings import load_rules

    rules = load_rules()
    seen, lower, unnamed = 0, [], []
    for path in sorted(DFAT.rglob("*.md")):
        found = first_lines_marking(path)
        if found is None:
            continue
        seen += 1
        level, line = found
        row = ingest_reading[path.relative_to(DFAT).as_posix()]
        if rules.rank(row["marking"]) < rules.rank(level):
            lower.append((row["source"], line, row["marking"]))
        if not any(e["line"].replace("\\", "") == line for e in row["evidence"]):
            unnamed.append((row["source"], line, [e["line"] for e in row["evidence"]]))
    assert seen > 600  # the reading above finds the marked cables (it could find none)
    assert lower == []
    assert unnamed == []


# --- the leak tests ----------------------------------------------------------------------------


def _pick(ingest_reading) -> tuple[list[str], list[str]]:
    by_shape: dict[str, list[str]] = defaultdict(list)
    unmarked = []
    for path in sorted(DFAT.rglob("*.md")):
        rel = path.relative_to(DFAT).as_posix()
        found = first_lines_marking(path)
        if found is None:
            if ingest_reading[rel]["marking"] == "UNMARKED" and not ingest_reading[rel]["caveats"]:
                unmarked.append(rel)
            continue
        by_shape[f"{shape(found[1])} {found[0]}"].append(rel)
    picked: list[str] = []
    for rnd in range(40):  # round robin over the shapes until 40 are picked
        for _name, rels in sorted(by_shape.items()):
            if rnd < len(rels) and len(picked) < 40:
                picked.append(rels[rnd])
    return picked, unmarked[::5][:24]


def _distinctive_sentence(text: str, others: str) -> str | None:
    """The longest sentence of 12 to 45 words whose every 6-word run appears nowhere else."""
    best = None
    for sent in re.split(r"(?<=[.?!])\s+", text.replace("\n", " ")):
        words = sent.split()
        if not 12 <= len(words) <= 45 or not re.search(r"[a-z]{4}", sent):
            continue
        runs = [" ".join(words[i : i + 6]) for i in range(len(words) - 5)]
        if any(r in others for r in runs):
            continue
        if best is None or len(sent) > len(best):
            best = " ".join(words)
    return best


@pytest.fixture(scope="module")
def dfat_index(tmp_path_factory, embedder, ingest_reading):
    from accord.runtime import Runtime

    marked, unmarked = _pick(ingest_reading)
    root = tmp_path_factory.mktemp("dfat")
    docs = root / "docs"
    for rel in marked + unmarked:
        (docs / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(DFAT / rel, docs / rel)
    rt = Runtime(make_settings(root / "data", clearance="OFFICIAL"), embedder=embedder)
    result = rt.syncer().run(docs)
    assert not result.failed
    texts = {rel: rt.manifest.document(rel).text for rel in marked + unmarked}
    cases = []
    for rel in marked:
        others = "\n".join(" ".join(t.split()) for r, t in texts.items() if r != rel)
        sentence = _distinctive_sentence(texts[rel], others)
        if sentence:
            cases.append((rel, sentence))
    rt.cases = cases
    yield rt
    rt.close()


def test_the_leak_set_covers_every_shape_and_caveat(dfat_index):
    assert len(dfat_index.cases) >= 30
    shapes = {shape(first_lines_marking(DFAT / rel)[1]) for rel, _ in dfat_index.cases}
    for part in (
        "No-serial",
        "serial",
        "cabinet-ref",
        "precedence-before",
        "precedence-after",
        "PERSONAL",
        "AUSTEO",
        "NZEO",
        "caps",
        "title",
    ):
        assert any(part in s.split("+") for s in shapes), part
    levels = {dfat_index.manifest.access(rel)[0] for rel, _ in dfat_index.cases}
    assert levels >= {"TOP SECRET", "SECRET", "CONFIDENTIAL", "RESTRICTED"}
    # the index holds what the ingest path read (so test 1 speaks for the index too)
    for rel, _ in dfat_index.cases:
        doc = dfat_index.manifest.document(rel)
        assert doc.marking != "UNMARKED" and doc.marking_evidence


def _cli(rt, *args: str):
    r = CliRunner().invoke(
        cli, list(args), env={"ACCORD_DATA_DIR": str(rt.settings.data_dir)}, catch_exceptions=False
    )
    assert r.exit_code == 0, r.output
    return r.stdout


def _named(output: str, rt, rel: str, sentence: str) -> bool:
    """Whether ``output`` names the document or quotes its sentence (beyond echoing the
    question, which is that sentence)."""
    for echo in (sentence, json.dumps(sentence)[1:-1]):
        output = output.replace(echo, "")
    title = rt.manifest.document(rel).title
    shared_title = any(r["title"] == title for r in rt.manifest.markings() if r["source"] != rel)
    return (
        rel in output
        or (title in output and not shared_title)
        or Path(rel).name in output
        or sentence[:60] in output
        or json.dumps(sentence[:60])[1:-1] in output
    )


def test_cli_at_official_never_shows_a_marked_document_and_at_its_level_finds_it(dfat_index):
    rt = dfat_index
    leaked, missed, caveat_leaks = [], [], []
    for rel, sentence in rt.cases:
        out = _cli(rt, "ask", sentence, "--json", "--clearance", "OFFICIAL")
        if _named(out, rt, rel, sentence):
            leaked.append((rel, sentence, out))
        level, caveats = rt.manifest.access(rel)
        flags = ["--clearance", level] + [x for c in caveats for x in ("--caveat", c)]
        ans = json.loads(_cli(rt, "ask", sentence, "--json", *flags))
        if rel not in {r["source"] for r in ans["retrieved"]}:
            missed.append(rel)
        if caveats:
            out = _cli(rt, "ask", sentence, "--json", "--clearance", "TOP SECRET")
            if _named(out, rt, rel, sentence):
                caveat_leaks.append(rel)
    print(
        f"\nCLI leak test: {len(rt.cases)} marked documents, leaked at OFFICIAL {len(leaked)}, "
        f"caveat leaks {len(caveat_leaks)}, not found at own level {len(missed)}"
    )
    assert not leaked, json.dumps(leaked, indent=1)[:6000]
    assert caveat_leaks == []
    assert len(missed) <= len(rt.cases) // 10, missed  # found at its own level: the test bites
    assert sum(bool(rt.manifest.access(rel)[1]) for rel, _ in rt.cases) >= 5


def test_slack_channel_at_official_never_shows_a_marked_document(dfat_index, tmp_path):
    rt = dfat_index
    caveats = sorted({c for rel, _ in rt.cases for c in rt.manifest.access(rel)[1]})
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "default: OFFICIAL\nshared_default: UNMARKED\nchannels:\n  C0OFFICIAL: OFFICIAL\n"
        f"  C0TOP: {{clearance: TOP SECRET, caveats: {json.dumps(caveats)}}}\n"
        f"users:\n  U0CLEARED: {{clearance: TOP SECRET, caveats: {json.dumps(caveats)}}}\n"
    )
    api = MockSlackAPI().start()
    settings = make_settings(
        tmp_path / "bot",
        slack_bot_token="xoxb-dfat",
        slack_signing_secret=SECRET,
        slack_api_url=api.url,
        audience_policy=policy,
    )
    app = build_app(settings, rt.qa, WebClient(token="xoxb-dfat", base_url=api.url))
    server = make_http_server(app, "127.0.0.1", 0)
    serve_in_thread(server)
    send = SignedSender(f"http://127.0.0.1:{server.server_port}{EVENTS_PATH}", SECRET)
    try:
        leaked, found = [], 0
        for rel, sentence in rt.cases:
            for channel in ("C0OFFICIAL", "C0TOP"):
                text = f"<@{BOT_USER_ID}> {sentence}"
                ts = api.add_message(channel, text, "U0CLEARED")
                send.event(
                    {
                        "type": "app_mention",
                        "user": "U0CLEARED",
                        "text": text,
                        "ts": ts,
                        "channel": channel,
                        "event_ts": ts,
                    }
                )
                bot_ts = api.wait_until(
                    lambda c=channel, t=ts: [
                        m["ts"]
                        for m in api.messages.get(c, [])
                        if m.get("bot_id") and m.get("thread_ts") == t
                    ],
                    60,
                    "placeholder",
                )
                api.wait_for("chat.update", where=lambda c, b=bot_ts: c.params.get("ts") in b)
                said = json.dumps(
                    [
                        c.params
                        for c in api.calls
                        if c.params.get("channel") == channel
                        and (c.params.get("thread_ts") == ts or c.params.get("ts") in bot_ts)
                    ]
                )
                row = [r for r in rt.audit.rows() if r["conversation"] == channel][-1]
                listed = {x["source"] for x in row["listed"]} | {x["source"] for x in row["cited"]}
                if channel == "C0OFFICIAL" and (_named(said, rt, rel, sentence) or rel in listed):
                    leaked.append(rel)
                if channel == "C0TOP":
                    found += rel in listed
        print(
            f"\nSlack leak test: {len(rt.cases)} marked documents, leaked in the OFFICIAL "
            f"channel {len(leaked)}, found in the TOP SECRET channel {found}"
        )
        assert leaked == []
        assert found >= len(rt.cases) * 9 // 10  # at its own level the question finds it
    finally:
        server.shutdown()
        server.server_close()
        api.stop()
