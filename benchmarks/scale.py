"""Scale: an index of 100,000 chunks or more on a Chroma server with its state in PostgreSQL,
against the same figures at the corpus size, measured in the same run.

    python benchmarks/scale.py [--target 100000] [--corpus ../shared/corpus]
        [--from-index DATA_DIR] [--chroma-url URL --database-url URL] [--work /tmp/accord-scale]

1. **Corpus size.** The corpus is ingested into a Chroma server (started here on loopback unless
   ``--chroma-url``) and a PostgreSQL database (a throwaway cluster unless ``--database-url``),
   or, with ``--from-index``, copied from an embedded index of it already built (its manifest
   rows and its stored vectors: no re-embedding).
2. At each size: **ingest** of a folder of new documents (copies of corpus files with a line
   added, so every one is embedded for real), docs/s and the process's peak memory (the sync ends
   by rebuilding the lexical index: that part grows with the index); then a fresh replica (a data
   dir of its own) builds its lexical index from PostgreSQL, and warm ``answer()`` is timed on
   the corpus QA set: p50/p95 for one asker, and answers per second with 1, 4 and 8 askers
   at once (threads of one process, as the bot's workers).
3. **Growing to the target**: variations of the corpus's documents (their chunks under new
   sources, each vector moved by small Gaussian noise and normalised again) are written to
   Chroma and PostgreSQL until the index holds ``--target`` chunks. They are loaded without
   embedding (the rate is printed as such): embedding 100,000 chunks takes about an hour on two
   cores, and the ingest figure at that size is measured by step 2 on real documents.
"""

from __future__ import annotations

import json
import math
import shutil
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import bench_args, emit, run_phase  # noqa: E402

SCRIPT = Path(__file__).resolve()
NEW_DOCS = 40  # documents in the ingest batch at each size


def settings(data: Path, chroma_url: str, database_url: str):
    from accord.settings import Settings

    return Settings(
        _env_file=None,
        data_dir=data,
        chroma_url=chroma_url,
        database_url=database_url,
        clearance="TOP SECRET",
        caveats="PERSONAL,NZEO,AUSTEO,GUARD",
    )


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


# --- phases (each in its own process: peak memory is the phase's own) -------------------------
def phase_base(args) -> None:
    """The corpus-size index: ingested, or copied from an embedded index of the corpus."""
    from accord.runtime import Runtime

    rt = Runtime(settings(args.work / "ingest-job", args.chroma_url, args.database_url))
    t0 = time.perf_counter()
    if args.from_index is None:
        res = rt.syncer().run(args.corpus)
        emit(
            {
                "how": "ingested",
                "docs": res.added,
                "seconds": time.perf_counter() - t0,
                "chunks": rt.manifest.chunk_count(),
            }
        )
        return
    from accord.db import connect_sqlite
    from vectorstore.store import ChunkStore, make_client

    src_db = connect_sqlite(args.from_index / "manifest.sqlite")
    dst = rt.manifest
    with dst.db.transaction():
        for table in ("documents", "chunks", "roots", "state"):
            cols = sorted(src_db.columns(table) & dst.db.columns(table))
            rows = src_db.all(f"SELECT {', '.join(cols)} FROM {table}")
            dst.db.executemany(
                f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                rows,
            )
    from accord.settings import Settings

    src = Settings(_env_file=None, data_dir=args.from_index)
    src_store = ChunkStore(make_client(src), src.collection, create=False, check_model=False)
    store = rt.store()
    offset, page = 0, 2000
    while True:
        got = src_store.collection.get(
            include=["embeddings", "documents", "metadatas"], limit=page, offset=offset
        )
        if not got["ids"]:
            break
        store.upsert(got["ids"], got["embeddings"], got["documents"], got["metadatas"])
        offset += len(got["ids"])
    emit(
        {
            "how": f"copied from {args.from_index}",
            "docs": len(dst.records()),
            "seconds": time.perf_counter() - t0,
            "chunks": dst.chunk_count(),
        }
    )


