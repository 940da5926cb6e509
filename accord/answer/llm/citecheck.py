"""The citation check: deterministic rules applied to a generated answer before anyone sees it.

A language model is asked to cite numbered sources as ``[n]``. Small models invent names, dates
and source numbers, so nothing they write is shown until this check has run:

1. Markers that point at no source (``[7]`` with three sources) are removed.
2. Each sentence is tested against the source it cites. It is supported when every figure, date
   and name it states appears in that source (within a window of about two sentences, or in the
   source's title, type and date), and when enough
   of its content words (light-stemmed; stop words and talk about "the sources" out) appear
   there: ``coverage >= threshold``. Words repeated from the question count like any other, so
   "the MoU was signed on 19 March 2024" does not pass on a meeting's minutes of that date.
3. Figures, dates and names that appear in no retrieved source (nor the question) are flagged as
   unknown; such a sentence is never kept, whatever it cites.
4. A sentence whose cited source does not support it, or which cites nothing, is attributed to
   the one source that does support it, if any ("recited"); otherwise it is unsupported and
   dropped (or, in ``mark`` mode, kept visibly marked as unverified and without a citation).
5. Each kept sentence's citation quotes the best-matching verbatim sentence of the cited chunk,
   with its exact character span in the document, so every quote can be checked against the
   stored text.

What counts as a figure, date or name is defined in :mod:`accord.answer.llm.facts`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from accord.answer.citations import make_citation
from accord.answer.llm.facts import available_facts, claimed_facts, content_stems, describe
from accord.language.text import sentence_spans, words
from accord.models import Citation, RetrievedChunk

# Calibrated on SmolLM2-135M outputs over samples/qa.jsonl (benchmarks/llm_samples.py prints
# the distribution): supported paraphrases score 0.6-1.0, drifting sentences below 0.5.
DEFAULT_THRESHOLD = 0.6
# A claim must be supported within this span of its source (two sentences at least): facts
# scattered over a passage ("31" here, "October" there) do not make a date.
WINDOW_CHARS = 400

MARKER = re.compile(
    r"\[\s*(?:(?:source|src|doc|document)\s*)?(\d{1,3}(?:\s*(?:,|;|-|\u2013|and)\s*\d{1,3})*)\s*\]",
    re.I,
)
_REFUSAL = re.compile(
    r"\b(?:do(?:es)? not (?:answer|contain|mention|say|specify|provide|include)|"
    r"(?:cannot|can ?not|can't|unable to) (?:answer|find|determine)|no information|"
    r"not (?:mentioned|specified|provided|stated|given) in)\b",
    re.I,
)
_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d{1,2}[.)])\s+")
Status = Literal["supported", "recited", "unsupported", "refusal", "filler"]


@dataclass
class Support:
    """The verbatim sentence of source ``n`` that best matches a checked sentence."""

    n: int  # the source number given to the model (1-based)
    quote: str
    char_start: int  # span of ``quote`` in the document's text
    char_end: int
    score: float


@dataclass
class CheckedSentence:
    """One sentence of a generated answer and the check's verdict on it."""

    text: str  # as written, without its markers
    cited: list[int]  # valid markers as written
    status: Status
    reasons: list[str] = field(default_factory=list)
    support: list[Support] = field(default_factory=list)
    unknown_facts: list[str] = field(default_factory=list)
    coverage: float = 0.0

    @property
    def kept(self) -> bool:
        return self.status in ("supported", "recited")


@dataclass
class CheckResult:
    """The verdicts on every sentence of an answer, and the markers that pointed nowhere."""

    sentences: list[CheckedSentence]
    bad_markers: list[int] = field(default_factory=list)

    @property
    def kept(self) -> list[CheckedSentence]:
        return [s for s in self.sentences if s.kept]

    @property
    def claims(self) -> list[CheckedSentence]:
        """Sentences that state something (not filler such as "Sure, here is the answer:")."""
        return [s for s in self.sentences if s.status != "filler"]

    @property
    def removed(self) -> list[CheckedSentence]:
        return [s for s in self.claims if not s.kept]

    @property
    def removed_share(self) -> float:
        """Share of claim sentences the check removed (0.0 when there were none)."""
        return len(self.removed) / len(self.claims) if self.claims else 0.0

    @property
    def refused(self) -> bool:
        """True when the model said the sources do not answer, and said nothing else."""
        claims = self.claims
        return bool(claims) and all(s.status == "refusal" for s in claims)


