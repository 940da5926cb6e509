"""Relations and dates between real documents, measured against a set checked by hand.

A set (``tests/data/relations_real.jsonl``) holds two kinds of line, written by a person who read
the documents in ``../shared/corpus``:

- ``{"type": "relation", "source", "kind", "target", "target_ref", "target_date", "evidence"}``:
  the source document amends / supersedes / extends / terminates / implements the target (a
  corpus path, or ``null`` with the reference as written when the target is not in the corpus),
  or ``"kind": "none"`` for a pair with no such relation (often with a phrasing that could mislead).
- ``{"type": "dates", "source", "signed", "entry_into_force", "term_months", "evidence"}``: the
  dates the document states as its own (``null``: it states none).

``measure(items, corpus)`` loads each document as the ingest path does, reads it with
``accord.instruments.registry.read_instrument``, resolves references with a ``Registry`` over the
set's documents, and scores every inferred relation and date against the set: a relation inferred
from a set document that matches no positive line is a false positive. Run
``python -m evals.relations [SET] [--corpus DIR]`` to print the figures.
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accord.instruments.registry import Instrument, Registry, read_instrument
from accord.language.lexicon import lexicon

DATE_FIELDS = ("signed", "entry_into_force", "term_months")


def load_items(path: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def _words(text: str) -> set[str]:
    stop = lexicon().stopwords
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in stop and len(w) > 2}


def same_reference(inferred: str, truth: str) -> bool:
    """An inferred reference names the instrument of the true one: most of the shorter's content
    words are in the longer ("the MOU" for "the MOU to deepen cooperation on ...")."""
    a, b = _words(inferred), _words(truth)
    return bool(a and b) and len(a & b) / min(len(a), len(b)) >= 0.6


@dataclass
class Score:
    tp: list[tuple[str, str, str]] = field(default_factory=list)  # (source, kind, target)
    fp: list[tuple[str, str, str]] = field(default_factory=list)
    fn: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        n = len(self.tp) + len(self.fp)
        return len(self.tp) / n if n else 0.0

    @property
    def recall(self) -> float:
        n = len(self.tp) + len(self.fn)
        return len(self.tp) / n if n else 0.0


@dataclass
class Measured:
    relations: Score
    dates: Score
    registry: Registry
    texts: dict[str, str]
    pairs: int  # relation lines (positive and negative)
    negatives: int


def read_documents(sources: list[str], corpus: Path) -> tuple[list[Instrument], dict[str, str]]:
    """Each source as the ingest path loads it, read as an instrument."""
    from accord.access.markings import load_rules
    from ingest.sync import load_document

    rules = load_rules()
    insts, texts = [], {}
    for src in sources:
        doc, _ = load_document(corpus / src, src, rules)
        texts[src] = doc.text
        insts.append(
            read_instrument(
                src,
                doc.text,
                {
                    "title": doc.title,
                    "doc_type": doc.doc_type,
                    "date": doc.date,
                    "extra": doc.extra,
                },
            )
        )
    return insts, texts


def _matches(rel: Any, line: dict[str, Any]) -> bool:
    if rel.kind != line["kind"]:
        return False
    if line.get("target"):
        return rel.target == line["target"]
    if rel.target is not None:
        return False  # resolved to a set document, though the truth is not in the corpus
    if line.get("target_date") and rel.target_date and rel.target_date != line["target_date"]:
        return False
    return same_reference(rel.target_ref, line["target_ref"])


def measure(items: list[dict[str, Any]], corpus: Path) -> Measured:
    rel_lines = [x for x in items if x["type"] == "relation"]
    date_lines = {x["source"]: x for x in items if x["type"] == "dates"}
    sources = sorted(
        {x["source"] for x in items} | {x["target"] for x in rel_lines if x.get("target")}
    )
    insts, texts = read_documents(sources, corpus)
    registry = Registry(insts)
    positives = [x for x in rel_lines if x["kind"] != "none"]
    judged = {x["source"] for x in items}  # documents whose every relation the set lists
    rels, found = Score(), set()
    for inst in insts:
        if inst.source not in judged:
            continue
        for rel in inst.relations:
            key = (inst.source, rel.kind, rel.target or rel.target_ref)
            hit = next(
                (
                    i
                    for i, x in enumerate(positives)
                    if x["source"] == inst.source and i not in found and _matches(rel, x)
                ),
                None,
            )
            if hit is None:
                rels.fp.append(key)
            else:
                found.add(hit)
                rels.tp.append(key)
    rels.fn = [
        (x["source"], x["kind"], x.get("target") or x["target_ref"])
        for i, x in enumerate(positives)
        if i not in found
    ]
    dates = Score()
    for src, line in date_lines.items():
        inst = registry.items[src]
        inferred = {
            "signed": inst.signed if inst.signed_evidence else None,
            "entry_into_force": inst.entry_into_force if inst.entry_evidence else None,
            "term_months": inst.term_months,
        }
        for f in DATE_FIELDS:
            got, truth = inferred[f], line[f]
            if got is not None and got == truth:
                dates.tp.append((src, f, str(got)))
            elif got is not None:
                dates.fp.append((src, f, str(got)))
            if truth is not None and got != truth:
                dates.fn.append((src, f, str(truth)))
    return Measured(rels, dates, registry, texts, len(rel_lines), len(rel_lines) - len(positives))


def report(m: Measured) -> str:
    r, d = m.relations, m.dates
    lines = [
        f"relation pairs: {m.pairs} ({m.pairs - m.negatives} related, {m.negatives} not)",
        f"relations: precision {r.precision:.2f} ({len(r.tp)}/{len(r.tp) + len(r.fp)}), "
        f"recall {r.recall:.2f} ({len(r.tp)}/{len(r.tp) + len(r.fn)})",
        f"dates: precision {d.precision:.2f} ({len(d.tp)}/{len(d.tp) + len(d.fp)}), "
        f"recall {d.recall:.2f} ({len(d.tp)}/{len(d.tp) + len(d.fn)})",
        f"unresolved references listed: {len(m.registry.unresolved)}",
    ]
    lines += [f"  false positive: {x}" for x in r.fp + d.fp]
    lines += [f"  missed: {x}" for x in r.fn + d.fn]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    repo = Path(__file__).resolve().parents[1]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("set", nargs="?", type=Path, default=repo / "tests/data/relations_real.jsonl")
    ap.add_argument("--corpus", type=Path, default=repo.parent / "shared" / "corpus")
    args = ap.parse_args(argv)
    print(report(measure(load_items(args.set), args.corpus)))


if __name__ == "__main__":
    main()
