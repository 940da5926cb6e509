"""Did a change move any answer? Compare two runs of ``accord eval`` question by question.

    python -m evals.same_answers OLD/results.json NEW/results.json [OLD2 NEW2 ...]
    python -m evals.same_answers --dirs OLD_PREFIX NEW_PREFIX  # every OLD_PREFIX*/results.json

For a refactor that must not change behaviour (issue 24): each pair is two ``results.json`` of
the same QA set (same ``qa_sha256``) over the same index generation. Per question it compares
what an officer sees and what the scores rest on: the answer text, refused and weak, the parts'
verdicts and leads, the citations (number, source, page, section, date, type, span and quote)
and the ranked retrieved documents with their scores. Latency and timestamps are not compared.
Dense search (Chroma's HNSW) is approximate and its graph can differ from one process to the
next, so two runs of the same code can differ on a few questions: with ``--also`` further runs
of the old code, a new answer that equals the old code's in any of its runs counts as the same.
Prints every difference and a line per pair; exit 1 when any answer differs, 2 on unusable input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

QUESTION_FIELDS = ("answer", "refused", "weak", "error", "notice", "first_gold_rank", "passed")


def _citations(q: dict[str, Any]) -> list[dict[str, Any]]:
    """The citations whole: number, source, title, type, date, page, section, span, quote,
    marking, score and the eval's flags."""
    return list(q.get("citations") or [])


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


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _check_same_setup(old_file: Path, old: dict, new_file: Path, new: dict) -> None:
    for key in ("qa_sha256", "index_generation", "mode", "k", "clearance"):
        if old["config"].get(key) != new["config"].get(key):
            raise ValueError(
                f"{old_file} and {new_file} differ in {key} ({old['config'].get(key)!r} vs "
                f"{new['config'].get(key)!r}): not two runs of the same question set and index"
            )


def compare(old_file: Path, new_file: Path, also: list[Path] | None = None) -> tuple[int, int, int]:
    """(questions compared, questions whose new answer differs from every run of the old code,
    questions that differ from the first old run only as the old code differs from itself);
    prints the differences. ``also``: further runs of the old code on the same set."""
    old, new = _load(old_file), _load(new_file)
    _check_same_setup(old_file, old, new_file, new)
    others = []
    for other_file in also or []:
        other = _load(other_file)
        _check_same_setup(old_file, old, other_file, other)
        others.append(other)
    lines = differences(old, new)
    changed = {line.split(":", 1)[0] for line in lines}
    varies = set()
    for qid in changed:
        for other in others:
            one = {
                "config": other["config"],
                "questions": [q for q in other["questions"] if q["id"] == qid],
            }
            mine = {
                "config": new["config"],
                "questions": [q for q in new["questions"] if q["id"] == qid],
            }
            if one["questions"] and not differences(one, mine):
                varies.add(qid)
                break
    for line in lines:
        qid = line.split(":", 1)[0]
        tag = "  (as another run of the old code)" if qid in varies else ""
        print(f"  {line}{tag}")
    return len(old["questions"]), len(changed - varies), len(varies)


def pairs_of(args: argparse.Namespace) -> list[tuple[Path, Path, list[Path]]]:
    if args.dirs:
        old_prefix, new_prefix = (Path(p) for p in args.dirs)
        pairs = []
        for old_dir in sorted(old_prefix.parent.glob(old_prefix.name + "*")):
            if not (old_dir / "results.json").is_file():
                continue
            suffix = old_dir.name[len(old_prefix.name) :]
            new_dir = new_prefix.parent / (new_prefix.name + suffix)
            also = [
                Path(a).parent / (Path(a).name + suffix) / "results.json"
                for a in args.also
                if (Path(a).parent / (Path(a).name + suffix) / "results.json").is_file()
            ]
            pairs.append((old_dir / "results.json", new_dir / "results.json", also))
        return pairs
    if args.also:
        raise ValueError("--also goes with --dirs")
    files = [Path(f) for f in args.files]
    if len(files) % 2:
        raise ValueError("give results.json files in pairs: OLD NEW [OLD NEW ...]")
    return [(a, b, []) for a, b in zip(files[::2], files[1::2], strict=True)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", help="OLD/results.json NEW/results.json, in pairs")
    ap.add_argument("--dirs", nargs=2, metavar=("OLD_PREFIX", "NEW_PREFIX"))
    ap.add_argument(
        "--also",
        action="append",
        default=[],
        metavar="OLD_PREFIX",
        help="(with --dirs) another run of the old code: a new answer equal to the old code's "
        "in any run is the same answer (dense search is approximate: runs can differ)",
    )
    args = ap.parse_args(argv)
    try:
        pairs = pairs_of(args)
        if not pairs:
            raise ValueError("nothing to compare")
        total = differ = varied = 0
        for old_file, new_file, also in pairs:
            if not new_file.is_file():
                raise ValueError(f"{new_file}: no such file (the new run of {old_file})")
            print(
                f"{old_file} -> {new_file}" + (f" (and {len(also)} more old runs)" if also else "")
            )
            n, changed, varies = compare(old_file, new_file, also)
            print(
                f"  {n} questions, {changed} with a different answer, "
                f"{varies} as in another old run"
            )
            total, differ, varied = total + n, differ + changed, varied + varies
    except (OSError, ValueError, KeyError, json.JSONDecodeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"{len(pairs)} runs, {total} questions, {differ} with a different answer "
        f"({varied} more differ from the first old run only as the old code's runs differ)"
    )
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
