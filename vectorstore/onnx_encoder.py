"""The embedding model exported to ONNX and run with onnxruntime: the fast query path.

Importing sentence-transformers costs about 5 s (torch alone 1.2 s); onnxruntime and tokenizers
about 0.5 s. So the ingest job, which loads the model anyway, exports it once to
``DATA_DIR/encoders/<name>/`` (``model.onnx``: the transformer with its mean pooling and
normalisation; ``tokenizer.json``; ``encoder.json`` naming the source model), and ``accord ask``
and the bot embed questions and sentences with it. Its vectors equal sentence-transformers' within
cosine 0.999 (tested); sentence-transformers stays the reference path and the way to use any
other model (``ACCORD_QUERY_ENCODER=sentence-transformers``).

The ingest can encode chunks with the same export (``ACCORD_INGEST_ENCODER=onnx``) or with an
int8 copy of it (``onnx-int8``: weights quantised per channel, activations dynamically, written
once beside the fp32 model as ``model.int8.onnx``); ``ACCORD_ENCODER_MAX_TOKENS`` caps the
tokens a chunk is read to. benchmarks/ingest.py measures each for speed and retrieval quality.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from accord.errors import ConfigError

log = logging.getLogger(__name__)
ENCODER_FILE = "encoder.json"
FORMAT = 1
MODEL_FILES = {"fp32": "model.onnx", "int8": "model.int8.onnx"}
# Texts per onnxruntime call during an ingest: with texts sorted by length, batches of 16 pad
# less than 64 (measured: int8 34 vs 28 chunks per CPU-second on corpus chunks).
INGEST_BATCH = 16


def encoder_dir(data_dir: Path, model_name: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in model_name)[-80:]
    return Path(data_dir) / "encoders" / safe


def exported(directory: Path, model_name: str) -> bool:
    """Whether ``directory`` holds a complete export of ``model_name``."""
    try:
        meta = json.loads((directory / ENCODER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        meta.get("model") == model_name
        and meta.get("format") == FORMAT
        and (directory / "model.onnx").is_file()
        and (directory / "tokenizer.json").is_file()
    )


def export(st_model: object, model_name: str, directory: Path) -> Path:
    """Export a loaded SentenceTransformer (a BERT-like transformer, mean pooling, normalised)
    to ``directory``; written to a temporary folder first, so a reader never sees half of it.
    Raises ConfigError when the model has another shape or ``onnx`` is missing."""
    import shutil
    import warnings

    import torch

    modules = list(st_model)  # type: ignore[call-overload]
    names = [type(m).__name__ for m in modules]
    mean = (
        (
            getattr(modules[1], "pooling_mode", None) == "mean"
            or getattr(modules[1], "pooling_mode_mean_tokens", False) is True
        )
        if len(modules) > 1
        else False
    )
    if names[:2] != ["Transformer", "Pooling"] or not mean:
        raise ConfigError(
            f"cannot export {model_name} to ONNX: modules {names} (a transformer "
            "with mean pooling is supported)"
        )

    class Pooled(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            out = self.model(input_ids=input_ids, attention_mask=attention_mask)
            tokens = out[0] if isinstance(out, tuple) else out.last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            pooled = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    tmp = directory.with_name(directory.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    tokenizer = st_model.tokenizer  # type: ignore[attr-defined]
    sample = tokenizer(
        ["a question", "a longer passage of text"], padding=True, return_tensors="pt"
    )
    wrapped = Pooled(modules[0].auto_model).eval()
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                wrapped,
                (sample["input_ids"], sample["attention_mask"]),
                str(tmp / "model.onnx"),
                input_names=["input_ids", "attention_mask"],
                output_names=["embedding"],
                opset_version=17,
                dynamo=False,
                dynamic_axes={
                    "input_ids": {0: "batch", 1: "tokens"},
                    "attention_mask": {0: "batch", 1: "tokens"},
                    "embedding": {0: "batch"},
                },
            )
    except Exception as exc:  # onnx missing, an operator without an ONNX form
        shutil.rmtree(tmp, ignore_errors=True)
        raise ConfigError(f"cannot export {model_name} to ONNX: {exc}") from exc
    tokenizer.save_pretrained(str(tmp))
    (tmp / ENCODER_FILE).write_text(
        json.dumps(
            {
                "model": model_name,
                "format": FORMAT,
                "max_seq_length": int(st_model.max_seq_length),  # type: ignore[attr-defined]
                "dimension": int(modules[0].auto_model.config.hidden_size),
            }
        ),
        encoding="utf-8",
    )
    shutil.rmtree(directory, ignore_errors=True)
    tmp.rename(directory)
    return directory


def quantize(directory: Path) -> Path:
    """Write the int8 copy of the export in ``directory`` (if missing) and return its path.

    Per-channel weights: per-tensor int8 moves MiniLM's vectors to cosine ~0.95 of the
    reference, per channel to ~0.99. Written under a temporary name first, so a reader never
    sees half of it."""
    target = directory / MODEL_FILES["int8"]
    if target.is_file():
        return target
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = directory / ("tmp." + target.name)
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantiser's advice to pre-process goes to the root logger
    try:
        quantize_dynamic(
            directory / MODEL_FILES["fp32"], tmp, per_channel=True, weight_type=QuantType.QInt8
        )
    except Exception as exc:  # an operator the quantiser does not know
        tmp.unlink(missing_ok=True)
        raise ConfigError(f"cannot quantise the ONNX export in {directory}: {exc}") from exc
    finally:
        root.setLevel(level)
    tmp.rename(target)
    return target


def export_in_child(model: str | None, model_name: str, directory: Path) -> None:
    """Export in a child process (``python -m vectorstore.onnx_encoder``): an ingest that
    encodes with onnxruntime then never imports torch, so its peak memory stays below the
    sentence-transformers path's. Raises ConfigError with the child's last error lines."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "vectorstore.onnx_encoder", str(directory), model_name, model or ""],
        capture_output=True,
        text=True,
    )
    if out.returncode != 0 or not exported(directory, model_name):
        tail = " ".join(out.stderr.strip().splitlines()[-3:])
        raise ConfigError(f"cannot export {model_name} to ONNX in {directory}: {tail}")


