"""Citation details against hand-checked quotes (tests/data/citations_truth.jsonl: samples and
../shared/corpus, PDF, HTML, Word, Markdown, text), read as a sync reads the files: the section
(the nearest heading above the quote), the page, the document's own date and its type."""

from __future__ import annotations

import pytest

from evals.citations_truth import FIELDS, ROOTS, load, score
from tests.conftest import REPO

TRUTH = REPO / "tests" / "data" / "citations_truth.jsonl"
BARS = {"section": 0.95, "page": 0.95, "date": 0.90, "doc_type": 0.90}


@pytest.fixture(scope="module")
def result():
    if not ROOTS["corpus"].is_dir():
        pytest.skip(f"{ROOTS['corpus']} is not here (the shared corpus sits beside the checkout)")
    return score(load(TRUTH))


def test_the_truth_file_covers_every_format_and_both_collections():
    entries = load(TRUTH)
    assert len(entries) >= 80
    assert {e["format"] for e in entries} >= {"pdf", "html", "docx", "md", "txt"}
    assert {e["collection"] for e in entries} == {"samples", "corpus"}
    assert all(set(e) >= {"quote", "section", "page", "date", "doc_type"} for e in entries)


@pytest.mark.parametrize("field", FIELDS)
def test_each_detail_is_right_often_enough(result, field):
    r = result[field]
    share = r["right"] / r["n"]
    assert share >= BARS[field], (field, share, r["misses"][:5])
