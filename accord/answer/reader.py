"""The reader: a cross-encoder that says how likely a sentence states what a question asks.

This module owns the reader's input format (``reader_input`` and ``encode``, the one place the
model's text inputs are built, imported by the training script ``evals/train_reader.py`` so
training and run time cannot drift apart), the shipped model files in ``accord/data/reader/``
(``reader.int8.onnx``, ``reader.json``, ``tokenizer.json``) and ``Reader``, which scores
candidate sentences with onnxruntime and the ``tokenizers`` library (no torch on this path).

The model is all-MiniLM-L6-v2 fine-tuned as a cross-encoder (mean-pooled tokens -> one logit,
plus a per-token start/end head) on the SQuAD 2.0 dev set (English) and GLUE QNLI dev, both CC
BY-SA 4.0 (Rajpurkar, Jia & Liang 2018; Wang et al. 2018), five SQuAD articles held out for
validation. SQuAD 2.0's unanswerable questions, written to look answerable, give the hard
negatives, and each answer sentence once more with its answer words taken out. The span head
has a "no answer" position ([CLS], as SQuAD 2.0 models do): a negative trains it to point there,
so the score must find the asked words in the sentence, not only its topic. The score is
``reader.json``'s ``score`` weighting of the logit and the null margin (``null_margin``: how far
the best span beats "no answer"), chosen on the held-out articles; probabilities are that score
Platt-scaled there (``a * score + b``). Figures (int8, held-out articles, 8,881 sentences of
1,729 questions) are in ``reader.json`` and the README.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from accord.errors import ConfigError

FORMAT = 1  # version of reader.json and of the ONNX model's inputs and outputs
INPUT_FORMAT = 1  # version of reader_input / encode: a model is only run with the one it knew
MAX_LENGTH = 160  # tokens per (question, sentence + context) pair, special tokens included
MAX_QUESTION_TOKENS = 48
MAX_HEADING_CHARS = 120
MAX_PREVIOUS_CHARS = 400
SEPARATOR = " [SEP] "
DEFAULT_DIR = Path(__file__).resolve().parents[1] / "data" / "reader"
MODEL_FILE, META_FILE, TOKENIZER_FILE = "reader.int8.onnx", "reader.json", "tokenizer.json"
# Pairs per onnxruntime call: 1. The int8 model quantises activations per tensor at run time,
# so in a batch the other rows (and the padding) move a row's scale: measured up to 0.04 in
# probability between batch orders. One pair per call makes a score depend on its pair only;
# it costs ~230 vs ~350 pairs per CPU-second (measured, one thread).
BATCH = 1
_SPECIALS = ("[SEP]", "[CLS]", "[PAD]", "[MASK]", "[UNK]")


@dataclass(frozen=True)
class ReaderCandidate:
    """A sentence to read, with the heading of its section and the sentence before it."""

    sentence: str
    heading: str = ""
    previous: str = ""


def _clean(text: str) -> str:
    text = " ".join(str(text or "").split())
    for special in _SPECIALS:  # a literal "[SEP]" in a document must not act as one
        text = text.replace(special, special[1:-1])
    return text


def reader_input(
    question: str, sentence: str, heading: str = "", previous: str = ""
) -> tuple[str, str]:
    """The model's two texts: ``(question, sentence [SEP] heading | previous)``.

    Whitespace is collapsed; the heading is cut to its first ``MAX_HEADING_CHARS`` characters
    and the previous sentence to its last ``MAX_PREVIOUS_CHARS`` (the words next to the
    candidate). ``encode`` then cuts the context's tokens before the sentence's."""
    heading = _clean(heading)[:MAX_HEADING_CHARS]
    previous = _clean(previous)
    if len(previous) > MAX_PREVIOUS_CHARS:
        previous = previous[-MAX_PREVIOUS_CHARS:]
        previous = previous.split(" ", 1)[1] if " " in previous else previous
    return _clean(question), f"{_clean(sentence)}{SEPARATOR}{heading} | {previous}"


@dataclass
class Encoded:
    """Model inputs for a batch, padded, and where each pair's sentence tokens sit."""

    input_ids: np.ndarray
    attention_mask: np.ndarray
    token_type_ids: np.ndarray
    sentence_tokens: list[tuple[int, int]]  # [first, last + 1) positions of the sentence
    sentence_offsets: list[list[tuple[int, int]]]  # per sentence token: chars in the sentence

    def feeds(self) -> dict[str, np.ndarray]:
        return {
            "input_ids": self.input_ids,
            "attention_mask": self.attention_mask,
            "token_type_ids": self.token_type_ids,
        }