class OnnxEmbedder:
    """The Embedder seam over an exported model: ``embed_batch(texts) -> (n, d)`` unit vectors.

    >>> emb = OnnxEmbedder(encoder_dir(Path(".accord"), "all-MiniLM-L6-v2"))  # doctest: +SKIP
    >>> emb.embed_query("When was the MoU signed?").shape                      # doctest: +SKIP
    (384,)
    """

    def __init__(
        self,
        directory: Path,
        batch_size: int = 32,
        threads: int | None = None,
        precision: str = "fp32",
        max_tokens: int | None = None,
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        meta = json.loads((directory / ENCODER_FILE).read_text(encoding="utf-8"))
        self.name = str(meta["model"])
        self.dimension = int(meta["dimension"])
        self.batch_size = batch_size
        self.precision = precision
        self._tok = Tokenizer.from_file(str(directory / "tokenizer.json"))
        limit = int(meta["max_seq_length"])
        self._tok.enable_truncation(min(limit, max_tokens) if max_tokens else limit)
        self._tok.enable_padding()
        opts = ort.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
        # Idle worker threads sleep instead of spinning: on a shared machine spinning threads
        # take the cores the other threads (and the loader thread of a sync) need.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(directory / MODEL_FILES[precision]), opts, providers=["CPUExecutionProvider"]
        )
        self._lock = threading.Lock()  # the tokenizer's padding state is per object

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """An (n, dimension) float32 array of unit-length embeddings."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        out = []
        order = np.argsort([len(t) for t in texts], kind="stable")  # less padding per batch
        ordered = [texts[i] for i in order]
        for i in range(0, len(ordered), self.batch_size):
            with self._lock:
                enc = self._tok.encode_batch(list(ordered[i : i + self.batch_size]))
            ids = np.asarray([e.ids for e in enc], dtype=np.int64)
            mask = np.asarray([e.attention_mask for e in enc], dtype=np.int64)
            out.append(self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0])
        vecs = np.vstack(out).astype(np.float32)
        result = np.empty_like(vecs)
        result[order] = vecs
        return result

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_batch([text])[0]


if __name__ == "__main__":  # python -m vectorstore.onnx_encoder DIRECTORY MODEL_NAME [MODEL]
    import sys

    from vectorstore.embeddings import SentenceTransformerEmbedder

    _dir, _name, _model = Path(sys.argv[1]), sys.argv[2], (sys.argv[3:] or [""])[0]
    try:
        export(SentenceTransformerEmbedder(_model or None)._model, _name, _dir)
    except ConfigError as _exc:
        sys.exit(str(_exc))
