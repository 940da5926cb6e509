"""Encoder throughput per CPU-second, one thread each: what each ingest encoder option costs
without the load of a shared machine in the figure.

    python benchmarks/encoders.py --data /tmp/accord-bench/st [--every 3]

Reads Accord's chunk texts from an index's manifest (every Nth), writes the ONNX export and its
int8 copy to a temporary folder, and embeds the same texts with sentence-transformers (torch, 1
thread: the reference) and with onnxruntime (fp32 and int8, batches of 16 and 64, 1 thread; int8
also cut at 128 tokens). Prints CPU seconds, chunks per CPU-second, the ratio to the reference
and the lowest cosine to the reference vectors. Wall time is printed too, with the load average.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, required=True, help="an Accord data dir")
    ap.add_argument("--every", type=int, default=3)
    args = ap.parse_args()
    from accord.settings import configure_offline_hub

    configure_offline_hub()
    import numpy as np
    import torch

    from ingest.manifest import Manifest
    from vectorstore.embeddings import SentenceTransformerEmbedder
    from vectorstore.onnx_encoder import OnnxEmbedder, export, quantize

    texts = [t for _, t, _ in Manifest(args.data / "manifest.sqlite").iter_chunks()]
    texts = texts[:: args.every]
    st = SentenceTransformerEmbedder()
    directory = Path(tempfile.mkdtemp()) / "all-MiniLM-L6-v2"
    export(st._model, "all-MiniLM-L6-v2", directory)
    quantize(directory)
    torch.set_num_threads(1)
    runs = [("sentence-transformers (torch), batch 64", st.embed_batch)]
    for precision in ("fp32", "int8"):
        for batch in (16, 64):
            emb = OnnxEmbedder(directory, batch_size=batch, threads=1, precision=precision)
            runs.append((f"onnxruntime {precision}, batch {batch}", emb.embed_batch))
    cut = OnnxEmbedder(directory, batch_size=16, threads=1, precision="int8", max_tokens=128)
    runs.append(("onnxruntime int8, batch 16, 128 tokens", cut.embed_batch))
    print(f"{len(texts)} chunk texts from {args.data}, one thread per encoder")
    print(
        f"{'encoder':42} {'CPU s':>7} {'chunks/CPU-s':>12} {'x ref':>6} {'min cos':>8} "
        f"{'wall s':>7} {'load':>5}"
    )
    ref_rate, ref = 0.0, None
    for name, fn in runs:
        t, c = time.perf_counter(), cpu_seconds()
        vecs = fn(texts)
        wall, cpu = time.perf_counter() - t, cpu_seconds() - c
        if ref is None:
            ref, ref_rate = vecs, len(texts) / cpu
        cos = float(np.min(np.sum(vecs * ref, axis=1)))
        print(
            f"{name:42} {cpu:7.1f} {len(texts) / cpu:12.1f} {len(texts) / cpu / ref_rate:6.2f} "
            f"{cos:8.4f} {wall:7.1f} {os.getloadavg()[0]:5.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