def phase_grow(args) -> None:
    """Variations of the corpus's documents until the index holds ``--target`` chunks."""
    import numpy as np

    from accord.runtime import Runtime
    from ingest.manifest import DOC_COLUMNS

    rt = Runtime(settings(args.work / "ingest-job", args.chroma_url, args.database_url))
    m, store = rt.manifest, rt.store()
    ids_at = DOC_COLUMNS.index("chunk_ids")
    base_docs = m.db.all(
        f"SELECT {', '.join(DOC_COLUMNS)} FROM documents WHERE source NOT LIKE "
        "'variant-%' AND status = 'done' ORDER BY source"
    )
    base_chunks = m.db.all(
        "SELECT id, source, ordinal, lexical_text, meta FROM chunks WHERE "
        "source NOT LIKE 'variant-%' ORDER BY source, ordinal"
    )
    have = m.chunk_count()
    rounds = max(0, math.ceil((args.target - have) / max(1, len(base_chunks))))
    rng = np.random.default_rng(7)
    t0 = time.perf_counter()
    added = 0
    for v in range(1, rounds + 1):
        prefix = f"variant-{v}/"
        with m.db.transaction():
            m.db.executemany(
                f"INSERT INTO documents ({', '.join(DOC_COLUMNS)}) VALUES "
                f"({', '.join('?' * len(DOC_COLUMNS))}) ON CONFLICT (source) DO NOTHING",
                [
                    (
                        prefix + d[0],
                        *d[1:ids_at],
                        json.dumps([f"{c}~v{v}" for c in json.loads(d[ids_at] or "[]")]),
                        *d[ids_at + 1 :],
                    )
                    for d in base_docs
                ],
            )
            rows = []
            for cid, src, ordinal, text, meta in base_chunks:
                meta_v = {**json.loads(meta), "source": prefix + src}
                rows.append((f"{cid}~v{v}", prefix + src, ordinal, text, json.dumps(meta_v)))
            m.db.executemany(
                "INSERT INTO chunks (id, source, ordinal, lexical_text, meta) "
                "VALUES (?,?,?,?,?) ON CONFLICT (id) DO NOTHING",
                rows,
            )
            m._bump()
        for i in range(0, len(base_chunks), 2000):
            part = base_chunks[i : i + 2000]
            got = store.collection.get(
                ids=[c[0] for c in part], include=["embeddings", "documents", "metadatas"]
            )
            vec = np.asarray(got["embeddings"], dtype=np.float32)
            vec = vec + rng.normal(0, 0.02, vec.shape).astype(np.float32)
            vec /= np.linalg.norm(vec, axis=1, keepdims=True)
            metas = [{**mt, "source": prefix + mt["source"]} for mt in got["metadatas"]]
            store.upsert([f"{c}~v{v}" for c in got["ids"]], vec, got["documents"], metas)
            added += len(part)
    emit(
        {
            "rounds": rounds,
            "chunks_added": added,
            "seconds": time.perf_counter() - t0,
            "chunks": m.chunk_count(),
        }
    )


def phase_ingest(args) -> None:
    """A folder of new documents synced into the index as it is: real parsing and embedding."""
    from accord.runtime import Runtime

    folder = args.work / f"new-{args.label}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    picked = sorted(p for p in args.corpus.rglob("*") if p.suffix in (".txt", ".md"))[:NEW_DOCS]
    for i, p in enumerate(picked):
        text = p.read_text(encoding="utf-8", errors="replace")
        name = f"{args.label}-{i:03d}-{p.name}"  # sources are relative: unique across roots
        (folder / name).write_text(f"{text}\n\nCopy {args.label} {i}.\n")
    rt = Runtime(settings(args.work / "ingest-job", args.chroma_url, args.database_url))
    _ = rt.ingest_embedder  # the ONNX export written and loaded before the clock starts
    t0 = time.perf_counter()
    res = rt.syncer().run(folder)
    seconds = time.perf_counter() - t0
    t1 = time.perf_counter()
    rt.syncer().refresh_lexical()  # unchanged: nothing to do (checks the generation only)
    emit(
        {
            "docs": res.added,
            "seconds": seconds,
            "docs_per_s": res.added / seconds,
            "chunks": rt.manifest.chunk_count(),
            "noop_refresh_s": time.perf_counter() - t1,
        }
    )


def phase_ask(args) -> None:
    """A fresh replica: its lexical index built from PostgreSQL, then warm answer() timed."""
    from accord.runtime import Runtime

    data = args.work / f"replica-{args.label}"
    shutil.rmtree(data, ignore_errors=True)
    rt = Runtime(settings(data, args.chroma_url, args.database_url))
    questions = [json.loads(x)["question"] for x in args.qa.read_text().splitlines() if x.strip()]
    qa = rt.qa
    t0 = time.perf_counter()
    qa.answer(questions[0])  # builds the lexical index from the manifest, loads the models
    first = time.perf_counter() - t0
    for q in questions[1:4]:
        qa.answer(q)
    single = []
    for q in questions:
        t = time.perf_counter()
        qa.answer(q)
        single.append((time.perf_counter() - t) * 1000)
    rates = {}
    for askers in (1, 4, 8):
        lock, done = threading.Lock(), [0]
        todo = list(questions) * 2

        def work(i: int, todo=todo, lock=lock, done=done, step=askers) -> None:
            for q in todo[i::step]:
                qa.answer(q)
                with lock:
                    done[0] += 1

        t = time.perf_counter()
        with ThreadPoolExecutor(askers) as pool:
            list(pool.map(work, range(askers)))
        rates[askers] = done[0] / (time.perf_counter() - t)
    emit(
        {
            "chunks": rt.manifest.chunk_count(),
            "first_answer_s": first,
            "p50_ms": pct(single, 50),
            "p95_ms": pct(single, 95),
            "mean_ms": statistics.mean(single),
            "answers_per_s": rates,
            "questions": len(questions),
        }
    )


