"""Which text is in force, on the samples: the MoU's term as amended by the 2025 Protocol."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from accord.cli import app as cli

Q = "How long does the MoU remain in force?"
MOU, PROTOCOL = "mou-transborder-crime-2023.pdf", "amendment-protocol-2025.html"


def test_the_amended_term_is_quoted_with_the_protocol(sample_index):
    ans = sample_index.qa.answer(Q)
    assert any(
        "five (5) years" in c.quote for c in ans.citations if c.source == MOU
    )  # the provision as signed ...
    [amending] = [c for c in ans.citations if c.source == PROTOCOL and "ten (10)" in c.quote]
    assert "ten (10) years" in amending.quote  # ... and the text that replaced it, verbatim
    doc = sample_index.manifest.document(PROTOCOL)
    assert doc.text[amending.char_start : amending.char_end] == amending.quote
    # The text in force leads; the text as signed follows, labelled as such.
    assert "in force: Article 9(2) as amended by" in ans.text and "3 June 2025" in ans.text
    [signed] = [c for c in ans.citations if c.source == MOU and "five (5) years" in c.quote]
    assert (
        ans.text.index(f"[{amending.n}]")
        < ans.text.index("the text as signed said")
        < ans.text.index(f"[{signed.n}]")
    )


def test_as_of_a_date_before_the_protocol_gives_the_original_term(sample_index):
    ans = sample_index.qa.answer(Q, as_of="2025-01-01")
    assert PROTOCOL not in {c.source for c in ans.citations}
    assert any("five (5) years" in c.quote for c in ans.citations)
    assert "amended" not in ans.text


def test_documents_lists_the_mou_as_amended_by_the_protocol_with_the_evidence(sample_index):
    env = {"ACCORD_DATA_DIR": str(sample_index.settings.data_dir)}
    r = CliRunner().invoke(cli, ["documents", "--json"], env=env, catch_exceptions=False)
    rows = {x["source"]: x for x in json.loads(r.stdout)["instruments"]}
    mou, prot = rows[MOU], rows[PROTOCOL]
    assert mou["status"] == "in force" and mou["term_months_now"] == 120
    assert mou["amended_by"] == [{"source": PROTOCOL, "articles": ["2(1)(c)", "3", "9(2)"]}]
    [rel] = prot["relations"]
    assert rel["kind"] == "amends" and rel["target"] == MOU
    assert "hereinafter referred to as" in rel["evidence"]["text"]
    r = CliRunner().invoke(
        cli, ["documents", "--json", "--as-of", "2025-01-01"], env=env, catch_exceptions=False
    )
    rows = {x["source"]: x for x in json.loads(r.stdout)["instruments"]}
    assert rows[MOU]["term_months_now"] == 60 and rows[MOU]["amended_by"] == []
    assert rows[PROTOCOL]["status"] == "not yet in force"


def test_timeline_in_date_order_with_valid_citations(sample_index):
    env = {"ACCORD_DATA_DIR": str(sample_index.settings.data_dir)}
    r = CliRunner().invoke(
        cli,
        ["timeline", "transborder crime MoU", "--json", "--clearance", "TOP SECRET"],
        env=env,
        catch_exceptions=False,
    )
    out = json.loads(r.stdout)
    dates = [e["date"] for e in out["entries"]]
    assert len(dates) >= 4 and dates == sorted(dates)
    assert dates[0] == "2023-11-14"  # the MoU's signing opens it
    assert [e["n"] for e in out["entries"]] == list(range(1, len(dates) + 1))
    for e in out["entries"]:  # every entry quotes its document verbatim
        doc = sample_index.manifest.document(e["source"])
        assert doc.text[e["char_start"] : e["char_end"]] == e["quote"]
    # an audience below RESTRICTED does not see the minutes in the timeline
    r = CliRunner().invoke(
        cli,
        ["timeline", "transborder crime MoU", "--json", "--clearance", "OFFICIAL"],
        env=env,
        catch_exceptions=False,
    )
    assert "jwc-minutes-2024-03.md" not in r.stdout
