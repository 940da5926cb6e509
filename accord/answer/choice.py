"""Which sentences a part quotes, once its candidates are scored (``accord.answer.extractive``).

The best candidate answers, unless it lacks the kind of answer asked for (a date for "when"),
when a close one that has it stands in; a part that asks when, where or by whom an instrument
was signed takes the instrument's own signing statement when it is nearly as likely; a sentence
quoted whole takes with it the sentences after it that lean on it (they open with a pronoun);
and a further sentence is quoted only when it is nearly as likely and gives a detail of the
asked kind the quotes so far do not (the second signatory, the other date), never one of
another instrument's signing or of a case the part sets aside.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from accord.answer.decision import ANSWER, FEATURES, NONE, WEAK, Decision
from accord.answer.kinds import KINDS, given_words, new_spans
from accord.answer.leads import contrasted, mentions
from accord.answer.questions import Part
from accord.instruments.phrasings import head_noun
from accord.language.lexicon import Lexicon
from accord.language.quotable import signs
from accord.language.text import sentence_spans, words
from accord.models import RetrievedChunk

# kinds answered by a piece of the sentence (a date, a name, a figure), not by all of it
SPAN_KINDS = frozenset(KINDS) - {"list"}
KEEP_RATIO = 0.85  # a sentence this close to the best may stand in for it (kind_ok)
EXTRA_RATIO = 0.95  # a further sentence is quoted when this close to the best
CONTINUED_CHARS = 400  # a continuing sentence is quoted up to this long (and the quote twice)
_NAME_SENT = FEATURES.index("name_sent")


@dataclass
class Candidate:
    chunk: int
    start: int  # offsets in the document
    end: int
    sentence: str
    x: np.ndarray = field(repr=False)
    p: float = 0.0  # the ranker's probability that this sentence answers the part
    kind_ok: bool = True
    # on the best candidate: the decider's confidence that the part is answered (the one
    # quantity a part's verdict, Answer.parts[i]["probability"] and Answer.evidence report)
    confidence: float | None = None


def choose(
    part: Part,
    cands: list[Candidate],
    chunks: Sequence[RetrievedChunk],
    decision: Decision,
    lex: Lexicon,
    limit: int,
) -> tuple[str, list[Candidate], float]:
    """The part's verdict, the candidates it quotes (``limit`` at most) and the confidence
    that it is answered, from its candidates, best first."""
    best = cands[0]
    confidence = best.confidence if best.confidence is not None else best.p
    verdict = decision.verdict(confidence, best.kind_ok)
    if verdict == WEAK and not best.kind_ok:
        # The best sentence lacks the kind of answer (a date for "when"): a close one that
        # has it answers, if it is likely enough: from any passage when the kind is a span
        # (a date, a name, a figure), from the same passage when it is the whole sentence
        # (a sentence that denies what is asked does not hand over to another passage).
        same = [
            c
            for c in cands
            if c.kind_ok
            and c.p >= best.p * KEEP_RATIO
            and (c.chunk == best.chunk or part.kind in SPAN_KINDS)
        ]
        if same and confidence >= decision.answer_at:
            best, verdict = same[0], ANSWER
    if verdict == NONE:
        return NONE, [], confidence
    own = own_signing(part, cands, chunks, best)
    if own is not None:
        best = own
        if verdict == WEAK and confidence >= decision.answer_at:
            verdict = ANSWER
    given = given_words(part.search)
    if part.kind not in SPAN_KINDS or not new_spans(part.kind, best.sentence, lex, given):
        best = continued(best, chunks, lex)
    chosen = [best]
    if verdict == ANSWER and part.kind in SPAN_KINDS:
        chosen += further(part, cands, chunks, best, lex, limit - 1)
    return verdict, chosen, confidence


def further(
    part: Part,
    cands: list[Candidate],
    chunks: Sequence[RetrievedChunk],
    best: Candidate,
    lex: Lexicon,
    limit: int,
) -> list[Candidate]:
    """Only quotes that answer: up to ``limit`` further sentences, each nearly as likely as
    ``best`` and giving a detail of the asked kind the quotes so far do not (the second
    signatory, the other date); a part that asks for no such detail has one quote."""
    signing = asks_signing(part) and signs(best.sentence)
    contrast = contrasted(part.text)
    given = given_words(part.search)
    chosen = [best]
    for c in cands:
        if len(chosen) > limit:
            break
        if c is best or c.p < EXTRA_RATIO * best.p or not c.kind_ok:
            continue
        if signing and not (
            signs(c.sentence) and chunks[c.chunk].source == chunks[best.chunk].source
        ):
            continue  # (the signing told by the instrument itself, not of another)
        if contrast and mentions(c.sentence, contrast):
            continue  # (it speaks of the case the part sets aside: "resident" ones)
        if (
            any(
                _overlaps(c, o, chunks) or _adds_little(c.sentence, o.sentence, lex) for o in chosen
            )
            or c.x[_NAME_SENT] < best.x[_NAME_SENT]
        ):
            continue  # (nor one that names less of what the part names)
        held = " ".join(o.sentence for o in chosen).lower()
        if not any(
            s.lower() not in held and not set(words(s)) <= lex.ordinals
            for s in new_spans(part.kind, c.sentence, lex, given) or []
        ):
            continue
        chosen.append(c)
    return chosen[1:]


def asks_signing(part: Part) -> bool:
    """The part asks when, where or by whom something was signed."""
    return part.kind in ("when", "where", "who") and "sign" in part.terms


def own_signing(
    part: Part,
    cands: list[Candidate],
    chunks: Sequence[RetrievedChunk],
    best: Candidate,
) -> Candidate | None:
    """For a part that asks when, where or by whom an instrument was signed: the signing
    statement of the instrument itself ("DONE at ... on ...", its signing block), when one is
    nearly as likely as the best sentence and the best is not one. A sentence of another
    document that mentions the signing ("the MoU signed at ... on ..." in a protocol's
    preamble, "a draft protocol for the meeting in March") tells of it second hand; the
    instrument's own statement is what an officer cites. The statement must come from a
    document of the instrument the part names ("the protocol": a protocol)."""
    if not asks_signing(part):
        return None
    asked = head_noun(part.text, any_case=True)

    def own(c: Candidate) -> bool:
        title = str(chunks[c.chunk].metadata.get("title") or "")
        return signs(c.sentence) and (asked is None or head_noun(title) == asked)

    if own(best):
        return None
    return next((c for c in cands if c.p >= KEEP_RATIO * best.p and c.kind_ok and own(c)), None)


def continued(c: Candidate, chunks: Sequence[RetrievedChunk], lex: Lexicon) -> Candidate:
    """``c`` quoted with the sentences after it in its passage that lean on it: a sentence that
    opens with a pronoun ("These set out ...", "They agreed ...") continues what the one before
    it says, and is where a sentence that only names the subject leaves its answer. For a part
    answered by a whole sentence (one that asks for no date, name or figure, or whose sentence
    gives none)."""
    ch = chunks[c.chunk]
    base = int(ch.metadata.get("char_start", 0))
    if not base <= c.start < c.end <= base + len(ch.text):
        return c  # (quoted over a page break: it is whole already)
    end = c.end
    for s, e in sentence_spans(ch.text, c.end - base):
        first = words(ch.text[s:e][:20])
        if e - s > CONTINUED_CHARS or not first or ch.text[s:e][0].islower():
            break
        if first[0] not in lex.pronouns or base + e - c.start > 2 * CONTINUED_CHARS:
            break
        end = base + e
    if end == c.end:
        return c
    return dataclasses.replace(c, end=end, sentence=ch.text[c.start - base : end - base])


def _overlaps(a: Candidate, b: Candidate, chunks: Sequence[RetrievedChunk]) -> bool:
    """Two candidates quote overlapping text of one document (a line and its block)."""
    return chunks[a.chunk].source == chunks[b.chunk].source and a.start < b.end and b.start < a.end


def _adds_little(new: str, old: str, lex: Lexicon) -> bool:
    """``new`` repeats ``old``: under a third of its content words are not in ``old`` (a second
    sentence naming who signed is kept beside one naming where and when)."""
    wn = set(words(new)) - lex.stopwords
    fresh = wn - set(words(old))
    return len(fresh) < max(2, len(wn) / 3)
