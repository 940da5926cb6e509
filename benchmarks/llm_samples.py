"""Generated answers on the samples QA set, against the extractive answerer in the same run.

For each answerable question of ``samples/qa.jsonl`` the same retrieved chunks go to the
extractive answerer (the baseline) and to the LLM answerer (llamacpp provider, a packaged small
model by default). Printed figures:

- citation validity: the share of citations whose quote equals the stored document text at its
  span (``runtime.manifest.document(source).text``); before the check, the share of the model's
  own cited sentences whose marker points at a source that supports them;
- the share of answer sentences (claims) the check removed, and where the answers fell back;
- answer match: normalised containment of any expected answer string, for the raw model text,
  the checked answer the officer sees, and the extractive baseline;
- a threshold sweep of the check's content-overlap measure (how it was calibrated).

Run: ``python -m benchmarks.llm_samples [--model smollm2-135m|gemma3-270m | --model-path F]``.
A benchmark prints figures; it is not a test and gates nothing.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Run as a file, this folder would come first on sys.path and benchmarks/ingest.py would hide
# the ingest package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]


def norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def matches(text: str, expected: list[str]) -> bool:
    t = norm(text)
    return any(norm(e) in t for e in expected if norm(e))


def valid_citations(rt, answer) -> tuple[int, int]:
    ok = sum(
        rt.manifest.document(c.source).text[c.char_start : c.char_end] == c.quote
        for c in answer.citations
    )
    return ok, len(answer.citations)


def pct(a: float, b: float) -> str:
    return f"{100 * a / b:5.1f}%" if b else "  n/a"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="smollm2-135m", help="packaged model name")
    ap.add_argument("--model-path", type=Path, help="a GGUF file instead of a packaged model")
    ap.add_argument("--qa", type=Path, default=REPO / "samples" / "qa.jsonl")
    ap.add_argument("--docs", type=Path, default=REPO / "samples" / "docs")
    ap.add_argument("--limit", type=int, default=0, help="first N questions only")
    ap.add_argument("--json", type=Path, help="also write per-question rows here")
    args = ap.parse_args(argv)

    from accord.answer.llm import build_answerer
    from accord.runtime import Runtime
    from accord.settings import Settings, configure_offline_hub

    configure_offline_hub()
    rows = [json.loads(line) for line in args.qa.read_text().splitlines() if line.strip()]
    rows = [r for r in rows if r.get("answerable", True)]
    if args.limit:
        rows = rows[: args.limit]
    tmp = Path(tempfile.mkdtemp(prefix="accord-llm-bench-"))
    try:
        shutil.copytree(args.docs, tmp / "docs")
        # The runtime's own QA stays extractive (the baseline); the LLM answerer is built apart
        # so both answer from the very same retrieved chunks.
        settings = Settings(_env_file=None, data_dir=tmp / "data", clearance="TOP SECRET")
        rt = Runtime(settings)
        res = rt.syncer().run(tmp / "docs")
        if res.failed:
            print("ingest failed:", res.failed, file=sys.stderr)
            return 1
        t0 = time.perf_counter()
        answerer = build_answerer(
            settings.model_copy(
                update={
                    "llm_provider": "llamacpp",
                    "llm_model": args.model,
                    "llm_model_path": args.model_path,
                    "llm_timeout_s": 120.0,
                }
            )
        )
        load_s = time.perf_counter() - t0
        qa = rt.qa
        out = []
        for row in rows:
            q = row["question"]
            qvec = qa.embedder.embed_query(q)
            chunks = qa.retrieve(q)
            ext = qa.extractive.compose(q, chunks, qvec)
            t1 = time.perf_counter()
            ans, trace = answerer.run(q, chunks, qvec, qa.extractive)
            secs = time.perf_counter() - t1
            chk = trace.check
            out.append(
                {
                    "id": row["id"],
                    "question": q,
                    "expected": row["answers"],
                    "raw": trace.raw,
                    "answer": ans.text,
                    "mode": ans.mode,
                    "fallback": trace.fallback,
                    "seconds": round(secs, 2),
                    "ext_answer": ext.text,
                    "claims": len(chk.claims) if chk else 0,
                    "removed": len(chk.removed) if chk else 0,
                    "cited_ok_before": sum(1 for s in chk.claims if s.status == "supported")
                    if chk
                    else 0,
                    "cited_before": sum(1 for s in chk.claims if s.cited) if chk else 0,
                    "valid": valid_citations(rt, ans),
                    "ext_valid": valid_citations(rt, ext),
                    "match_raw": matches(trace.raw, row["answers"]),
                    "match": matches(ans.text, row["answers"]),
                    "match_ext": matches(ext.text, row["answers"]),
                    "coverages": [(s.coverage, s.kept) for s in chk.sentences] if chk else [],
                    "_trace": trace,
                }
            )
            print(
                f"{row['id']}: {ans.mode:10s} {trace.fallback or '':12s} {secs:5.1f}s  "
                f"removed {out[-1]['removed']}/{out[-1]['claims']}  {trace.raw[:70]!r}",
                file=sys.stderr,
            )
        report(out, args, load_s)
        sweep(out)
        if args.json:
            args.json.write_text(
                json.dumps([{k: v for k, v in r.items() if k != "_trace"} for r in out], indent=1)
            )
        rt.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def report(out: list[dict], args: argparse.Namespace, load_s: float) -> None:
    n = len(out)
    model = args.model_path or args.model
    llm = [r for r in out if r["mode"] == "llm"]
    fallbacks: dict[str, int] = {}
    for r in out:
        if r["fallback"]:
            fallbacks[r["fallback"]] = fallbacks.get(r["fallback"], 0) + 1
    claims = sum(r["claims"] for r in out)
    removed = sum(r["removed"] for r in out)
    cited_before = sum(r["cited_before"] for r in out)
    ok_before = sum(r["cited_ok_before"] for r in out)
    v_ok = sum(r["valid"][0] for r in out)
    v_all = sum(r["valid"][1] for r in out)
    e_ok = sum(r["ext_valid"][0] for r in out)
    e_all = sum(r["ext_valid"][1] for r in out)
    secs = [r["seconds"] for r in out]
    print(
        f"\nLLM answers on {args.qa.name}: {n} answerable questions, model {model} "
        f"(llamacpp, loaded in {load_s:.1f} s)"
    )
    print(
        f"  answered by the LLM (checked): {len(llm)}/{n}; fell back to extractive: "
        f"{n - len(llm)} {fallbacks or ''}"
    )
    print(f"  time per LLM answer: median {statistics.median(secs):.1f} s, max {max(secs):.1f} s")
    print("\n  citation validity")
    print(
        f"    before the check: {ok_before}/{cited_before} cited sentences supported by the "
        f"source they cite ({pct(ok_before, cited_before)})"
    )
    print(
        f"    after the check:  {v_ok}/{v_all} citations quote the document text at their "
        f"span ({pct(v_ok, v_all)})"
    )
    print(f"    extractive:       {e_ok}/{e_all} ({pct(e_ok, e_all)})")
    print(f"\n  sentences removed by the check: {removed}/{claims} claims ({pct(removed, claims)})")
    print("\n  answer match (an expected answer string contained, normalised)")
    print(
        f"    model text before the check: {sum(r['match_raw'] for r in out)}/{n} "
        f"({pct(sum(r['match_raw'] for r in out), n)})"
    )
    print(
        f"    answer shown (LLM or fallback): {sum(r['match'] for r in out)}/{n} "
        f"({pct(sum(r['match'] for r in out), n)})"
    )
    print(
        f"    extractive baseline:           {sum(r['match_ext'] for r in out)}/{n} "
        f"({pct(sum(r['match_ext'] for r in out), n)})"
    )


def sweep(out: list[dict]) -> None:
    """How the content-overlap threshold trades kept sentences against answer match."""
    from accord.answer.llm.citecheck import CitationChecker

    print("\n  threshold sweep (raw model text re-checked; kept share / match of kept text)")
    for th in (0.4, 0.5, 0.6, 0.7, 0.8):
        checker = CitationChecker(threshold=th)
        kept = claims = match = 0
        for r in out:
            tr = r["_trace"]
            if not tr.raw.strip() or not tr.sources:
                continue
            res = checker.check(tr.raw, tr.sources, r["question"])
            text, _ = checker.render(res, tr.sources)
            kept += len(res.kept)
            claims += len(res.claims)
            match += matches(text, r["expected"])
        print(f"    {th:.1f}: kept {kept}/{claims} ({pct(kept, claims)}), match {match}/{len(out)}")


if __name__ == "__main__":
    raise SystemExit(main())
