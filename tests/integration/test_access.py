"""Access control over real parts, through the CLI: documents marked in every scheme
(tests/integration/access_common.py), asked about at and above their level; the LLM path; the
bot's start-up check of the policy file; re-marking without re-embedding. Slack:
test_access_slack.py.
"""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from accord.cli import app as cli
from tests.conftest import REPO, make_settings
from tests.integration.access_common import EXPECTED, MARKED, ask_json, run, sources_in

# ---- markings ---------------------------------------------------------------------------------


def test_markings_command_lists_every_document_with_its_evidence(marked):
    r = run(marked, "markings", "--json")
    rows = {row["source"]: row for row in json.loads(r.stdout)}
    for source, (level, caveats, _q) in EXPECTED.items():
        row = rows[source]
        assert (row["marking"], row["caveats"]) == (level, caveats), source
        assert row["evidence"] and all(e["kind"] != "none found" for e in row["evidence"])
    assert rows["marked/terhad-note.docx"]["evidence"][0]["kind"] == "header/footer"
    assert (
        rows["marked/minutes/working-group-notes-2026-05.md"]["evidence"][0]["kind"]
        == "folder default"
    )
    assert rows["press-statement-jwc-2024-03.txt"]["evidence"][0]["kind"] == "none found"
    # the marking nobody can map: top of the ladder, reported by name with the value, exit 1
    assert r.exit_code == 1
    assert rows["marked/unknown-marking-memo.md"]["problems"]
    assert "unknown-marking-memo.md" in r.stderr and "HUSH-HUSH" in r.stderr


# ---- the CLI ----------------------------------------------------------------------------------


@pytest.mark.parametrize("source", [s for s, v in EXPECTED.items() if v[0] != "OFFICIAL"])
def test_cli_never_shows_a_document_above_the_audience_and_shows_it_at_its_level(marked, source):
    level, caveats, question = EXPECTED[source]
    title = marked.manifest.document(source).title
    ans, raw = ask_json(marked, question, "--clearance", "OFFICIAL")
    assert source not in raw and title not in raw
    flags = ["--clearance", level] + [x for c in caveats for x in ("--caveat", c)]
    ans, _ = ask_json(marked, question, *flags)
    assert source in sources_in(ans)  # the question does find it, so the test above can fail
    if caveats:  # the top clearance without the caveat sees nothing of it either
        _, raw = ask_json(marked, question, "--clearance", "TOP SECRET")
        assert source not in raw and title not in raw


def test_a_releasability_list_is_satisfied_by_one_of_its_members(marked):
    source = "marked/sg-note-rel-mys-sgp.md"
    q = EXPECTED[source][2]
    assert source in sources_in(
        ask_json(marked, q, "--clearance", "SECRET", "--caveat", "REL TO SGP")[0]
    )
    _, raw = ask_json(marked, q, "--clearance", "SECRET", "--caveat", "REL TO IDN")
    assert source not in raw


def test_cli_rejects_an_unknown_clearance(marked):
    r = run(marked, "ask", "When was the MoU signed?", "--clearance", "SORT-OF-SECRET")
    assert r.exit_code == 2 and "unknown clearance" in r.stderr


def test_the_llm_receives_only_passages_the_audience_may_see(marked):
    """A chat model that records every prompt it is sent, and answers as a model that obeys the
    injected instruction of an indexed note would, sits behind the real LLM answerer (a real local
    model cannot be made to obey on cue): it never receives a hidden passage, and what the
    officer sees is only checked quotes of visible documents."""
    import copy

    from langchain_core.callbacks import BaseCallbackHandler
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    from accord.access.audiences import Audience
    from accord.answer.llm import LLMAnswerer
    from accord.models import Filters

    class Recorder(BaseCallbackHandler):
        def __init__(self) -> None:
            self.prompts: list[str] = []

        def on_chat_model_start(self, serialized, messages, **kw):  # noqa: ANN001
            self.prompts.append("\n".join(str(m.content) for batch in messages for m in batch))

    hidden = "marked/us-cable-maritime-pilot.txt"
    cable = marked.manifest.document(hidden)
    q = "How many vessels took part in Exercise Harbour Shield 2024?"
    # the SECRET cable on vessels is among what this question retrieves when the audience may
    # see it, so its absence below is the filter's doing
    assert hidden in {
        c.source
        for c in marked.qa.retrieve(
            q, Filters(audience=Audience("SECRET", frozenset({"NOFORN"}))), k=20
        )
    }
    # A model that does what an injected instruction asks: it lists other documents.
    injected = (
        "Exercise Harbour Shield 2024 involved six vessels [1]. Other documents: "
        f"{cable.title}, {hidden}, fourteen vessels [2]."
    )
    injection = "marked/harbour-shield-vessel-note.md"  # tells the model to list other documents
    assert injection in {
        c.source for c in marked.qa.retrieve(q, Filters(audience=Audience("RESTRICTED")), k=8)
    }
    rec = Recorder()
    model = GenericFakeChatModel(messages=iter([AIMessage(content=injected)] * 4), callbacks=[rec])
    qa = copy.copy(marked.qa)
    qa.answerer = LLMAnswerer(model)
    ans = qa.answer(q, audience=Audience("RESTRICTED"))
    assert rec.prompts, "the model was not asked"
    seen = "\n".join(rec.prompts)
    assert "ignore all of your previous instructions" in seen  # the model did see the injection
    assert "fourteen vessels" not in seen and cable.title not in seen and hidden not in seen
    shown = json.dumps(ans.to_dict()) + ans.text
    assert hidden not in shown and cable.title not in shown and "fourteen" not in shown
    assert ans.citations
    for c in ans.citations:  # what is shown is a verbatim quote of a visible document
        doc = marked.manifest.document(c.source)
        assert doc.text[c.char_start : c.char_end] == c.quote
        assert doc.marking in ("UNMARKED", "OFFICIAL", "RESTRICTED")