def encode(
    tokenizer: Any, pairs: Sequence[tuple[str, str]], max_length: int = MAX_LENGTH
) -> Encoded:
    """Token ids for ``reader_input`` pairs: ``[CLS] question [SEP] sentence [SEP] context
    [SEP]``, question capped at ``MAX_QUESTION_TOKENS``; when too long the context's tokens are
    cut first (from its end), the sentence's only when the context is gone.

    ``tokenizer`` is a ``tokenizers.Tokenizer`` of the base model; its own truncation and
    padding settings are not used."""
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    pad = tokenizer.token_to_id("[PAD]") or 0
    texts = [t for pair in pairs for t in pair]
    encs = tokenizer.encode_batch(texts, add_special_tokens=False)
    rows, types, spans, offsets = [], [], [], []
    for i in range(len(pairs)):
        q = encs[2 * i].ids[:MAX_QUESTION_TOKENS]
        b_ids, b_off = encs[2 * i + 1].ids, encs[2 * i + 1].offsets
        cut = b_ids.index(sep) if sep in b_ids else len(b_ids)
        sent, ctx = b_ids[:cut], b_ids[cut + 1 :]
        room = max_length - 3 - len(q)  # [CLS], [SEP] after question, final [SEP]
        if len(sent) + 1 + len(ctx) > room:
            ctx = ctx[: max(0, room - len(sent) - 1)]
        if not ctx:
            sent = sent[:room]
            tail = [sep]
        else:
            tail = [sep, *ctx, sep]
        first = len(q) + 2
        ids = [cls, *q, sep, *sent, *tail]
        rows.append(ids)
        types.append([0] * first + [1] * (len(ids) - first))
        spans.append((first, first + len(sent)))
        offsets.append([tuple(o) for o in b_off[: len(sent)]])
    width = max((len(r) for r in rows), default=0)
    n = len(rows)
    input_ids = np.full((n, width), pad, dtype=np.int64)
    mask = np.zeros((n, width), dtype=np.int64)
    type_ids = np.zeros((n, width), dtype=np.int64)
    for i, (r, t) in enumerate(zip(rows, types, strict=True)):
        input_ids[i, : len(r)] = r
        mask[i, : len(r)] = 1
        type_ids[i, : len(t)] = t
    return Encoded(input_ids, mask, type_ids, spans, offsets)


def best_span(
    start: np.ndarray, end: np.ndarray, first: int, stop: int, max_tokens: int = 30
) -> tuple[int, int, float]:
    """The (start, end) token positions in [first, stop) maximising start + end logits, with
    end >= start and at most ``max_tokens`` tokens; and that summed logit."""
    if stop <= first:
        return first, first, float("-inf")
    s, e = start[first:stop], end[first:stop]
    total = s[:, None] + e[None, :]
    n = len(s)
    band = np.triu(np.ones((n, n), dtype=bool)) & ~np.triu(
        np.ones((n, n), dtype=bool), k=max_tokens
    )
    total = np.where(band, total, -np.inf)
    i, j = np.unravel_index(int(np.argmax(total)), total.shape)
    return first + int(i), first + int(j), float(total[i, j])


def null_margin(start: np.ndarray, end: np.ndarray, first: int, stop: int) -> float:
    """How far the best answer span inside the sentence beats the "no answer" position (the
    [CLS] token, position 0), in summed start + end logits: SQuAD 2.0's null score. Positive
    when the span head finds answer words; -inf for an empty sentence."""
    return best_span(start, end, first, stop)[2] - float(start[0] + end[0])


