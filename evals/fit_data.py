"""The data the answerability fit learns from: for each question of a tuning set, the answer
pipeline's own parts, retrieval and candidate features, labelled (see
``evals/fit_answerability.py``), with SQuAD 2.0-style swapped negatives; cached per set."""

from __future__ import annotations

import hashlib
import json
import pickle
import random
import re
import sys
from pathlib import Path

import numpy as np

from accord.answer.decision import FEATURES, Decision
from accord.answer.questions import parse
from accord.language.lexicon import lexicon

TEST_SPLITS = (
    "corpus_real_test.jsonl",
    "corpus_real_test2.jsonl",
    "corpus_real_test3.jsonl",
    "corpus_real_test4.jsonl",
    "corpus_real_test5.jsonl",
    "corpus_real_test6.jsonl",
)
CACHE_FORMAT = 5  # raise when what collect() keeps changes


def _norm(text: str) -> str:
    return " ".join(
        text.lower().replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"').split()
    )


def _runtime(data_dir: Path):
    from accord.runtime import Runtime
    from accord.settings import Settings

    settings = Settings(_env_file=None, data_dir=data_dir, clearance="TOP SECRET")
    rt = Runtime(settings)
    caveats = sorted({c for r in rt.manifest.markings() for c in r["caveats"]})
    return rt, settings.cli_audience("TOP SECRET", caveats)


def _swap(question: str, held: set[str], rng: random.Random) -> str | None:
    """The question with one name or figure replaced by one the index does not hold."""
    lex = lexicon()
    figures = re.findall(r"\b(1[89]\d\d|20\d\d|\d{2,4})\b", question)
    if figures and rng.random() < 0.5:
        f = rng.choice(figures)
        return question.replace(f, str(int(f) + rng.choice([7, 11, 13])), 1)
    names = [n for p in parse(question).parts for n in p.names if len(n.text) > 3]
    if not names:
        return None
    name = rng.choice(names)
    pool = [
        c
        for c in lex.country_names.values()
        if c.lower() not in held and c.lower() not in question.lower()
    ]
    if not pool:
        return None
    return question.replace(name.text, rng.choice(sorted(set(pool))), 1)


def collect(qa_file: Path, data_dir: Path, rng: random.Random, swaps: bool = True):
    """Candidate rows (features, label, question key) and per-question part summaries."""
    from accord.models import Filters

    rt, audience = _runtime(data_dir)
    qa = rt.build_qa(decision=Decision.neutral())  # the shipped file may lack a feature
    qa.extractive.read = True  # the reader's features are collected, used or not
    vocab = set(qa._lexical().vocabulary())
    rows, questions = [], []
    items = [json.loads(x) for x in qa_file.read_text().splitlines() if x.strip()]
    jobs = [(it, it["question"], bool(it.get("answerable", True))) for it in items]
    if swaps:
        for it in items:
            if it.get("answerable", True):
                q2 = _swap(it["question"], vocab, rng)
                if q2 and q2 != it["question"]:
                    jobs.append(({**it, "id": it["id"] + "~swap"}, q2, False))
    filters = Filters(audience=audience)
    for it, question, answerable in jobs:
        parsed = parse(question, qa.extractive.lex)
        gold = set(it.get("sources") or [])
        answers = [_norm(a) for a in it.get("answers") or []]
        parts = []
        seen: dict = {}  # sentence vectors shared by the parts, as when answering
        for part in parsed.parts:
            qvec = qa.embedder.embed_query(part.search)
            chunks = qa.retriever.retrieve(
                part.search, qa.settings.top_k, filters, query_vector=qvec
            )
            cands = qa.extractive.candidates(part, chunks, qvec, seen)
            labels = []
            for c in cands:
                src = chunks[c.chunk].source
                y = int(answerable and src in gold and any(a in _norm(c.sentence) for a in answers))
                labels.append(y)
                rows.append((c.x, y, it["id"]))
            parts.append(
                {
                    "kind": part.kind,
                    "text": part.search,
                    "cands": [
                        (c.x, c.kind_ok, y, chunks[c.chunk].source, c.sentence)
                        for c, y in zip(cands, labels, strict=True)
                    ],
                }
            )
        questions.append(
            {
                "id": it["id"],
                "question": question,
                "answerable": answerable,
                "gold": gold,
                "parts": parts,
                "swap": it["id"].endswith("~swap"),
            }
        )
    rt.close()
    return rows, questions


def _collect_cached(qa_file: Path, data_dir: Path, rng: random.Random, cache: Path | None):
    if cache is None:
        return collect(qa_file, data_dir, rng)
    key = hashlib.sha256(
        f"{CACHE_FORMAT}:{qa_file.resolve()}={data_dir.resolve()}".encode()
    ).hexdigest()[:16]
    path = cache / f"{key}.pickle"
    if path.exists():
        return pickle.loads(path.read_bytes())
    out = collect(qa_file, data_dir, rng)
    cache.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(out))
    return out


def load_sets(
    specs: list[str], rng: random.Random, cache: Path | None
) -> tuple[list, list[dict], list[str]]:
    """Candidate rows and questions of the tuning sets ``QA_FILE=DATA_DIR``; a test split is
    refused (tuning on it would void its figures)."""
    rows, questions, sets = [], [], []
    for spec in specs:
        qa_file, _, data_dir = spec.partition("=")
        if Path(qa_file).name in TEST_SPLITS:
            sys.exit(f"{qa_file} is a test split: tuning on it would void its figures")
        r, q = _collect_cached(Path(qa_file), Path(data_dir), rng, cache)
        rows += r
        questions += q
        sets.append(Path(qa_file).as_posix())
        print(
            f"{qa_file}: {len(q)} questions, {len(r)} candidates, "
            f"{sum(y for _, y, _ in r)} positive",
            file=sys.stderr,
        )
    return rows, questions, sets


def masked(rows: list, questions: list[dict], keep: set[str]) -> tuple[list, list[dict]]:
    """Copies of ``rows`` and ``questions`` with every feature outside ``keep`` set to 0 (a
    constant column: the fit gives it no weight)."""
    mask = np.asarray([1.0 if f in keep else 0.0 for f in FEATURES])
    new_rows = [(x * mask, y, qid) for x, y, qid in rows]
    new_q = []
    for q in questions:
        parts = [{**p, "cands": [(c[0] * mask, *c[1:]) for c in p["cands"]]} for p in q["parts"]]
        new_q.append({**q, "parts": parts})
    return new_rows, new_q