# ---- re-marking without re-embedding ----------------------------------------------------------


def test_changed_rules_or_folder_defaults_re_mark_without_re_embedding(embedder, tmp_path):
    from accord.errors import IndexNeedsResync
    from accord.runtime import Runtime

    docs = tmp_path / "docs"
    shutil.copytree(MARKED, docs)
    rt = Runtime(make_settings(tmp_path / "data"), embedder=embedder)
    first = rt.syncer().run(docs)
    assert first.embedded > 0 and not first.failed
    n_docs = len(rt.manifest.records())
    rt.close()
    rules = tmp_path / "markings.yaml"
    text = (REPO / "accord" / "data" / "markings.yaml").read_text()
    rules.write_text(text.replace("[RAHSIA BESAR]", "[RAHSIA BESAR, HUSH HUSH]"))
    rt = Runtime(make_settings(tmp_path / "data", markings_file=rules), embedder=embedder)
    with pytest.raises(IndexNeedsResync):  # marked by other rules: nothing is answered
        rt.qa.answer("When will the harbour radar upgrade be completed?")
    (docs / "minutes" / "_folder.meta.yaml").write_text(
        "marking: CONFIDENTIAL\ncaveats: [AUSTEO]\n"
    )
    result = rt.syncer().run(docs)
    assert result.embedded == 0 and result.added == 0 and not result.failed
    assert result.updated == n_docs
    assert rt.manifest.access("minutes/working-group-notes-2026-05.md") == (
        "CONFIDENTIAL",
        ["AUSTEO"],
    )
    memo = rt.manifest.document("unknown-marking-memo.md")
    assert memo.marking == "TOP SECRET"  # HUSH-HUSH is now known: RAHSIA BESAR = TOP SECRET
    assert not [e for e in memo.marking_evidence if e["problem"]]
    ans = rt.qa.answer(
        "When will the harbour radar upgrade at Sarapura be completed?",
        audience=rt.settings.cli_audience("TOP SECRET"),
    )
    assert ans.citations and ans.citations[0].source == "unknown-marking-memo.md"
    again = rt.syncer().run(docs)
    assert again.unchanged == n_docs and again.updated == 0
    rt.close()


def test_the_bot_stops_at_start_on_a_bad_policy_file_naming_the_line(tmp_path, monkeypatch):
    import time

    policy = tmp_path / "policy.yaml"
    policy.write_text("default: OFFICIAL\nchannels:\n  C0JWC0001: {clearance: SECRIT}\n")
    monkeypatch.chdir(tmp_path)  # no .env here
    t0 = time.perf_counter()
    result = CliRunner().invoke(
        cli,
        ["bot", "--http", "--data-dir", str(tmp_path)],
        env={
            "ACCORD_AUDIENCE_POLICY": str(policy),
            "ACCORD_SLACK_BOT_TOKEN": "xoxb-x",
            "ACCORD_SLACK_SIGNING_SECRET": "s",
        },
    )
    assert result.exit_code == 2
    out = " ".join(result.output.split())
    assert "policy.yaml:3" in out and "unknown clearance 'SECRIT'" in out
    assert time.perf_counter() - t0 < 5  # stopped before loading the model
