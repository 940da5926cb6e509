"""Which text is in force: instruments, the relations between them, and their status on a date.

``read_instrument(source, text, meta)`` reads one document: the date it was signed (its own date:
the signing block's "DONE at ... on DATE", else its metadata), when it enters into force ("shall
enter into force on the date of its signature", or a date), its term ("shall remain in force for
a period of five (5) years"), whether it renews itself, the instruments it amends, supersedes or
terminates (from front matter or a sidecar — ``amends:``, ``supersedes:``, ``terminates:``,
``entry_into_force:``, ``expires:`` — or from its text: a defined term such as 'the Memorandum
of Understanding ... signed at Port Aldric on 14 November 2023 (hereinafter referred to as "the
MoU")', and clauses such as 'Paragraph 2 of Article 9 of the MoU shall be replaced by the
following: "..."'), and the relation clauses of accord/instruments/phrasings.py ("commit to
implementing the Statement of Intent on ..., signed December 6, 2023", "an amendment to the
Agreement ... of July 3, 1958", "This Agreement supersedes the ..."). Term, entry-into-force and
supersession clauses count only with the document itself as subject ("This Agreement shall ..."),
so a term a letter reports of another agreement is not the letter's. Every inferred fact keeps the
sentence it came from.

``Registry`` resolves references against the indexed documents (by signing date, head noun —
an "Agreement" is never a "Joint Statement" — and title words; a reference it cannot resolve is
listed, never guessed) and says, for a date, whether each
instrument is in force, not yet in force, expired, superseded or amended, and by what.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from accord.instruments.phrasings import (
    SentenceStart,
    head_noun,
    phrases,
    relations_in,
    speaks_of_itself,
)
from accord.instruments.terms import (
    DATE,
    ENTRY_DATE,
    RENEW,
    SIGNED_ON,
    TERM,
    add_months,
    parse_date,
    term_months,
)
from accord.language.lexicon import lexicon

_DEFINED = re.compile(
    r"(?P<ref>(?:the\s+)?(?:Memorandum of Understanding|Agreement|Treaty|"
    r"Protocol|Arrangement|Convention|Exchange of Notes|Joint Declaration)"
    r"[^()\"]{0,200}?)\s+signed\s+(?:at\s+(?P<place>[A-Z][\w .'-]{1,40}?)\s+)?"
    r"on\s+(?P<date>" + DATE + r")[^()]{0,40}?\(\s*(?:hereinafter|"
    r"hereafter)\s+(?:referred\s+to\s+as|called)\s+[\"“](?P<term>[^\"”]{2,40})"
    r"[\"”]\s*\)"
)
_CHANGE = re.compile(
    r"(?:(?:Sub-?paragraph|sub-?paragraph)\s+\((?P<sub>[a-z]{1,3})\)\s+of\s+)?"
    r"(?:(?:Paragraph|paragraph)\s+(?P<para>\d{1,2})\s+of\s+)?Article\s+(?P<art>\d{1,3})\s+of\s+"
    r"(?P<target>the\s+[A-Z][\w-]*(?:\s+[A-Z][\w-]*){0,3})\s+shall\s+be\s+(?P<verb>replaced|"
    r"amended|deleted|substituted)"
)


def _words(text: str) -> int:
    return len(text.split())


@dataclass
class Evidence:
    """A sentence a fact was read from: where it is in its document and what it says."""

    source: str
    start: int
    end: int
    text: str


@dataclass
class Change:
    """One provision an amending instrument replaces: "Article 9(2)", with the new text."""

    article: str  # "9", "9(2)", "2(1)(c)"
    verb: str
    new_text: Evidence | None
    evidence: Evidence


@dataclass
class Relation:
    kind: str  # amends, supersedes, terminates
    target_ref: str  # as written: 'the MoU', 'the Memorandum of Understanding ... of 14 ...'
    target_date: str | None
    target: str | None = None  # the resolved indexed source, None when unresolved
    evidence: Evidence | None = None
    changes: list[Change] = field(default_factory=list)


@dataclass
class Instrument:
    source: str
    title: str
    doc_type: str
    signed: str | None
    signed_evidence: Evidence | None = None
    entry_into_force: str | None = None
    entry_evidence: Evidence | None = None
    term_months: int | None = None
    term_evidence: Evidence | None = None
    renews: bool = False
    expires: str | None = None
    relations: list[Relation] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        def ev(e: Evidence | None) -> dict[str, Any] | None:
            return None if e is None else {"start": e.start, "end": e.end, "text": e.text}

        return {
            "source": self.source,
            "title": self.title,
            "type": self.doc_type,
            "signed": self.signed,
            "signed_evidence": ev(self.signed_evidence),
            "entry_into_force": self.entry_into_force,
            "entry_evidence": ev(self.entry_evidence),
            "term_months": self.term_months,
            "term_evidence": ev(self.term_evidence),
            "renews": self.renews,
            "expires": self.expires,
            "relations": [
                {
                    "kind": r.kind,
                    "target_ref": r.target_ref,
                    "target_date": r.target_date,
                    "target": r.target,
                    "evidence": ev(r.evidence),
                    "changes": [
                        {
                            "article": c.article,
                            "verb": c.verb,
                            "evidence": ev(c.evidence),
                            "new_text": ev(c.new_text),
                        }
                        for c in r.changes
                    ],
                }
                for r in self.relations
            ],
        }


def _sentence_at(source: str, text: str, start: int, end: int) -> Evidence:
    """The sentence around text[start:end] (sentences as the answerer splits them, so a PDF's
    wrapped lines stay one sentence), verbatim."""
    from accord.language.text import sentence_spans

    lo = max(0, text.rfind("\n\n", 0, start))
    hi = text.find("\n\n", end)
    hi = len(text) if hi == -1 else hi
    s, e = start, end
    for a, b in sentence_spans(text, lo, hi):
        if a <= start < b:
            s = a
        if a < end <= b:
            e = b
            break
    return Evidence(source, s, e, text[s:e])


def _quoted_after(text: str, pos: int, limit: int = 4000) -> tuple[int, int] | None:
    """The span of the first quoted passage that opens after ``pos`` (the new text of a
    "shall be replaced by the following:" clause)."""
    m = re.compile(r"[\"“]").search(text, pos, min(len(text), pos + 300))
    if not m:
        return None
    close = re.compile(r"[\"”](?=\s*(?:[.;]|$|\n))").search(text, m.end(), m.end() + limit)
    if not close:
        return None
    return m.end(), close.start()


def read_instrument(source: str, text: str, meta: dict[str, Any]) -> Instrument:
    """What ``text`` (with its metadata ``meta``: title, doc_type, date, extra) says of itself."""
    extra = meta.get("extra") or {}
    inst = Instrument(
        source, str(meta.get("title") or ""), str(meta.get("doc_type") or "other"), meta.get("date")
    )
    m = SIGNED_ON.search(text)
    if m:
        date = parse_date(m.group(1))
        if date:
            inst.signed = date  # the instrument's own signing block beats a date it mentions
            inst.signed_evidence = _sentence_at(source, text, m.start(), m.end())
    for key, attr in (("entry_into_force", "entry_into_force"), ("expires", "expires")):
        if extra.get(key):
            setattr(inst, attr, parse_date(str(extra[key])) or str(extra[key])[:10])
    starts = SentenceStart(text)

    def own(m: re.Match[str]) -> bool:
        """The clause has this document as subject and is not quoted from another."""
        return not _looks_quoted(text, m.start()) and speaks_of_itself(
            text[starts(m.start()) : m.start()]
        )

    if inst.entry_into_force is None:
        m = next((x for x in phrases().on_signature.finditer(text) if own(x)), None)
        if m:
            inst.entry_into_force = inst.signed
            inst.entry_evidence = _sentence_at(source, text, m.start(), m.end())
        else:
            m = next((x for x in ENTRY_DATE.finditer(text) if own(x)), None)
            if m:
                inst.entry_into_force = parse_date(m.group(1))
                inst.entry_evidence = _sentence_at(source, text, m.start(), m.end())
    for m in TERM.finditer(text):
        if not own(m):
            continue  # another instrument's term: quoted in an amending one, or reported
        ev = _sentence_at(source, text, m.start(), m.end())
        months = term_months(m)
        if months is not None:
            inst.term_months = months
            inst.term_evidence = ev
            inst.renews = bool(RENEW.search(ev.text))
            break
    defined = {}
    for m in _DEFINED.finditer(text):
        ref = " ".join(m.group("ref").split())
        defined[m.group("term").lower()] = (
            ref,
            parse_date(m.group("date")),
            _sentence_at(source, text, m.start(), m.end()),
        )
    by_target: dict[str, Relation] = {}
    for m in _CHANGE.finditer(text):
        term = " ".join(m.group("target").split()).lower()
        ref, date, ev0 = defined.get(term, (m.group("target"), None, None))
        rel = by_target.get(term)
        if rel is None:
            rel = by_target[term] = Relation("amends", ref, date, evidence=ev0)
            inst.relations.append(rel)
        article = (
            m.group("art")
            + (f"({m.group('para')})" if m.group("para") else "")
            + (f"({m.group('sub')})" if m.group("sub") else "")
        )
        span = _quoted_after(text, m.end())
        new = Evidence(source, span[0], span[1], text[span[0] : span[1]]) if span else None
        rel.changes.append(
            Change(article, m.group("verb"), new, _sentence_at(source, text, m.start(), m.end()))
        )
    for kind, key in (
        ("amends", "amends"),
        ("supersedes", "supersedes"),
        ("terminates", "terminates"),
    ):
        for value in _as_list(extra.get(key)):
            inst.relations.append(Relation(kind, value, None))
    for c in relations_in(text, starts):
        if _looks_quoted(text, c.start):
            continue
        ref, date = c.ref, parse_date(c.date_text or "")
        defined_ref = defined.get(ref.lower())
        if defined_ref:
            ref, date = defined_ref[0], defined_ref[1]
        if any(r.kind == c.kind and _same_reference(r, ref, date) for r in inst.relations):
            continue  # one relation per instrument named, however often the text names it
        inst.relations.append(
            Relation(c.kind, ref, date, evidence=_sentence_at(source, text, c.start, c.end))
        )
    return inst


def _same_reference(rel: Relation, ref: str, date: str | None) -> bool:
    if date and rel.target_date and date != rel.target_date:
        return False
    a, b = _content(rel.target_ref), _content(ref)
    return bool(a and b) and len(a & b) / min(len(a), len(b)) >= 0.6


def _as_list(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]


def _looks_quoted(text: str, pos: int) -> bool:
    """``pos`` lies inside a quoted passage that opened on the same paragraph."""
    start = text.rfind("\n\n", 0, pos)
    segment = text[start + 1 if start != -1 else 0 : pos]
    # straight quotes pair up by parity; a curly quote is open while “ outnumber ”
    return segment.count('"') % 2 == 1 or segment.count("“") > segment.count("”")


@dataclass
class Status:
    state: str  # in force, not yet in force, expired, superseded, unknown
    amended_by: list[tuple[str, Relation]] = field(default_factory=list)  # (source, relation)
    superseded_by: str | None = None
    term_months: int | None = None
    note: str = ""


class Registry:
    """Every instrument in the index, with its references resolved."""

    def __init__(self, instruments: Iterable[Instrument]) -> None:
        self.items = {i.source: i for i in instruments}
        self.unresolved: list[tuple[str, Relation]] = []
        for inst in self.items.values():
            for rel in inst.relations:
                if rel.target is None:
                    rel.target = self._resolve(rel, inst.source)
                if rel.target is None:
                    self.unresolved.append((inst.source, rel))

    def _resolve(self, rel: Relation, own: str) -> str | None:
        if rel.target_ref in self.items:
            return rel.target_ref
        words = _content(rel.target_ref)
        head = head_noun(rel.target_ref)
        years = set(re.findall(r"\b(?:1[89]|20)\d\d\b", rel.target_ref))
        best, score = None, 0.0
        for src, inst in self.items.items():
            if src == own:
                continue
            if rel.target_date and inst.signed != rel.target_date:
                continue
            if years and inst.signed and inst.signed[:4] not in years:
                continue  # "the Joint Statement of the 2018 ... Summit" is no 2022 statement
            title = _content(inst.title)
            if not title or not words:
                continue
            title_head = head_noun(inst.title)
            if head and title_head and head not in title_head and title_head not in head:
                continue  # "the Agreement on ..." does not name a "Joint Statement on ..."
            overlap = len(words & title) / len(words)
            if overlap > score:
                best, score = src, overlap
        return best if score >= 0.6 else None

    def status(self, source: str, as_of: str | None = None) -> Status:
        """The status of ``source`` on ``as_of`` (default: today)."""
        day = as_of or dt.date.today().isoformat()
        inst = self.items.get(source)
        if inst is None:
            return Status("unknown")
        start = inst.entry_into_force or inst.signed
        if start and start > day:
            return Status("not yet in force")
        st = Status("in force" if start else "unknown", term_months=inst.term_months)
        for other in self.items.values():
            other_start = other.entry_into_force or other.signed
            if other.source == source or not other_start or other_start > day:
                continue
            for rel in other.relations:
                if rel.target != source:
                    continue
                if rel.kind == "amends":
                    st.amended_by.append((other.source, rel))
                elif rel.kind in ("supersedes", "terminates"):
                    st.state, st.superseded_by = (
                        ("superseded" if rel.kind == "supersedes" else "terminated"),
                        other.source,
                    )
        term = inst.term_months
        for other_source, rel in st.amended_by:
            for c in rel.changes:
                if c.new_text is not None:
                    m = TERM.search(c.new_text.text)
                    if m and term_months(m) is not None:
                        term = term_months(m)
                        st.note = f"term as amended by {other_source}"
        st.term_months = term
        if st.state == "in force" and start and term and not inst.renews:
            end = add_months(start, term)
            if end <= day:
                st.state = "expired"
        return st

    def amendment_for(
        self, source: str, article: str, as_of: str | None = None
    ) -> tuple[str, Change] | None:
        """The change, in force on ``as_of``, that replaced ``article`` ("9(2)") of ``source``
        (or the whole article it belongs to), with the amending instrument's source."""
        st = self.status(source, as_of)
        for other, rel in st.amended_by:
            for c in rel.changes:
                if c.article == article or article.startswith(c.article + "("):
                    return other, c
        return None