@dataclass
class _Evidence:
    """What one source makes available: in all, and window by window."""

    stems: set[str]  # the whole passage and its header
    facts: set[str]
    sentences: list[tuple[int, int, str, set[str], set[str]]]  # doc start, end, text, stems, facts
    windows: list[tuple[int, int, set[str], set[str]]]  # first, last sentence index, stems, facts


def source_header(chunk: RetrievedChunk) -> str:
    """The metadata a source is presented with: title, type, date, section, parties."""
    m = chunk.metadata
    fields = [str(m.get(k) or "") for k in ("title", "doc_type", "date", "section")]
    return " ".join(fields) + " " + str(m.get("parties") or "").replace("|", " ")


def _spans(text: str) -> list[tuple[int, int]]:
    """Sentence spans of ``text``, with each table row (a line opening with "|") on its own."""
    out = []
    for s, e in sentence_spans(text):
        cuts = [s, *(s + m.end() for m in re.finditer(r"\n(?=[ \t]*\|)", text[s:e])), e]
        for a, b in zip(cuts, cuts[1:], strict=False):
            while b > a and text[b - 1].isspace():
                b -= 1
            if b > a:
                out.append((a, b))
    return out


def _is_row(text: str) -> bool:
    return text.lstrip().startswith("|")


def _evidence(chunk: RetrievedChunk, window_chars: int) -> _Evidence:
    base = int(chunk.metadata.get("char_start", 0))
    sents = []
    for s, e in _spans(chunk.text):
        t = chunk.text[s:e]
        sents.append((base + s, base + e, t, content_stems(t), available_facts(t)))
    header = source_header(chunk)
    h_stems, h_facts = content_stems(header), available_facts(header)
    windows = []
    for i in range(len(sents)):
        st, fa = set(h_stems), set(h_facts)
        for j in range(i, len(sents)):
            if j > i + 1 and sents[j][1] - sents[i][0] > window_chars:
                break
            if j > i and (_is_row(sents[i][2]) or _is_row(sents[j][2])):
                break  # a table row is a record: facts of different rows do not combine
            st |= sents[j][3]
            fa |= sents[j][4]
            windows.append((i, j, set(st), set(fa)))
    whole = chunk.text + "\n" + header
    return _Evidence(content_stems(whole), available_facts(whole), sents, windows)


