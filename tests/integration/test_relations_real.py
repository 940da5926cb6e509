"""Relations and dates inferred from real documents (../shared/corpus), against a set checked by
hand: tests/data/relations_real.jsonl (White House agreements, MoUs, letters, joint statements and
fact sheets; DFAT ANZUS treaty drafts and CER negotiation records). The set was written from
reading the documents; each line carries the evidence sentence. The inference runs for real: the
ingest loader, ``read_instrument`` and a ``Registry`` over the set's documents.
"""

from __future__ import annotations

import pytest

from evals.relations import load_items, measure, report
from tests.conftest import CORPUS, REPO

SET = REPO / "tests" / "data" / "relations_real.jsonl"
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"{CORPUS} is not there")


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def measured():
    items = load_items(SET)
    return items, measure(items, CORPUS)


def test_the_hand_checked_set_quotes_its_documents(measured):
    items, m = measured
    pairs = [x for x in items if x["type"] == "relation"]
    assert len(pairs) >= 20 and sum(x["kind"] == "none" for x in pairs) >= 10
    assert {x["source"].split("/")[0] for x in items} == {"whitehouse", "dfat"}
    for x in items:  # every evidence sentence is in its document (line wrapping aside)
        for sentence in x["evidence"].split(" | "):
            assert _flat(sentence) in _flat(m.texts[x["source"]]), (x["source"], sentence)
        if x.get("target"):
            assert x["target"] in m.texts


def test_precision_on_real_documents_and_recall_reported(measured, record_property):
    _items, m = measured
    print("\n" + report(m))
    record_property("relation_recall", round(m.relations.recall, 3))
    record_property("date_recall", round(m.dates.recall, 3))
    assert len(m.relations.tp) + len(m.relations.fp) >= 8  # enough inferred to measure
    assert m.relations.precision >= 0.9, m.relations.fp
    assert len(m.dates.tp) + len(m.dates.fp) >= 8
    assert m.dates.precision >= 0.9, m.dates.fp


def test_inferred_relations_cite_their_sentence_and_unresolved_ones_are_listed(measured):
    items, m = measured
    unresolved = {(src, r.kind, r.target_ref) for src, r in m.registry.unresolved}
    open_truths = {
        (x["source"], x["kind"])
        for x in items
        if x["type"] == "relation" and x["kind"] != "none" and not x.get("target")
    }
    for src, kind, target in m.relations.tp:
        inst = m.registry.items[src]
        [rel] = [
            r for r in inst.relations if r.kind == kind and (r.target or r.target_ref) == target
        ]
        ev = rel.evidence
        assert ev is not None and m.texts[src][ev.start : ev.end] == ev.text
        if (src, kind) in open_truths:  # not in the corpus: listed, not guessed
            assert rel.target is None and (src, kind, rel.target_ref) in unresolved
