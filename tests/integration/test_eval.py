"""`accord eval` against a real index of samples/docs (real Chroma, real embedding model).

The headline run is a subprocess over the whole samples QA set; the other runs go through
typer's CliRunner in this process (one model load each instead of a new interpreter) over a
six-question subset. Quality numbers are not asserted: the metrics are recomputed here from the
per-question records, the index and the QA set, and must agree with what the command wrote.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evals.qaset import load_qaset
from tests.conftest import SAMPLES_QA

_ROWS = [json.loads(x) for x in SAMPLES_QA.read_text().splitlines() if x.strip()]
N_QUESTIONS = len(_ROWS)
N_UNANSWERABLE = sum(not r.get("answerable", True) for r in _ROWS)

SUBSET = ("s01", "s15", "s29", "s39", "s43", "s47")
SUMMARY_KEYS = (
    "hit@1",
    "hit@5",
    "hit@10",
    "recall@10",
    "mrr",
    "ndcg@10",
    "answer_containment",
    "answer_f1",
    "answer_similarity",
    "citation_precision",
    "citation_validity",
    "refusal_precision",
    "refusal_recall",
    "answerable_refused",
    "latency_p50_ms",
    "latency_p95_ms",
    "n",
)


def eval_env(data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "ACCORD_DATA_DIR": str(data_dir),
        "ACCORD_CLEARANCE": "TOP SECRET",
        "HF_HUB_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
    }


def full_run_dir(tmp_path_factory: pytest.TempPathFactory, sample_index) -> Path:
    """`accord eval samples/qa.jsonl --out DIR` as a process, once per test session (the
    browser test renders the same report)."""
    out = tmp_path_factory.getbasetemp() / "eval-samples-full"
    if not (out / "results.json").exists():
        proc = subprocess.run(
            [sys.executable, "-m", "accord.cli", "eval", str(SAMPLES_QA), "--out", str(out)],
            env=eval_env(sample_index.settings.data_dir),
            capture_output=True,
            text=True,
            timeout=900,
        )
        (out.parent / "eval-samples-full.log").write_text(proc.stdout + proc.stderr)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "hit@5" in proc.stdout and "per tag" in proc.stdout  # the rich summary tables
    return out


@pytest.fixture(scope="module")
def full_run(tmp_path_factory, sample_index) -> dict:
    out = full_run_dir(tmp_path_factory, sample_index)
    return {"dir": out, "results": json.loads((out / "results.json").read_text())}


@pytest.fixture(scope="module")
def subset_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("qa") / "subset.jsonl"
    lines = [ln for ln in SAMPLES_QA.read_text().splitlines() if json.loads(ln)["id"] in SUBSET]
    path.write_text("\n".join(lines) + "\n")
    return path


def invoke(data_dir: Path, *args: str):
    from accord.cli import app

    result = CliRunner().invoke(
        app,
        ["eval", *args, "--data-dir", str(data_dir)],
        env={"ACCORD_CLEARANCE": "TOP SECRET"},
        catch_exceptions=False,
    )
    return result


def _no_ties(scores: list[float]) -> bool:
    return all(abs(a - b) > 1e-9 for a, b in zip(scores, scores[1:], strict=False))


# --- the whole samples set --------------------------------------------------------------------
def test_eval_samples_writes_results_and_report(full_run, sample_index):
    res = full_run["results"]
    s, qs = res["summary"], res["questions"]
    assert all(k in s for k in SUMMARY_KEYS)
    assert s["n"] == len(qs) == N_QUESTIONS and s["n_unanswerable"] == N_UNANSWERABLE
    assert [q["id"] for q in qs] == [f"s{i:02d}" for i in range(1, N_QUESTIONS + 1)]
    assert res["config"]["k"] == sample_index.settings.top_k and res["config"]["mode"] == "hybrid"
    assert set(s["by_tag"]) >= {"mou", "unanswerable", "minutes"}
    assert s["by_tag"]["unanswerable"]["n"] == N_UNANSWERABLE
    mou = [q for q in qs if "mou" in q["tags"]]
    assert s["by_tag"]["mou"]["n"] == len(mou) == sum("mou" in r["tags"] for r in _ROWS)
    hits = [q["metrics"]["hit@5"] for q in mou if q["answerable"]]
    assert len(hits) == sum("mou" in r["tags"] and r["answerable"] for r in _ROWS)
    assert all(q["metrics"]["hit@5"] is None for q in mou if not q["answerable"])
    assert s["by_tag"]["mou"]["hit@5"] == pytest.approx(sum(hits) / len(hits), abs=1e-4)
    for key in SUMMARY_KEYS[:-3]:
        assert s[key] is None or 0.0 <= s[key] <= 1.0, key
    assert 0 < s["latency_p50_ms"] <= s["latency_p95_ms"]
    gold = {json.loads(ln)["id"]: json.loads(ln) for ln in SAMPLES_QA.read_text().splitlines()}
    for q in qs:
        exp = gold[q["id"]]
        assert q["gold_sources"] == (exp["sources"] if exp["answerable"] else [])
        ranked = [r["source"] for r in q["retrieved"]]
        assert len(ranked) == len(set(ranked)) <= res["config"]["k"]  # distinct sources
        first = next((i + 1 for i, src in enumerate(ranked) if src in exp["sources"]), None)
        assert q["first_gold_rank"] == first
        if exp["answerable"] and _no_ties([r["score"] for r in q["retrieved"]]):
            for k in (1, 5, 10):
                assert q["metrics"][f"hit@{k}"] == float(first is not None and first <= k)
            assert q["metrics"]["mrr"] == (1 / first if first else 0.0)
        if not exp["answerable"]:
            assert q["metrics"]["hit@5"] is None and q["metrics"]["answer_containment"] is None
        assert q["latency_ms"] > 0 and isinstance(q["refused"], bool)
        assert set(q["pass"]) >= {"refusal"}
    # summary = mean of the per-question values over the questions each applies to
    for key in ("hit@1", "hit@5", "mrr", "ndcg@10", "answer_containment", "citation_validity"):
        vals = [q["metrics"][key] for q in qs if q["metrics"][key] is not None]
        assert s[key] == pytest.approx(sum(vals) / len(vals), abs=1e-4), key
    unans = [q for q in qs if not q["answerable"]]
    refused = [q for q in qs if q["refused"]]
    assert s["n_refused"] == len(refused)
    assert s["refusal_recall"] == pytest.approx(
        sum(q["refused"] for q in unans) / N_UNANSWERABLE, abs=1e-4
    )
    if refused:
        assert s["refusal_precision"] == pytest.approx(
            sum(not q["answerable"] for q in refused) / len(refused), abs=1e-4
        )


def test_citation_validity_agrees_with_the_indexed_text(full_run, sample_index):
    checked = 0
    for q in full_run["results"]["questions"]:
        for c in q["citations"]:
            doc = sample_index.manifest.document(c["source"])
            expected = (
                doc is not None
                and doc.text[c["char_start"] : c["char_end"]] == c["quote"]
                and doc.sha256 == c["content_hash"]
            )
            assert c["valid"] == expected, (q["id"], c)
            assert c["gold"] == (c["source"] in q["gold_sources"])
            checked += 1
    assert checked == full_run["results"]["summary"]["n_citations"]


def test_report_html_is_one_self_contained_file(full_run):
    html = (full_run["dir"] / "report.html").read_text()
    assert html.count("<tr class='q'") == N_QUESTIONS
    for part in (
        "metric-bars",
        "latency-histogram",
        "tag-heatmap",
        "id='f-text'",
        "id='definitions'",
    ):
        assert part in html, part
    for key in ("hit@5", "ndcg@10", "citation_validity", "refusal_recall", "latency_p95_ms"):
        assert f"id='def-{key}'" in html
    assert "<link" not in html and " src=" not in html  # nothing loaded from elsewhere
    assert "https://" not in html and "http://" not in html.replace(
        "http://www.w3.org/2000/svg", ""
    )
    assert "blockquote class='quote" in html  # cited quotes are shown


# --- compare, fail-under, clearance ------------------------------------------------------------
@pytest.fixture(scope="module")
def two_runs(sample_index, subset_file, tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("compare")
    data = sample_index.settings.data_dir
    a = invoke(
        data,
        str(subset_file),
        "--out",
        str(root / "a"),
        "--k",
        "2",
        "--mode",
        "lexical",
        "--fail-under",
        "hit@10=0",
        "--fail-under",
        "citation_validity=0",
        "--fail-under",
        "hit@10[mou]=0",
    )
    b = invoke(
        data,
        str(subset_file),
        "--out",
        str(root / "b"),
        "--k",
        "10",
        "--compare",
        str(root / "a" / "results.json"),
        "--fail-under",
        "mrr=1.01",
        "--fail-under",
        "hit@10=0",
    )
    load = lambda p: json.loads((root / p / "results.json").read_text())  # noqa: E731
    return {"a": a, "b": b, "ra": load("a"), "rb": load("b"), "root": root}


def test_compare_shows_the_deltas_between_configurations(two_runs):
    ra, rb = two_runs["ra"], two_runs["rb"]
    assert (ra["config"]["k"], ra["config"]["mode"]) == (2, "lexical")
    assert (rb["config"]["k"], rb["config"]["mode"]) == (10, "hybrid")
    assert all(len(q["retrieved"]) <= 2 for q in ra["questions"])  # 2 chunks, <= 2 documents
    comp = rb["compare"]
    assert comp["other_config"]["k"] == 2
    n_numeric = 0
    for key in SUMMARY_KEYS:
        this, other = rb["summary"][key], ra["summary"][key]
        if this is None and other is None:
            assert key not in comp["summary"]
            continue
        d = comp["summary"][key]
        assert (d["this"], d["other"]) == (this, other)
        if this is not None and other is not None:
            assert d["delta"] == pytest.approx(this - other, abs=1e-4)
            n_numeric += 1
        else:
            assert d["delta"] is None
    assert n_numeric >= 10
    tags_a, tags_b = ra["summary"]["by_tag"], rb["summary"]["by_tag"]
    assert set(comp["by_tag"]) == set(tags_a) & set(tags_b) != set()
    for tag, d in comp["by_tag"].items():
        if "mrr" in d and d["mrr"]["delta"] is not None:
            assert d["mrr"]["delta"] == pytest.approx(
                tags_b[tag]["mrr"] - tags_a[tag]["mrr"], abs=1e-4
            )
    before = {q["id"]: q["pass"] for q in ra["questions"]}
    flips = {
        (q["id"], k)
        for q in rb["questions"]
        for k, v in q["pass"].items()
        if k in before[q["id"]] and before[q["id"]][k] != v
    }
    assert {(c["id"], c["metric"]) for c in comp["changed"]} == flips
    html = (two_runs["root"] / "b" / "report.html").read_text()
    assert "id='compare'" in html and "bar-other" in html and "tag-deltas" in html
    delta = comp["summary"]["answer_similarity"]["delta"]
    assert f"{delta:+.3f}" in html
    assert "delta" in two_runs["b"].stdout  # the terminal table has a delta column


def test_fail_under_sets_the_exit_status(two_runs):
    assert two_runs["a"].exit_code == 0, two_runs["a"].output
    b = two_runs["b"]
    assert b.exit_code == 1, b.output
    assert "mrr" in b.stderr and "under the threshold 1.01" in b.stderr
    assert "hit@10 " not in b.stderr  # the met threshold is not reported as missed
    assert (two_runs["root"] / "b" / "report.html").exists()  # results are written regardless


def test_clearance_hides_documents_above_it(sample_index, subset_file, tmp_path):
    r = invoke(
        sample_index.settings.data_dir,
        str(subset_file),
        "--out",
        str(tmp_path),
        "--clearance",
        "UNMARKED",
    )
    res = json.loads((tmp_path / "results.json").read_text())
    assert r.exit_code == 0 and res["config"]["clearance"] == "UNMARKED"
    seen = {src["source"] for q in res["questions"] for src in q["retrieved"]}
    seen |= {c["source"] for q in res["questions"] for c in q["citations"]}
    assert seen and all(sample_index.manifest.document(s).marking == "UNMARKED" for s in seen)
    # gold sources above UNMARKED: s01 and s15 (the RESTRICTED minutes, beside the public MoU
    # and press statement), s29 (CONFIDENTIAL record), s39 (RESTRICTED report); s43 has none
    hidden = {q["id"]: q["hidden_sources"] for q in res["questions"]}
    assert hidden["s15"] == hidden["s01"] == ["jwc-minutes-2024-03.md"] and hidden["s43"] == []
    assert res["summary"]["n_hidden_sources"] == 4  # s01, s15, s29, s39
    assert "above the clearance UNMARKED" in " ".join(r.stderr.split())
    # The output opens with the clearance used; the banner counts what it hid and how to rerun.
    assert r.stdout.splitlines()[0] == "clearance UNMARKED (caveats: none)"
    above = res["config"]["above_clearance"]
    assert (above["documents"], above["questions"]) == (3, 4)
    assert above["rerun"] == "--clearance CONFIDENTIAL"
    banner = " ".join(r.stderr.split())
    assert "3 of the" in banner and "rerun with --clearance CONFIDENTIAL" in banner
    assert banner.index("3 of the") < banner.index("question(s) have gold sources")
    assert "at clearance UNMARKED" in " ".join(r.stdout.split())  # the table titles
    html = (tmp_path / "report.html").read_text()
    assert (
        html.index("id='clearance'")
        < html.index("id='clearance-banner'")
        < html.index("id='config'")
    )


def test_unusable_arguments_exit_2(sample_index, subset_file, tmp_path):
    data = sample_index.settings.data_dir
    cases = [
        (("missing.jsonl",), "no such file"),
        ((str(subset_file), "--fail-under", "hit@7=0.9"), "unknown metric 'hit@7'"),
        ((str(subset_file), "--fail-under", "hit@5"), "METRIC=VALUE"),
        ((str(subset_file), "--mode", "sparse"), "--mode"),
        ((str(subset_file), "--compare", str(tmp_path / "nope.json")), "cannot be read"),
        ((str(subset_file), "--compare", str(subset_file)), "not a results.json"),
    ]
    for args, message in cases:
        r = invoke(data, *args, "--out", str(tmp_path / "out"))
        assert r.exit_code == 2, (args, r.output)
        assert message in r.stderr, (args, r.stderr)
    r = invoke(tmp_path / "no-index", str(subset_file))
    assert r.exit_code == 2 and "no index" in r.stderr
    assert not (tmp_path / "out").exists()


# --- a QA file with bad lines ------------------------------------------------------------------
BAD_QA = """\
{"id": "s01", "question": "When was the MoU on transborder crime signed?", "answers": ["14 November 2023"], "sources": ["mou-transborder-crime-2023.pdf"], "pages": [5], "tags": ["mou"]}
{"id": "b2", "question": "broken, "answers": []}
{"id": "b3", "answers": ["x"]}
{"id": "s01", "question": "Duplicate of the first id", "sources": []}
{"id": "u5", "question": "Where was the MoU signed?", "answers": ["Port Aldric"], "sources": ["no-such-file.pdf"], "tags": ["mou"]}
{"id": "n6", "question": "What is the annual budget of the liaison desk?", "answerable": false, "tags": ["unanswerable"]}

[1, 2, 3]
{"id": "p9", "question": "Which page?", "sources": ["mou-transborder-crime-2023.pdf"], "pages": ["five"]}
{"question": "Which city hosted the first Joint Working Committee meeting?", "answers": ["Sarapura"], "sources": ["jwc-minutes-2024-03.md"]}
"""  # noqa: E501


def test_bad_lines_get_clear_messages_and_the_rest_run(sample_index, tmp_path):
    qa = tmp_path / "bad.jsonl"
    qa.write_text(BAD_QA)
    r = invoke(sample_index.settings.data_dir, str(qa), "--out", str(tmp_path / "out"))
    assert r.exit_code == 1, r.output  # lines were skipped
    err = " ".join(r.stderr.split())
    for expected in (
        "bad.jsonl:2: error: malformed JSON",
        "bad.jsonl:3: error [b3]: missing 'question' (line skipped)",
        "bad.jsonl:4: error [s01]: duplicate id 's01' (first used on line 1) (line skipped)",
        "bad.jsonl:5: warning [u5]: gold source(s) not in the index: no-such-file.pdf "
        "(still evaluated)",
        "bad.jsonl:8: error: expected a JSON object, got list",
        "bad.jsonl:9: error [p9]: 'pages' must be a list of 1-based page numbers",
        "bad.jsonl:10: warning [line-10]: no 'id'",
        "5 line(s) of",
    ):
        assert expected in err, expected
    res = json.loads((tmp_path / "out" / "results.json").read_text())
    assert [q["id"] for q in res["questions"]] == ["s01", "u5", "n6", "line-10"]
    u5 = res["questions"][1]
    assert u5["unknown_sources"] == ["no-such-file.pdf"] and u5["metrics"]["hit@10"] == 0.0
    assert res["summary"]["n_unknown_sources"] == 1 and res["summary"]["n_unanswerable"] == 1
    assert {p["line"] for p in res["problems"]} == {2, 3, 4, 5, 8, 9, 10}
    html = (tmp_path / "out" / "report.html").read_text()
    assert "not in the index: no-such-file.pdf" in html and "id='problems'" in html


def test_csv_qa_set(tmp_path):
    path = tmp_path / "qa.csv"
    path.write_text(
        "id,question,answers,sources,pages,answerable,tags\n"
        'c1,Who signed?,"Tomas Arvelo|Arun Wiratama",mou.pdf,5,true,mou|who\n'
        'c2,"What budget, exactly?",,,,false,unanswerable\n'
        'c3,Pages?,"[""a""]",mou.pdf,"[2, 3]",maybe,\n'
        "c4,,x,,,,\n"
    )
    qs = load_qaset(path)
    assert [i.id for i in qs.items] == ["c1", "c2"]
    c1 = qs.items[0]
    assert (c1.answers, c1.sources, c1.pages, c1.tags) == (
        ["Tomas Arvelo", "Arun Wiratama"],
        ["mou.pdf"],
        [5],
        ["mou", "who"],
    )
    assert qs.items[1].question == "What budget, exactly?" and not qs.items[1].answerable
    msgs = [(p.line, p.message) for p in qs.problems]
    assert msgs[0][0] == 4 and "'answerable' must be true or false" in msgs[0][1]
    assert msgs[1] == (5, "empty or non-text 'question'")


def test_eval_of_whole_file_is_not_nan(full_run):
    s = full_run["results"]["summary"]
    assert not any(isinstance(v, float) and math.isnan(v) for v in s.values())
