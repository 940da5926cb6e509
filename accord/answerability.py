"""Does a passage answer the question at all? Checks of what a question asks for.

A sentence can be close in meaning to a question and still not answer it: "How many people were
convicted after Operation Clearwater?" is near "Operation Clearwater ... led to the arrest of 41
suspects", and "When will Exercise Harbour Shield 2025 be held?" is near the sentence about the
2024 exercise. Similarity alone cannot tell these apart, so the extractive answerer quotes a
sentence only when it also meets what the question asks for. ``analyse(question)`` returns the
question's ``Needs``; each is checked at its own level (whole document, passage, sentence, or the
whole index; see ``Needs``): the names it uses, the thing "how many X" or "what is the X of"
asks about, an ordinal with what it counts, a name with its number ("Harbour Shield 2025"), the
participle and subject of a passive question, the role "who is the X" asks about, an amount of
money, the direction of a title ("Sundara's Ambassador to Meridia"), and the event words of
"when"/"where" questions.

Each unmet check has a reason that the refusal shows, so an officer sees what was missing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from accord.text import STOPWORDS, words

# Words a passage need not contain for the question to be answered: what kind of answer is wanted
# ("which city", "how long"), generic nouns, and how bilateral documents name the two sides.
GENERIC = frozenset("""people person persons time times result results outcome outcomes kind
kinds type types way ways number numbers amount amounts total name names date dates year years
day days month months thing things role roles status purpose purposes reason reasons aim aims
goal goals detail details long often quickly soon far city cities country countries place
places side sides party parties two both each either other two countries nation nations term
terms main key new current currently original originally finally eventually exactly
approximately roughly according become became becomes happen happened occur occurred begin
began start started come came""".split())
_MONTHS_DAYS = frozenset("""january february march april may june july august september october
november december jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday
thursday friday saturday sunday""".split())
_PREPOSITIONS = frozenset("in on by of since until before after".split())

_MONEY_Q = re.compile(
    r"^(?:by )?how much (?:(?:money|funding|funds|investment|compensation|aid|financing|"
    r"assistance)\b|did .{1,60}\b(?:invest|pay|spend|commit|lose|raise|cost|fund|give|pledge)"
    r"\w*\b)|^what (?:is|was|were|are) the (?:\w+ )?(?:budget|cost|costs|price|value)\b|"
    r"\bin (?:us )?(?:dollars|euros|pounds)\b|\bper tonne\b", re.I)
_MONEY_A = re.compile(
    r"[$\u20ac\u00a3\u00a5]\s?\d|(?<![\d.,])\d[\d,.]*\s*(thousand|million|billion|trillion|bn|m)"
    r"\b|\b(USD|EUR|GBP|AUD|NZD|SGD|MYR|IDR|THB|VND|PHP|INR|JPY|CNY|KRW)(?:\b|\s?\d)|"
    r"\b\d[\d,.]*\s*(dollars?|euros?|pounds?|yen|ringgit|rupiah|baht|rupees?|pesos?|won|dong|"
    r"francs?|rupa)\b", re.I)
_HEAD = re.compile(
    r"^(?:by )?how (?:many|much)(?: of)? (?P<a>(?:the )?[\w\s'-]+?)(?= did| do| does| were| was|"
    r" are| is| has| have| had| will| must| can| could| should| would| in| under| by| after|"
    r" before| at| to|\?|$)|"
    r"^(?:what|which|who) (?:is|was|are|were) (?:the )?(?P<b>[\w\s'-]+?)(?= of| for| in| at| on|"
    r" to| between| under| that|\?|$)", re.I)
_NAME_NUMBER = re.compile(r"\b((?:[A-Z][\w-]+\s+){0,3}[A-Z][\w-]+)\s+(\d{1,4}(?:/\d{2})?)"
                          r"(?![\w+/-]|[.,]\d)")
# Words of role titles: a question may describe a person by a role the document does not spell
# out ("the British High Commissioner" for "Head"), so they are not names to look for.
_ROLE = frozenset("""prime minister ministers president vice deputy secretary general high
commissioner ambassador chancellor premier king queen sultan sir lord principal advisor adviser
director chairman chair governor senator counsellor envoy special representative
spokesperson""".split())
_DIRECTION_Q = re.compile(r"\b([A-Z][\w-]+)'s\s+([A-Z][\w-]+(?:\s+[A-Z][\w-]+)*)\s+(?:to|in)\s+"
                          r"(?:the\s+)?([A-Z][\w-]+)")


@dataclass
class Needs:
    """What the document, the passage and the sentence must contain to answer one question.

    Terms are {stem: the word as asked}. Checked in the whole document: the names the question
    uses, the thing "how many/much X" or "what is the X of" asks about, and an ordinal with
    what it counts ("the third meeting"). In the passage: a name with its number ("Harbour
    Shield 2025") and what a passive question says was done to ("the extradition treaty"). In
    the sentence: the role "who is the X" asks about, the participle of a passive question
    ("were convicted", "was it signed") in a past form, an amount of money, the direction of a
    title. In the index: the event words of "when"/"where" questions.
    """

    document_terms: dict[str, str] = field(default_factory=dict)
    passage_terms: dict[str, str] = field(default_factory=dict)
    sentence_terms: dict[str, str] = field(default_factory=dict)
    index_terms: dict[str, str] = field(default_factory=dict)
    participles: dict[str, str] = field(default_factory=dict)
    money: bool = False
    name_numbers: list[tuple[str, str]] = field(default_factory=list)  # (name, figure)
    ordinals: list[tuple[str, list[str]]] = field(default_factory=list)  # ("third", ["meeting"])
    direction: tuple[str, str, str] | None = None  # (owner, title, counterpart)
    stem: Callable[[str], str] = field(default=str.lower, repr=False)

    def index_gaps(self, has) -> list[str]:
        """Words of the question the indexed documents never use (``has(stem, word)``)."""
        return [w for t, w in self.index_terms.items() if not has(t, w)]

    def document_gaps(self, terms: set[str], texts: Sequence[str]) -> list[str]:
        """What of the question the document (its stems ``terms``, its ``texts``) lacks."""
        gaps = [w for t, w in self.document_terms.items() if not has_term(t, terms)]
        for o, n in self.ordinals:
            if not _side(n):
                missing = [_ordinal_gap(o, n, text) for text in texts]
                if all(missing):
                    gaps.append(missing[0])
        return gaps

    def passage_gap(self, passage: str, terms: set[str]) -> str | None:
        """What of the question the passage (its ``passage`` text and stems ``terms``) lacks."""
        for t, w in self.passage_terms.items():
            if not has_term(t, terms):
                return w
        for name, figure in self.name_numbers:
            last = re.escape(name.split()[-1])  # documents may shorten "Exercise Harbour Shield"
            if not re.search(rf"\b{last}\s+{re.escape(figure)}\b", passage, re.I):
                found = re.findall(rf"\b{last}\s+(\d{{1,4}})\b", passage, re.I)
                return (f"{name} {figure} (the passage is about {name} {found[0]})" if found
                        else f"{name} {figure}")
        return None

    def sentence_gap(self, sentence: str, terms: set[str]) -> str | None:
        """Why ``sentence`` (its stems ``terms``) cannot be the answer, or None."""
        for t, w in self.sentence_terms.items():
            if not has_term(t, terms):
                return w
        for t, w in self.participles.items():
            low = sentence.lower()
            if not re.search(rf"\b{w}\b", low) and not any(
                    self.stem(x) == t for x in re.findall(r"[a-z]+ed\b", low)):
                return w
        for o, n in self.ordinals:  # "a third country" is about the sentence's parties
            if _side(n) and (gap := _ordinal_gap(o, n, sentence)):
                return gap
        if self.money and not _MONEY_A.search(sentence):
            return "an amount of money"
        if self.direction:
            owner, title, other = self.direction
            m = re.search(rf"\b{re.escape(title)}\s+of\s+(?:the\s+)?(?:[A-Z]\w+\s+of\s+)?"
                          rf"([A-Z][\w-]+)\s+(?:to|in)\s+(?:the\s+)?(?:[A-Z]\w+\s+of\s+)?"
                          rf"([A-Z][\w-]+)", sentence)
            if m and not (_same(m.group(1), owner) and _same(m.group(2), other)):
                return f"{owner}'s {title} to {other}"
        return None


# An ordinal and the words it counts, past names and figures: "the first JWC meeting", "the
# first I2U2 leaders' meeting" (either word will do).
_ORDINAL = re.compile(r"\b(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|"
                      r"eleventh|twelfth)\s+((?:(?:[A-Z][\w.+-]*|\d[\w.+-]*)\s+){0,3}"
                      r"[a-z]+(?:'?\s+[a-z]+)?)")
# "A third country" is "a third Party" or "a third State" in treaty language.
_SIDE_WORDS = frozenset("country countries party parties state states nation nations".split())
_SIDES = "countr|part|state|nation"
_AUX_VERBS = "did do does is was were are has have had will can could must should would".split()
_AUX = "(?:" + "|".join(_AUX_VERBS) + ")"
_AUX_WORDS = frozenset(_AUX_VERBS) | {"been", "being", "many", "much"}
# A passive question asks whether, or when, something was done: "Was X extradited?", "How many
# people were convicted?", "When was the treaty signed?". The participle is lower case.
_PASSIVE = re.compile(r"^(?:[Hh]ow many [\w\s'-]+? (?:were|was|have been|had been|has been)|"
                      r"(?:[Ww]hen |[Ww]here )?(?:[Ww]as|[Ww]ere|[Hh]as|[Hh]ave|[Hh]ad) "
                      r"[\w\s'-]+?(?: been)?)(?: [a-z]+ly)? ([a-z]{3,}ed|" + "|".join(
                          "taken given written chosen spoken broken driven frozen hidden stolen "
                          "seen done made held met sent paid built brought kept left lost sold "
                          "told won struck sworn drawn shown known begun".split()) + r")\b")


def analyse(question: str, stem: Callable[[str], str], proper: dict[str, str]) -> Needs:
    """The checks ``question`` needs. ``stem`` is the answerer's stemmer; ``proper`` the names
    the question uses, {stem: word}."""
    q = question.strip()
    needs = Needs(stem=stem)
    for p, w in proper.items():
        if w.lower() not in _MONTHS_DAYS and w.lower() not in _ROLE:
            needs.document_terms[p] = w
    m = _HEAD.match(q)
    head = (m.group("a") or m.group("b")) if m else ""
    if re.match(rf"(?:{_AUX}|to)\b", head, re.I):
        head = ""  # "how much did the UAE commit": no noun is asked about
    target = needs.sentence_terms if re.match(r"who(m)?\b", q, re.I) else needs.document_terms
    for w in words(head):
        if w not in STOPWORDS and w not in GENERIC and len(w) > 2:
            target.setdefault(stem(w), w)
    if re.match(r"(when|where)\b", q, re.I):
        for w in words(q)[1:]:
            if w not in STOPWORDS and w not in GENERIC and len(w) > 2 and not w.isdigit():
                needs.index_terms.setdefault(stem(w), w)
    p = _PASSIVE.match(q)
    if p:
        needs.participles[stem(p.group(1))] = p.group(1)
        # What was done to ("When was the extradition treaty signed?"): in the passage.
        for w in words(q[: p.start(1)])[1:]:
            if w not in STOPWORDS and w not in GENERIC and len(w) > 2 and w not in _AUX_WORDS:
                needs.passage_terms.setdefault(stem(w), w)
    needs.money = bool(_MONEY_Q.search(q))
    needs.name_numbers = [(n, f) for n, f in _NAME_NUMBER.findall(q)
                          if n.split()[-1].lower() not in _MONTHS_DAYS | _PREPOSITIONS]
    for m in _ORDINAL.finditer(q):
        nouns = [n for n in re.findall(r"[a-z]+", m.group(2)) if n not in STOPWORDS
                 and (n not in GENERIC or n in _SIDE_WORDS)]
        if nouns:
            needs.ordinals.append((m.group(1).lower(), nouns))
    d = _DIRECTION_Q.search(q)
    needs.direction = (d.group(1), d.group(2), d.group(3)) if d else None
    return needs


def _side(nouns: list[str]) -> bool:
    return any(n in _SIDE_WORDS for n in nouns)


def _ordinal_gap(ordinal: str, nouns_: list[str], text: str) -> str | None:
    """``text`` lacks the ordinal with one of the words it counts ("the first ... meeting")."""
    nouns = "|".join(_SIDES if n in _SIDE_WORDS else re.escape(n[:5]) for n in nouns_)
    first = "first|inaugural" if ordinal == "first" else ordinal
    if re.search(rf"\b(?:{first})\s+(?:\S+\s+){{0,4}}(?:{nouns})", text, re.I):
        return None
    return f"{ordinal} {nouns_[-1]}"


def _same(a: str, b: str) -> bool:
    a, b = a.lower(), b.lower()
    return a.startswith(b[:5]) or b.startswith(a[:5])


def has_term(term: str, context: set[str]) -> bool:
    """``term`` (a stem) is in ``context``, or a word sharing its first letters ("ratif-y" and
    "ratif-ication"), or one it begins ("Thai" and "Thailand")."""
    if term in context:
        return True
    if len(term) < 4:
        return False
    n = max(5, len(term) - 2)
    return any(len(w) >= 4 and (w[:n] == term[:n] if len(term) >= 5 else w.startswith(term))
               for w in context)


_CAP_RUN = re.compile(r"\b[A-Z][\w-]*(?:\s+(?:of\s+|and\s+|the\s+|for\s+)*[A-Z][\w-]*)+")


def acronyms(text: str) -> set[str]:
    """Acronyms of the capitalised names in ``text`` ("United Arab Emirates" -> "uae"), so a
    question saying "UAE" meets a document that spells it out."""
    out = set()
    for m in _CAP_RUN.finditer(text):
        caps = [w for w in m.group(0).split() if w[:1].isupper()]
        if 2 <= len(caps) <= 6:
            out.add("".join(w[0] for w in caps).lower())
    return out
