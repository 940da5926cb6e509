"""The seams of the answer path, as Protocols: what the pipeline needs of an embedder, a
retriever and an answerer. Real parts and test parts implement them; nothing else is assumed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np

from accord.models import Answer, Filters, RetrievedChunk

if TYPE_CHECKING:  # the question as parsed once by the pipeline (a type only)
    from accord.answer.questions import ParsedQuestion


class Embedder(Protocol):
    """Turns texts into unit-length vectors."""

    name: str
    dimension: int

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class Retriever(Protocol):
    """Ranks the chunks an audience may see for a question."""

    def retrieve(
        self,
        question: str,
        k: int,
        filters: Filters | None = None,
        mode: str = "hybrid",
        query_vector: np.ndarray | None = None,
    ) -> list[RetrievedChunk]: ...


class ExtractiveFallback(Protocol):
    """What an answerer needs of the extractive answerer: an answer from the same passages."""

    def compose(
        self,
        question: str,
        chunks: list[RetrievedChunk],
        qvec: np.ndarray,
        parsed: ParsedQuestion | None = None,
    ) -> Answer: ...


class Answerer(Protocol):
    """Writes an Answer from retrieved chunks (the LLM answerer)."""

    mode: str

    def compose(
        self,
        question: str,
        chunks: list[RetrievedChunk],
        qvec: np.ndarray,
        extractive: ExtractiveFallback,
        on_token: Callable[[str], object] | None = None,
        parsed: ParsedQuestion | None = None,
    ) -> Answer: ...

    def condense(self, question: str, history: list[str]) -> str: ...