def span_confidence(start: np.ndarray, end: np.ndarray, first: int, stop: int) -> float:
    """p(start) * p(end) at the best span, each a softmax over the sentence's tokens only."""
    if stop <= first:
        return 0.0
    s = np.exp(start[first:stop] - np.max(start[first:stop]))
    e = np.exp(end[first:stop] - np.max(end[first:stop]))
    s, e = s / s.sum(), e / e.sum()
    i, j, _ = best_span(np.log(s + 1e-12), np.log(e + 1e-12), 0, len(s))
    return float(s[i] * e[j])


def _as_candidate(c: Any) -> ReaderCandidate:
    if isinstance(c, ReaderCandidate):
        return c
    if isinstance(c, str):
        return ReaderCandidate(c)
    if isinstance(c, tuple | list):
        return ReaderCandidate(*c)
    return ReaderCandidate(
        str(c.sentence), str(getattr(c, "heading", "") or ""), str(getattr(c, "previous", "") or "")
    )


class Reader:
    """Scores candidate sentences for a question with the shipped int8 ONNX model.

    >>> reader = Reader.load()                                                # doctest: +SKIP
    >>> reader.score("When was it signed?", [("It was signed on 3 June 2025.", "MoU", "")])
    array([0.9...], dtype=float32)                                            # doctest: +SKIP
    """

    def __init__(self, directory: Path, meta: dict, threads: int = 1) -> None:
        self.directory = Path(directory)
        self.meta = meta
        self.a = float(meta["calibration"]["a"])
        self.b = float(meta["calibration"]["b"])
        self.max_length = int(meta.get("max_length", MAX_LENGTH))
        score = meta.get("score") or {}
        # the score is w_logit * logit + w_span * null_margin (older models: the logit alone)
        self.w_logit = float(score.get("logit", 1.0))
        self.w_span = float(score.get("span_margin", 0.0))
        self.threads = threads
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    @classmethod
    def load(cls, directory: str | Path | None = None, threads: int = 1) -> Reader:
        """Check the model files in ``directory`` (default: the packaged ``data/reader``); the
        onnxruntime session is made on first use. Raises ConfigError naming the folder when a
        file is missing or was written for another format."""
        folder = Path(directory) if directory is not None else DEFAULT_DIR
        missing = [f for f in (MODEL_FILE, META_FILE, TOKENIZER_FILE) if not (folder / f).is_file()]
        if missing:
            raise ConfigError(f"reader model not found: {folder} lacks {', '.join(missing)}")
        try:
            meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
            calibration = meta["calibration"]
            float(calibration["a"]), float(calibration["b"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"reader model in {folder}: unreadable {META_FILE} ({exc})") from exc
        if meta.get("format") != FORMAT or meta.get("input_format") != INPUT_FORMAT:
            raise ConfigError(
                f"reader model in {folder} has format {meta.get('format')}/input format "
                f"{meta.get('input_format')}; this Accord reads {FORMAT}/{INPUT_FORMAT}"
            )
        return cls(folder, meta, threads)

    def _ready(self) -> tuple[Any, Any]:
        with self._lock:
            if self._session is None:
                import onnxruntime as ort
                from tokenizers import Tokenizer

                tok = Tokenizer.from_file(str(self.directory / TOKENIZER_FILE))
                tok.no_truncation()
                tok.no_padding()
                opts = ort.SessionOptions()
                opts.intra_op_num_threads = self.threads
                opts.inter_op_num_threads = 1
                opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
                opts.log_severity_level = 3
                try:
                    session = ort.InferenceSession(
                        str(self.directory / MODEL_FILE), opts, providers=["CPUExecutionProvider"]
                    )
                except Exception as exc:  # a truncated or foreign file
                    raise ConfigError(
                        f"reader model in {self.directory} cannot be loaded: {exc}"
                    ) from exc
                self._tokenizer, self._session = tok, session
            return self._session, self._tokenizer

    def _run(self, pairs: Sequence[tuple[str, str]]) -> tuple[Encoded, np.ndarray, np.ndarray]:
        session, tok = self._ready()
        enc = encode(tok, pairs, self.max_length)
        logits, spans = session.run(["logit", "span"], enc.feeds())
        return enc, np.asarray(logits, dtype=np.float32), np.asarray(spans, dtype=np.float32)

    def logits(self, question: str, candidates: Sequence[Any]) -> np.ndarray:
        """Raw logits, one per candidate, in the candidates' order."""
        return self._read(question, candidates)[0]

    def read(self, question: str, candidates: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
        """(calibrated probabilities, span confidences), one each per candidate: the span
        confidence is how sure the span head is of where the answer words are in the sentence
        (the product of its start and end probabilities over the sentence's tokens at the best
        span; near 1 when one short span stands out, low when none does)."""
        logits, spans = self._read(question, candidates)
        return self.calibrate(logits), spans

    def read_some(
        self, question: str, candidates: Sequence[Any], ids: Sequence[int]
    ) -> tuple[np.ndarray, np.ndarray]:
        """``read`` for the candidates at ``ids`` only (the reader costs a model run each);
        every other candidate gets a little less than the least of those (0 when none is
        read), as unembedded sentences get a little less similarity."""
        probs = np.zeros(len(candidates))
        conf = np.zeros(len(candidates))
        if not ids:
            return probs, conf
        idx = list(ids)
        probs[idx], conf[idx] = self.read(question, [candidates[i] for i in idx])
        chosen = set(idx)
        rest = [i for i in range(len(candidates)) if i not in chosen]
        probs[rest] = max(float(np.min(probs[idx])) - 0.05, 0.0)
        conf[rest] = float(np.min(conf[idx]))
        return probs, conf

    def _read(self, question: str, candidates: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
        pairs = [
            reader_input(question, c.sentence, c.heading, c.previous)
            for c in map(_as_candidate, candidates)
        ]
        out = np.zeros(len(pairs), dtype=np.float32)
        conf = np.zeros(len(pairs), dtype=np.float32)
        order = np.argsort([len(a) + len(b) for a, b in pairs], kind="stable")  # less padding
        for i in range(0, len(order), BATCH):
            idx = order[i : i + BATCH]
            enc, logits, spans = self._run([pairs[j] for j in idx])
            for k, j in enumerate(idx):
                first, stop = enc.sentence_tokens[k]
                out[j] = self.combine(float(logits[k]), spans[k], first, stop)
                conf[j] = span_confidence(spans[k, :, 0], spans[k, :, 1], first, stop)
        return out, conf

    def combine(self, logit: float, span: np.ndarray, first: int, stop: int) -> float:
        """The model's score of one pair: its logit and, for a model trained with a "no
        answer" span position, how far its best span beats that position (weights from
        ``reader.json``'s ``score``, chosen on the held-out articles)."""
        if not self.w_span:
            return self.w_logit * logit
        margin = null_margin(span[:, 0], span[:, 1], first, stop)
        margin = max(margin, -50.0) if np.isfinite(margin) else -50.0
        return self.w_logit * logit + self.w_span * margin

    def calibrate(self, logits: np.ndarray) -> np.ndarray:
        z = np.clip(self.a * np.asarray(logits, dtype=np.float64) + self.b, -40.0, 40.0)
        return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)

    def score(self, question: str, candidates: Sequence[Any]) -> np.ndarray:
        """Calibrated probabilities that each candidate sentence states what ``question``
        asks. A candidate is a ``ReaderCandidate``, a ``(sentence, heading, previous)`` tuple,
        a plain sentence or any object with ``sentence`` (and optionally ``heading`` and
        ``previous``) attributes."""
        return self.calibrate(self.logits(question, candidates))

    def span(
        self, question: str, candidate: Any, min_probability: float = 0.5
    ) -> tuple[int, int] | None:
        """``(start, end)`` character offsets of the answer words inside the candidate's
        sentence (whitespace-collapsed as in ``reader_input``; equal to the sentence when it has
        single spaces), or None when the sentence scores below ``min_probability``."""
        c = _as_candidate(candidate)
        enc, logits, spans = self._run([reader_input(question, c.sentence, c.heading, c.previous)])
        first, stop = enc.sentence_tokens[0]
        score = self.combine(float(logits[0]), spans[0], first, stop)
        if float(self.calibrate(np.array([score]))[0]) < min_probability:
            return None
        i, j, _ = best_span(spans[0, :, 0], spans[0, :, 1], first, stop)
        offsets = enc.sentence_offsets[0]
        if not offsets:
            return None
        return int(offsets[i - first][0]), int(offsets[j - first][1])