class CitationChecker:
    """Checks a generated answer against the numbered sources it was given.

    ``threshold`` is the share of a sentence's content words that must appear in its source.
    ``unsupported``: "drop" removes unsupported sentences; "mark" keeps them marked as unverified
    and without a citation. ``recite``: attribute a sentence whose cited source does not support
    it to the one source that does.
    """

    def __init__(
        self,
        threshold: float = DEFAULT_THRESHOLD,
        unsupported: Literal["drop", "mark"] = "drop",
        recite: bool = True,
        window_chars: int = WINDOW_CHARS,
    ) -> None:
        self.threshold = threshold
        self.window_chars = window_chars
        self.unsupported = unsupported
        self.recite = recite

    def check(self, answer: str, sources: list[RetrievedChunk], question: str = "") -> CheckResult:
        """Return the verdict on each sentence of ``answer``; ``sources[n-1]`` is source [n]."""
        evidence = [_evidence(ch, self.window_chars) for ch in sources]
        q_stems, q_facts = content_stems(question), available_facts(question)
        all_facts = set().union(q_facts, *(ev.facts for ev in evidence))
        bad: list[int] = []
        out: list[CheckedSentence] = []
        for text, cited in split_cited(answer):
            valid = []
            for n in cited:
                if 1 <= n <= len(sources):
                    if n not in valid:
                        valid.append(n)
                elif n not in bad:
                    bad.append(n)
            out.append(
                self._check_sentence(text, valid, cited, evidence, q_stems, q_facts, all_facts)
            )
        return CheckResult(out, bad)

    def _check_sentence(
        self,
        text: str,
        valid: list[int],
        cited: list[int],
        evidence: list[_Evidence],
        q_stems: set[str],
        q_facts: set[str],
        all_facts: set[str],
    ) -> CheckedSentence:
        sent = CheckedSentence(text=text, cited=valid, status="unsupported")
        if dropped := [n for n in cited if n not in valid]:
            sent.reasons.append(
                f"marker {', '.join(f'[{n}]' for n in dropped)} points at no source"
            )
        stems = content_stems(text)
        facts = claimed_facts(text)
        counted = {w for w in stems if w not in q_stems}
        if _REFUSAL.search(text):
            sent.status = "refusal"
            sent.reasons.append("says the sources do not answer")
            return sent
        if not facts - q_facts and not counted:
            sent.status = "filler"
            sent.reasons.append("states nothing beyond the question")
            return sent
        unknown = sorted(f for f in facts if f not in all_facts)
        if unknown:
            sent.unknown_facts = [describe(f) for f in unknown]
            sent.reasons.append("not in any retrieved source: " + ", ".join(sent.unknown_facts))
            return sent
        if valid:
            ok, cov, why, spans = self._supports(
                stems, facts, [evidence[n - 1] for n in valid], q_facts
            )
            sent.coverage = cov
            if ok:
                sent.status = "supported"
                sent.support = self._quotes(stems, facts, valid, evidence, spans)
                if sent.support:
                    return sent
                why = "no sentence of the cited source matches"
                sent.status = "unsupported"
            sent.reasons.append(f"cited {_markers(valid)} does not support it: {why}")
        else:
            sent.reasons.append("cites no source")
        if self.recite:
            best: tuple[float, int, list[tuple[int, int]]] | None = None
            for n, ev in enumerate(evidence, start=1):
                if n in valid:
                    continue
                ok, cov, _, spans = self._supports(stems, facts, [ev], q_facts)
                if ok and (best is None or cov > best[0]):
                    best = (cov, n, spans)
            if best is not None:
                sent.status, sent.coverage = "recited", best[0]
                sent.support = self._quotes(stems, facts, [best[1]], evidence, best[2])
                sent.reasons.append(f"attributed to [{best[1]}], which supports it")
                if sent.support:
                    return sent
                sent.status = "unsupported"
        return sent

    def _supports(
        self, stems: set[str], facts: set[str], evs: list[_Evidence], q_facts: set[str]
    ) -> tuple[bool, float, str, list[tuple[int, int]]]:
        """(supported, coverage, why not, window per source) of a sentence by ``evs``.

        From each source the window that best covers the sentence's facts and words is taken;
        the sentence must be supported by the union of those windows (one per cited source).
        """
        spans: list[tuple[int, int]] = []
        have_stems: set[str] = set()
        have_facts: set[str] = set(q_facts)
        for ev in evs:
            if not ev.windows:
                spans.append((0, -1))
                continue
            i, j, st, fa = max(
                ev.windows,
                key=lambda w: (2 * len(facts & w[3]) + len(stems & w[2]), -(w[1] - w[0])),
            )
            spans.append((i, j))
            have_stems |= st
            have_facts |= fa
        cov = len(stems & have_stems) / len(stems) if stems else 1.0
        missing = sorted(describe(f) for f in facts if f not in have_facts)
        if missing:
            return False, cov, "it does not state " + ", ".join(missing), spans
        if cov < self.threshold:
            return (False, cov, f"content overlap {cov:.2f} is below {self.threshold:.2f}", spans)
        return True, cov, "", spans

    def _quotes(
        self,
        stems: set[str],
        facts: set[str],
        ns: list[int],
        evidence: list[_Evidence],
        spans: list[tuple[int, int]],
    ) -> list[Support]:
        """The best-matching verbatim sentence, within its supporting window, of each source
        in ``ns`` that shares something with the claim."""
        out = []
        denom = 2 * len(facts) + len(stems) or 1
        for n, (i, j) in zip(ns, spans, strict=True):
            best: Support | None = None
            for s, e, t, st, fa in evidence[n - 1].sentences[i : j + 1]:
                score = (2 * len(facts & fa) + len(stems & st)) / denom
                if len(words(t)) < 3:
                    score *= 0.5  # a heading quotes nothing an officer can check a claim by
                if score > 0 and (best is None or score > best.score):
                    best = Support(n, t, s, e, round(score, 4))
            if best is not None:
                out.append(best)
        return out

    def render(
        self, result: CheckResult, sources: list[RetrievedChunk]
    ) -> tuple[str, list[Citation]]:
        """The checked answer text with markers renumbered [1..k], and its citations.

        Each distinct quoted sentence is one citation; its ``n`` is the marker in the text.
        Unsupported sentences are left out (``drop``) or kept marked as unverified (``mark``).
        """
        parts: list[str] = []
        citations: list[Citation] = []
        index: dict[tuple[str, int], int] = {}
        for sent in result.sentences:
            body = sent.text.rstrip()
            if sent.kept:
                marks = []
                for sup in sent.support:
                    chunk = sources[sup.n - 1]
                    key = (chunk.source, sup.char_start)
                    if key not in index:
                        index[key] = len(citations) + 1
                        citations.append(
                            make_citation(
                                index[key],
                                chunk,
                                sup.quote,
                                sup.char_start,
                                sup.char_end,
                                sup.score,
                            )
                        )
                    if f"[{index[key]}]" not in marks:
                        marks.append(f"[{index[key]}]")
                parts.append(_with_markers(body, "".join(marks)))
            elif self.unsupported == "mark" and sent.status == "unsupported":
                parts.append(_with_markers(body, "[unverified: no source supports this]"))
        return " ".join(parts), citations


