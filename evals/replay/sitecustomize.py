"""Dense search recorded once and replayed: two versions of the code compared on the same hits.

Chroma's approximate search can return other chunks in another process (evals/repeatable.py),
so an ``accord eval`` of the old code and one of the new can differ for that reason alone. Put
this folder on ``PYTHONPATH`` (after the checkout being run) with ``ACCORD_DENSE_RECORD=DIR``
for the old code's runs, then with ``ACCORD_DENSE_REPLAY=DIR`` for the new code's: every
``ChunkStore.query`` (vector, k, filter) then returns what the recorded run got, and what still
differs was made by the code. Evaluation only; nothing in Accord imports this.

    PYTHONPATH=OLD_CHECKOUT:evals/replay ACCORD_DENSE_RECORD=/tmp/dense accord eval SET ...
    PYTHONPATH=evals/replay ACCORD_DENSE_REPLAY=/tmp/dense accord eval SET ...
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path


def _key(embedding, k, where) -> str:  # type: ignore[no-untyped-def]
    import numpy as np

    raw = np.asarray(embedding, dtype=np.float32).round(6).tobytes()
    tail = json.dumps([int(k), where], sort_keys=True, default=str).encode()
    return hashlib.sha256(raw + tail).hexdigest()


def _install(folder: Path, record: bool) -> None:
    import vectorstore.store as store

    folder.mkdir(parents=True, exist_ok=True)
    original = store.ChunkStore.query

    def query(self, embedding, k, where=None):  # type: ignore[no-untyped-def]
        path = folder / f"{_key(embedding, k, where)}.json"
        if not record:
            if path.is_file():
                return [tuple(hit) for hit in json.loads(path.read_text(encoding="utf-8"))]
            # a search the old code never made: the new code asked something else
            print(f"dense search not recorded (k={k}): searched live", file=sys.stderr)
            return original(self, embedding, k, where)
        hits = original(self, embedding, k, where)
        path.write_text(json.dumps(hits), encoding="utf-8")
        return hits

    store.ChunkStore.query = query


if os.environ.get("ACCORD_DENSE_RECORD"):
    _install(Path(os.environ["ACCORD_DENSE_RECORD"]), record=True)
elif os.environ.get("ACCORD_DENSE_REPLAY"):
    _install(Path(os.environ["ACCORD_DENSE_REPLAY"]), record=False)