def _content(text: str) -> set[str]:
    lex = lexicon()
    return {w for w in re.findall(r"[a-z]+", text.lower()) if w not in lex.stopwords and len(w) > 2}


_ARTICLE = re.compile(r"\bArticle\s+(\d{1,3})\b", re.I)
_PARA = re.compile(r"^\s*(\d{1,2})\.\s")


_ARTICLE_LINE = re.compile(r"(?m)^\s*(?:ARTICLE|Article)\s+(\d{1,3})\b")


def article_of(text: str, start: int, sentence: str) -> str | None:
    """ "9(2)" for the sentence "2. This MoU shall remain ..." that starts at ``start`` of
    ``text`` under the heading line "Article 9 - Duration"."""
    heads = list(_ARTICLE_LINE.finditer(text, 0, start))
    if not heads:
        return None
    p = _PARA.match(sentence)
    return heads[-1].group(1) + (f"({p.group(1)})" if p else "")


def registry_of(documents: Any) -> Registry:
    """The registry of an index's instruments (its documents of type mou), read from the
    stored text and metadata; ``documents`` is the manifest."""
    insts = []
    for src in documents.sources_of_type("mou"):
        d = documents.document(src)
        if d is not None:
            insts.append(
                read_instrument(
                    src,
                    d.text,
                    {"title": d.title, "doc_type": d.doc_type, "date": d.date, "extra": d.extra},
                )
            )
    return Registry(insts)
