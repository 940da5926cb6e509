"""The LLM answerer: a generated answer from the top sources, checked before anyone sees it.

``LLMAnswerer.compose(question, chunks, qvec, extractive, on_token)`` numbers the best retrieved
chunks as sources (title, type, date, page), asks the chat model with the grounded-answer prompt,
streams what it writes (checked sentences only, about once a second) to ``on_token``, runs the
citation check and returns an Answer with ``mode="llm"`` and ``prompt="name@version"``.

It never leaves a question unanswered: when the model is unreachable, too slow, fails, returns
nothing or garbage, refuses, or writes nothing the check can support, the extractive answer is
returned with ``mode="extractive"`` and a visible ``notice``, and the log says why.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from accord.answer.followups import condense_plain
from accord.answer.llm.citecheck import CheckResult, CitationChecker
from accord.answer.questions import ParsedQuestion
from accord.errors import LLMUnavailable
from accord.language.text import sentence_spans
from accord.models import Answer, RetrievedChunk
from accord.ports import ExtractiveFallback
from prompts import load_prompt, to_messages

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel


log = logging.getLogger(__name__)

NOTICES = {
    "timeout": "The language model did not answer in time; this answer is extractive.",
    "error": "The language model could not be reached; this answer is extractive.",
    "empty": "The language model returned no answer; this answer is extractive.",
    "refused": "The language model found no answer in the sources; this answer is extractive.",
    "unsupported": "The language model's answer could not be verified against the sources; "
    "this answer is extractive.",
}


class LLMTimeout(LLMUnavailable):
    """The model did not finish within the configured timeout."""

    code = "llm_timeout"


def is_timeout(exc: BaseException) -> bool:
    """True for our own deadline and for a client's read timeout (httpx, openai, requests)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, TimeoutError) or "timeout" in type(seen).__name__.lower():
            return True
        seen = seen.__cause__ or seen.__context__
    return False


@dataclass
class Trace:
    """What happened while answering one question (for logs, evaluations and benchmarks)."""

    raw: str = ""  # the model's text before the check
    check: CheckResult | None = None
    fallback: str | None = None  # a key of NOTICES, "weak_evidence", or None
    reason: str = ""
    seconds: float = 0.0
    sources: list[RetrievedChunk] = field(default_factory=list)


