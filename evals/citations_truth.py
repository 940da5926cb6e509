"""How right a citation's details are on hand-checked quotes: section, page, date and type.

    python -m evals.citations_truth [--truth tests/data/citations_truth.jsonl] [--show-misses]

Each line of the truth file (checked by reading the documents, not by running Accord) gives a
verbatim quote from a sample or a corpus document with the nearest heading above it, its page
(PDFs), the document's own date and its type. The document is read as a sync reads it (loaders,
folder defaults, metadata, chunker) and the quote's citation details computed as an answer
would (``accord.answer.extractive.quote_section``); each field is compared with the truth. Prints
the share right per field, by format, and with --show-misses every miss.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROOTS = {"samples": REPO / "samples" / "docs", "corpus": REPO.parent / "shared" / "corpus"}
FIELDS = ("section", "page", "date", "doc_type")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_NOTE = re.compile(r"\[\d+\]\([^)]*\)")  # a footnote marker ("[1](#f1)"): not the heading's words


def _norm(value: object) -> str | None:
    if value is None or value == "":
        return None
    text = _LINK.sub(r"\1", _NOTE.sub("", str(value)))
    text = text.strip().strip("#").strip().strip("\"'“”").strip()
    return " ".join(text.split()).lower() or None


def _collapse(text: str) -> tuple[str, list[int]]:
    """``text`` with whitespace runs as one space, and each kept character's offset."""
    out, offsets, space = [], [], False
    for i, ch in enumerate(text):
        if ch.isspace():
            if not space and out:
                out.append(" ")
                offsets.append(i)
            space = True
            continue
        out.append(ch)
        offsets.append(i)
        space = False
    return "".join(out), offsets


def read(entry: dict, rules: object, cache: dict) -> dict:
    """What Accord says about ``entry``'s quote: section, page, date, doc_type (or error)."""
    from accord.answer.citations import quote_section
    from ingest.chunking import chunk_document
    from ingest.folders import FolderDefaults
    from ingest.sync import load_document

    root = ROOTS[entry["collection"]]
    key = (entry["collection"], entry["source"])
    if key not in cache:
        doc, _ = load_document(
            root / entry["source"], entry["source"], rules, FolderDefaults(root, rules)
        )
        cache[key] = (doc, chunk_document(doc), _collapse(doc.text))
    doc, chunks, (flat, offsets) = cache[key]
    quote = " ".join(entry["quote"].split())
    at = flat.find(quote)
    if at < 0:
        return {"error": "quote not found in the extracted text"}
    start = offsets[at]
    chunk = next((c for c in chunks if c.char_start <= start < c.char_end), None)
    meta = chunk.metadata(doc) if chunk else {}
    return {
        "section": quote_section(meta, start) if chunk else None,
        "page": doc.page_at(start) if doc.page_starts else None,
        "date": doc.date,
        "doc_type": doc.doc_type,
    }


def score(entries: list[dict]) -> dict:
    """Per field: right, total and the misses; and per format."""
    from accord.settings import Settings

    rules = Settings(_env_file=None).rules()
    cache: dict = {}
    out: dict = {f: {"right": 0, "n": 0, "misses": []} for f in FIELDS}
    by_format: dict = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for e in entries:
        got = read(e, rules, cache)
        for f in FIELDS:
            if f == "page" and e["format"] != "pdf":
                continue
            want = e[f]
            have = got.get(f)
            ok = "error" not in got and (
                _norm(want) == _norm(have) if f == "section" else want == have
            )
            out[f]["n"] += 1
            out[f]["right"] += ok
            by_format[e["format"]][f][0] += ok
            by_format[e["format"]][f][1] += 1
            if not ok:
                out[f]["misses"].append(
                    {
                        "source": e["source"],
                        "quote": e["quote"][:70],
                        "want": want,
                        "have": have,
                        "error": got.get("error"),
                    }
                )
    out["by_format"] = {k: {f: tuple(v) for f, v in fs.items()} for k, fs in by_format.items()}
    return out


def load(path: Path) -> list[dict]:
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--truth", type=Path, default=REPO / "tests" / "data" / "citations_truth.jsonl")
    ap.add_argument("--show-misses", action="store_true")
    args = ap.parse_args(argv)
    entries = load(args.truth)
    res = score(entries)
    print(f"{len(entries)} hand-checked quotes ({args.truth})")
    for f in FIELDS:
        r = res[f]
        print(f"  {f:9} {r['right']}/{r['n']} right ({r['right'] / max(r['n'], 1):.3f})")
    for fmt, fs in sorted(res["by_format"].items()):
        print(f"  {fmt:5} " + ", ".join(f"{f} {a}/{b}" for f, (a, b) in fs.items()))
    if args.show_misses:
        for f in FIELDS:
            for m in res[f]["misses"]:
                print(
                    f"  miss {f}: {m['source']}: want {m['want']!r}, have {m['have']!r}"
                    + (f" ({m['error']})" if m["error"] else "")
                    + f"  | {m['quote']}"
                )


if __name__ == "__main__":
    main()