def split_cited(answer: str) -> list[tuple[str, list[int]]]:
    """Split an answer into ``(sentence without markers, markers)`` pairs.

    Markers opening a sentence ("... Aldric. [1] The ...") belong to the sentence before, when
    that one has none of its own.
    """
    answer = answer.replace("\r", "")
    out: list[tuple[str, list[int]]] = []
    for s, e in sentence_spans(answer):
        raw = answer[s:e]
        lead = re.match(r"\s*(?:" + MARKER.pattern + r"\s*)+", raw, re.I)
        if lead and out and not out[-1][1]:
            out[-1] = (out[-1][0], _numbers(lead.group(0)))
            raw = raw[lead.end() :]
        nums = _numbers(raw)
        text = MARKER.sub("", raw)
        text = _BULLET.sub("", text)
        text = re.sub(r"\s+([.,;:!?])", r"\1", re.sub(r"\s{2,}", " ", text)).strip()
        if text and re.search(r"\w", text):
            out.append((text, nums))
        elif nums and out and not out[-1][1]:
            out[-1] = (out[-1][0], nums)
    return out


def _numbers(text: str) -> list[int]:
    nums: list[int] = []
    for m in MARKER.finditer(text):
        body = m.group(1)
        for a, b in re.findall(r"(\d+)\s*(?:-|\u2013)\s*(\d+)", body):
            if 0 < int(b) - int(a) < 10:
                nums.extend(range(int(a), int(b) + 1))
        body = re.sub(r"(\d+)\s*(?:-|\u2013)\s*(\d+)", "", body)
        nums.extend(int(x) for x in re.findall(r"\d+", body))
    return list(dict.fromkeys(nums))


def _markers(ns: list[int]) -> str:
    return "".join(f"[{n}]" for n in ns)


def _with_markers(body: str, marks: str) -> str:
    """Put the markers before the sentence's final punctuation: "... Port Aldric [1]."."""
    m = re.search(r"[.!?]['\")\u2019\u201d]*$", body)
    if m:
        return f"{body[: m.start()]} {marks}{body[m.start() :]}"
    # No final stop to keep: add none, so checking this text again yields the same sentence.
    return f"{body} {marks}"
