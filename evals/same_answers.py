"""Did a change move any answer? Compare two runs of ``accord eval`` question by question.

    python -m evals.same_answers OLD/results.json NEW/results.json [OLD2 NEW2 ...]
    python -m evals.same_answers --dirs OLD_PREFIX NEW_PREFIX  # every OLD_PREFIX*/results.json

For a refactor that must not change behaviour (issue 24): each pair is two ``results.json`` of
the same QA set (same ``qa_sha256``) over the same index generation. Per question it compares
what an officer sees and what the scores rest on: the answer text, refused and weak, the parts'
verdicts and leads, the citations (number, source, page, section, date, type, span and quote)
and the ranked retrieved documents with their scores. Latency and timestamps are not compared.
Prints every difference and a line per pair; exit 1 when any answer differs, 2 on unusable input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

CITATION_FIELDS = (
    "n",
    "source",
    "title",
    "doc_type",
    "date",
    "page",
    "page_end",
    "section",
    "chunk_id",
    "quote",
    "char_start",
    "char_end",
    "content_hash",
    "marking",
    "caveats",
    "score",
    "valid",
    "gold",
)
QUESTION_FIELDS = ("answer", "refused", "weak", "error", "notice", "first_gold_rank", "passed")


def _citations(q: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: c.get(k) for k in CITATION_FIELDS} for c in q.get("citations") or []]


def _retrieved(q: dict[str, Any]) -> list[tuple[str, float, Any]]:
    return [(r["source"], round(float(r["score"]), 6), r.get("page")) for r in q["retrieved"]]


def _parts(q: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: v for k, v in p.items() if k not in ("latency_ms",)} for p in q.get("parts") or []]


def differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Every difference between two runs' questions, as lines naming the question."""
    lines: list[str] = []
    old_q = {q["id"]: q for q in old["questions"]}
    new_q = {q["id"]: q for q in new["questions"]}
    for qid in sorted(old_q.keys() - new_q.keys()):
        lines.append(f"{qid}: only in the old run")
    for qid in sorted(new_q.keys() - old_q.keys()):
        lines.append(f"{qid}: only in the new run")
    for qid in [q["id"] for q in old["questions"] if q["id"] in new_q]:
        a, b = old_q[qid], new_q[qid]
        for field in QUESTION_FIELDS:
            if a.get(field) != b.get(field):
                lines.append(f"{qid}: {field}: {a.get(field)!r} -> {b.get(field)!r}")
        if _parts(a) != _parts(b):
            lines.append(f"{qid}: parts: {_parts(a)!r} -> {_parts(b)!r}")
        if _citations(a) != _citations(b):
            lines.append(f"{qid}: citations: {_citations(a)!r} -> {_citations(b)!r}")
        if _retrieved(a) != _retrieved(b):
            lines.append(f"{qid}: retrieved: {_retrieved(a)!r} -> {_retrieved(b)!r}")
    return lines


def compare(old_file: Path, new_file: Path) -> tuple[int, int]:
    """(questions compared, questions that differ); prints the differences."""
    old = json.loads(old_file.read_text(encoding="utf-8"))
    new = json.loads(new_file.read_text(encoding="utf-8"))
    for key in ("qa_sha256", "index_generation", "mode", "k", "clearance"):
        if old["config"].get(key) != new["config"].get(key):
            raise ValueError(
                f"{old_file} and {new_file} differ in {key} ({old['config'].get(key)!r} vs "
                f"{new['config'].get(key)!r}): not two runs of the same question set and index"
            )
    lines = differences(old, new)
    for line in lines:
        print(f"  {line}")
    changed = len({line.split(":", 1)[0] for line in lines})
    return len(old["questions"]), changed


def pairs_of(args: argparse.Namespace) -> list[tuple[Path, Path]]:
    if args.dirs:
        old_prefix, new_prefix = args.dirs
        pairs = []
        for old_dir in sorted(Path(old_prefix).parent.glob(Path(old_prefix).name + "*")):
            if not (old_dir / "results.json").is_file():
                continue
            suffix = old_dir.name[len(Path(old_prefix).name) :]
            new_dir = Path(new_prefix).parent / (Path(new_prefix).name + suffix)
            pairs.append((old_dir / "results.json", new_dir / "results.json"))
        return pairs
    files = [Path(f) for f in args.files]
    if len(files) % 2:
        raise ValueError("give results.json files in pairs: OLD NEW [OLD NEW ...]")
    return list(zip(files[::2], files[1::2], strict=True))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", help="OLD/results.json NEW/results.json, in pairs")
    ap.add_argument("--dirs", nargs=2, metavar=("OLD_PREFIX", "NEW_PREFIX"))
    args = ap.parse_args(argv)
    try:
        pairs = pairs_of(args)
        if not pairs:
            raise ValueError("nothing to compare")
        total = differ = 0
        for old_file, new_file in pairs:
            if not new_file.is_file():
                raise ValueError(f"{new_file}: no such file (the new run of {old_file})")
            print(f"{old_file} -> {new_file}")
            n, changed = compare(old_file, new_file)
            print(f"  {n} questions, {changed} with a different answer")
            total, differ = total + n, differ + changed
    except (OSError, ValueError, KeyError, json.JSONDecodeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{len(pairs)} runs, {total} questions, {differ} with a different answer")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