PHASES = {"base": phase_base, "grow": phase_grow, "ingest": phase_ingest, "ask": phase_ask}


def main() -> None:
    args = bench_args(
        **{
            "--phase": {"default": None},
            "--label": {"default": "corpus"},
            "--target": {"type": int, "default": 100_000},
            "--from-index": {
                "type": Path,
                "default": None,
                "help": "an embedded index of the corpus (its data dir) to copy",
            },
            "--chroma-url": {"default": None},
            "--database-url": {"default": None},
            "--work": {"type": Path, "default": Path("/tmp/accord-scale")},
        }
    )
    if args.phase:
        PHASES[args.phase](args)
        return
    servers: list = []  # what this run started, stopped at the end
    if not args.chroma_url or not args.database_url:
        from tests.integration.chroma_server import ChromaServer
        from tests.pg_server import PgServer, missing_reason

        shutil.rmtree(args.work, ignore_errors=True)
        args.work.mkdir(parents=True)
        if not args.chroma_url:
            chroma = ChromaServer(args.work / "chroma").start()
            servers.append(chroma)
            args.chroma_url = chroma.url
        if not args.database_url:
            if missing_reason():
                raise SystemExit(f"no PostgreSQL: {missing_reason()}")
            pg = PgServer().start()
            servers.append(pg)
            args.database_url = pg.new_database()
    common = [
        "--chroma-url",
        args.chroma_url,
        "--database-url",
        args.database_url,
        "--work",
        str(args.work),
        "--corpus",
        str(args.corpus),
        "--qa",
        str(args.qa),
        "--target",
        str(args.target),
    ]
    if args.from_index:
        common += ["--from-index", str(args.from_index)]
    try:
        base = run_phase(SCRIPT, "base", *common)
        print(
            f"corpus index: {base['chunks']} chunks, {base['docs']} documents, {base['how']} "
            f"in {base['seconds']:.0f} s",
            flush=True,
        )
        sizes = {}
        for label in ("corpus", "scaled"):
            if label == "scaled":
                grown = run_phase(SCRIPT, "grow", *common)
                print(
                    f"grown: {grown['chunks_added']} chunks of variations loaded in "
                    f"{grown['seconds']:.0f} s ({grown['chunks_added'] / grown['seconds']:.0f}"
                    f" chunks/s, without embedding); index {grown['chunks']} chunks",
                    flush=True,
                )
            ing = run_phase(SCRIPT, "ingest", *common, "--label", label)
            ask = run_phase(SCRIPT, "ask", *common, "--label", label)
            sizes[label] = (ing, ask)
            print(f"{label}: {json.dumps({'ingest': ing, 'ask': ask})}", flush=True)
    finally:
        for s in servers:
            s.stop()
    (ci, ca), (si, sa) = sizes["corpus"], sizes["scaled"]
    print(f"\n{'':44} {'corpus':>12} {'scaled':>12}")
    rows = [
        ("chunks in the index", f"{ca['chunks']}", f"{sa['chunks']}"),
        (
            f"ingest of {NEW_DOCS} new documents, docs/s",
            f"{ci['docs_per_s']:.2f}",
            f"{si['docs_per_s']:.2f}",
        ),
        ("  peak memory of the ingest, MB", f"{ci['peak_rss_mb']:.0f}", f"{si['peak_rss_mb']:.0f}"),
        (
            "replica's first answer (lexical index built), s",
            f"{ca['first_answer_s']:.1f}",
            f"{sa['first_answer_s']:.1f}",
        ),
        ("warm answer() p50 ms, one asker", f"{ca['p50_ms']:.0f}", f"{sa['p50_ms']:.0f}"),
        ("warm answer() p95 ms, one asker", f"{ca['p95_ms']:.0f}", f"{sa['p95_ms']:.0f}"),
    ]
    for n in ("1", "4", "8"):
        rows.append(
            (
                f"answers per second, {n} asker(s)",
                f"{ca['answers_per_s'][n]:.1f}",
                f"{sa['answers_per_s'][n]:.1f}",
            )
        )
    rows.append(
        ("  peak memory of the replica, MB", f"{ca['peak_rss_mb']:.0f}", f"{sa['peak_rss_mb']:.0f}")
    )
    for name, a, b in rows:
        print(f"{name:44} {a:>12} {b:>12}")
    print(
        f"{ca['questions']} questions ({args.qa.name}); target at {args.target} chunks: warm "
        "p95 <= 400 ms, one asker"
    )


if __name__ == "__main__":
    main()