class LLMAnswerer:
    """Answers with a LangChain chat model; falls back to the extractive answer.

    ``model`` is any LangChain chat model (``.stream(messages)`` yielding message chunks).
    ``serialize`` guards an in-process model that cannot run two generations at once.
    """

    mode = "llm"

    def __init__(
        self,
        model: BaseChatModel,
        timeout_s: float = 60.0,
        *,
        max_sources: int = 5,
        max_source_chars: int = 1400,
        checker: CitationChecker | None = None,
        prompt: str = "grounded_answer",
        condense_prompt: str = "condense_followup",
        stream_interval_s: float = 1.0,
        serialize: bool = False,
    ) -> None:
        self.model = model
        self.timeout_s = timeout_s
        self.max_sources = max_sources
        self.max_source_chars = max_source_chars
        self.checker = checker or CitationChecker()
        self.prompt_name = prompt
        self.template, version = load_prompt(prompt)
        self.prompt_id = f"{prompt}@{version}"
        self.condense_name = condense_prompt
        self.condense_template, _ = load_prompt(condense_prompt)
        self.stream_interval_s = stream_interval_s
        self._lock = threading.Lock() if serialize else None

    # -- answering --------------------------------------------------------------------------

    def compose(
        self,
        question: str,
        chunks: list[RetrievedChunk],
        qvec: np.ndarray,
        extractive: ExtractiveFallback,
        on_token: Callable[[str], Any] | None = None,
        parsed: ParsedQuestion | None = None,
    ) -> Answer:
        """An Answer for ``question`` from ``chunks``: generated and checked, or extractive.

        Never raises for a failure of the model or of the check: the extractive answer is
        returned instead, with a notice.
        """
        try:
            return self.run(question, chunks, qvec, extractive, on_token, parsed)[0]
        except Exception:
            log.exception("LLM answering failed; answering extractively")
            fallback = extractive.compose(question, chunks, qvec, parsed)
            if not fallback.refused:
                fallback.notice = NOTICES["error"]
            return fallback

    def run(
        self,
        question: str,
        chunks: list[RetrievedChunk],
        qvec: np.ndarray,
        extractive: ExtractiveFallback,
        on_token: Callable[[str], Any] | None = None,
        parsed: ParsedQuestion | None = None,
    ) -> tuple[Answer, Trace]:
        """Like :meth:`compose`, and also the Trace of what the model wrote and the check did."""
        t0 = time.perf_counter()
        trace = Trace()
        fallback = extractive.compose(question, chunks, qvec, parsed)
        if fallback.refused or fallback.weak:
            # Too little evidence for the extractive answerer is too little for a model too:
            # a small model would write something fluent from unrelated passages.
            trace.fallback, trace.reason = "weak_evidence", "retrieval evidence below threshold"
            log.info("LLM not asked: evidence %.3f below the refusal threshold", fallback.evidence)
            return fallback, trace
        sources = trace.sources = chunks[: self.max_sources]
        messages = to_messages(
            self.template, sources=self.format_sources(sources), question=question
        )
        partial = self._partial_emitter(question, sources, on_token)
        try:
            trace.raw = self.generate(messages, partial)
        except Exception as e:  # any failure of the model or its transport
            kind = "timeout" if is_timeout(e) else "error"
            if kind == "error":
                log.warning("LLM call failed", exc_info=True)
            return self._fall_back(fallback, trace, kind, f"{type(e).__name__}: {e}", t0)
        if not trace.raw.strip():
            return self._fall_back(fallback, trace, "empty", "the model returned empty text", t0)
        result = trace.check = self.checker.check(trace.raw, sources, question)
        text, citations = self.checker.render(result, sources)
        if result.refused:
            return self._fall_back(
                fallback, trace, "refused", "the model said the sources do not answer", t0
            )
        if not citations:
            why = "; ".join(f"{s.text[:60]!r}: {', '.join(s.reasons)}" for s in result.sentences)
            return self._fall_back(
                fallback,
                trace,
                "unsupported",
                f"no sentence survived the citation check ({why or 'none'})",
                t0,
            )
        for s in result.removed:
            log.info("citation check removed %r: %s", s.text, "; ".join(s.reasons))
        if result.bad_markers:
            log.info("citation check removed markers pointing at no source: %s", result.bad_markers)
        removed = len(result.removed)
        notice = (
            (
                f"{removed} sentence{'s' if removed > 1 else ''} the sources did not support "
                f"{'were' if removed > 1 else 'was'} removed."
            )
            if removed
            else None
        )
        trace.seconds = time.perf_counter() - t0
        answer = Answer(
            question=question,
            text=text,
            refused=False,
            citations=citations,
            mode="llm",
            notice=notice,
            prompt=self.prompt_id,
            evidence=fallback.evidence,
        )
        return answer, trace

    def _fall_back(
        self, fallback: Answer, trace: Trace, kind: str, reason: str, t0: float
    ) -> tuple[Answer, Trace]:
        trace.fallback, trace.reason = kind, reason
        trace.seconds = time.perf_counter() - t0
        log.warning("LLM answer replaced by the extractive answer (%s): %s", kind, reason)
        fallback.mode = "extractive"
        fallback.notice = NOTICES[kind]
        return fallback, trace

    def format_sources(self, sources: list[RetrievedChunk]) -> str:
        """The numbered sources as the prompt shows them: a header line, then the passage."""
        blocks = []
        for n, ch in enumerate(sources, start=1):
            m = ch.metadata
            bits = [str(m.get("doc_type") or "document")]
            if m.get("date"):
                bits.append(str(m["date"]))
            if m.get("page"):
                bits.append(f"page {m['page']}")
            title = str(m.get("title") or ch.source)
            text = " ".join(ch.text.split())[: self.max_source_chars]
            blocks.append(f"[{n}] {title} ({', '.join(bits)})\n{text}")
        return "\n\n".join(blocks)

    def _partial_emitter(
        self, question: str, sources: list[RetrievedChunk], on_token: Callable[[str], Any] | None
    ) -> Callable[[str], None] | None:
        """Turn raw partial text into checked complete sentences for ``on_token``.

        Only sentences the check keeps are streamed, so an officer never sees an invented fact
        even for a second; the last, unfinished sentence waits for the next update.
        """
        if on_token is None:
            return None
        last = [""]

        def emit(raw: str) -> None:
            spans = sentence_spans(raw)
            if len(spans) < 2:
                return
            done = raw[: spans[-2][1]]
            text, _ = self.checker.render(self.checker.check(done, sources, question), sources)
            if text and text != last[0]:
                last[0] = text
                try:
                    on_token(text)
                except Exception:
                    log.warning("on_token callback failed; streaming continues", exc_info=True)

        return emit

    # -- the model call ---------------------------------------------------------------------

    def generate(
        self,
        messages: list[tuple[str, str]],
        on_partial: Callable[[str], None] | None = None,
        timeout_s: float | None = None,
    ) -> str:
        """Stream the model's reply to ``messages``; return the whole text.

        Calls ``on_partial(text_so_far)`` at most every ``stream_interval_s``. Raises LLMTimeout
        after ``timeout_s`` (the generation is told to stop; a blocked HTTP read ends at the
        client's own timeout) and re-raises what the model raised.
        """
        from langchain_core.messages import HumanMessage, SystemMessage

        lc = [SystemMessage(t) if role == "system" else HumanMessage(t) for role, t in messages]
        timeout = self.timeout_s if timeout_s is None else timeout_s
        pieces: list[str] = []
        errors: list[BaseException] = []
        done, cancel = threading.Event(), threading.Event()

        def work() -> None:
            try:
                if self._lock is not None:
                    if not self._lock.acquire(timeout=timeout):
                        raise LLMTimeout("the in-process model is busy with another question")
                try:
                    for chunk in self.model.stream(lc):
                        if cancel.is_set():
                            break
                        content = chunk.content
                        pieces.append(content if isinstance(content, str) else str(content))
                finally:
                    if self._lock is not None:
                        self._lock.release()
            except BaseException as e:  # handed to the caller's thread
                errors.append(e)
            finally:
                done.set()

        worker = threading.Thread(target=work, name="accord-llm", daemon=True)
        start = time.monotonic()
        deadline = start + timeout
        worker.start()
        last_emit = start
        while not done.wait(timeout=min(0.2, max(0.0, deadline - time.monotonic()))):
            now = time.monotonic()
            if now >= deadline:
                cancel.set()
                raise LLMTimeout(
                    f"no complete answer after {timeout:g} s "
                    f"({len(''.join(pieces))} characters received)"
                )
            if on_partial is not None and pieces and now - last_emit >= self.stream_interval_s:
                last_emit = now
                on_partial("".join(pieces))
        if errors:
            raise errors[0]
        return "".join(pieces)

    # -- follow-ups -------------------------------------------------------------------------

    def condense(self, question: str, history: list[str]) -> str:
        """A standalone search question for a thread follow-up (the plain heuristic on failure)."""

        if not history:
            return question
        turns = "\n".join(f"- {h}" for h in history[-4:])
        messages = to_messages(self.condense_template, history=turns, question=question)
        try:
            raw = self.generate(messages, timeout_s=min(self.timeout_s, 15.0))
        except Exception as e:
            log.warning("condensing the follow-up failed (%s); using the plain heuristic", e)
            return condense_plain(question, history)
        lines = [ln.strip() for ln in raw.strip().splitlines() if ln.strip()]
        out = lines[0] if lines else ""
        for label in ("standalone question:", "question:"):
            if out.lower().startswith(label):
                out = out[len(label) :].strip()
        out = out.strip("\"'\u201c\u201d` ")
        if not (3 <= len(out.split()) <= 60) or len(lines) > 3:
            log.info("condensed follow-up unusable (%r); using the plain heuristic", raw[:120])
            return condense_plain(question, history)
        return out
