"""What a question asks: its content words, the kind of answer it wants, the names it uses.

``QuestionProfile.of(question)`` is computed once per answer and read by the extractive answerer
(sentence scoring) and by accord.answerability (what a passage must contain).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import snowballstemmer

from accord.answerability import Needs, analyse
from accord.text import STOPWORDS, words

# Question words that say what kind of answer is wanted; they are not what a passage must contain.
_QWORDS = frozenset("""what when where which who whom whose why how many much did does do is are
was were has have had according document documents say said mention mentioned state
stated""".split())


@functools.lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The Snowball (Porter 2) stem of a word, so "signed", "signing" and "signs" meet, and
    "offer" and "offered" do too."""
    return _SNOWBALL.stemWord(word.lower())


_SNOWBALL = snowballstemmer.stemmer("english")


def key_terms(question: str) -> dict[str, str]:
    """The question's content words by stem: {stem: the word as asked}."""
    out: dict[str, str] = {}
    for w in words(question):
        if len(w) > 1 and w not in STOPWORDS and w not in _QWORDS:
            out.setdefault(stem(w), w)
    return out


_CAPWORD = re.compile(r"(?<![.?!]\s)(?<!^)\b([A-Z][A-Za-z\-]*[A-Za-z])\b")
_DATE_RE = re.compile(
    r"\b(1[89]\d\d|20\d\d)\b|\b(January|February|March|April|May|June|July|August|"
    r"September|October|November|December)\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b")
_NUM_RE = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
                     r"twenty|thirty|forty|fifty|hundred|thousand|million|billion|once|twice|"
                     r"dozen|half)\b", re.I)
# Who: a person by title or role, or a body ("the host Party"); a place name is not a who.
_NAME_RE = re.compile(
    r"\b(?:Mr|Ms|Mrs|Dr|Sir|Lord|Minister|President|Secretary|Ambassador|Prime|King|Queen|Sultan|"
    r"Director|Chancellor|Premier|Senator|Governor|Commissioner|Counsellor|Envoy|Advisor|Adviser|"
    r"Chair|Chairman|Leader|Party|Parties|Government|Ministry|Committee|Council|Commission|"
    r"Agency|Bureau|Department|Office|Police|Court)\b")
# ... or a two-word name doing what people do ("Jon Finer met"), not the end of a longer
# capitalised title ("... Combating Transborder Crime signed at").
_SAYS = re.compile(r"\b[A-Z][a-z]+\s+[A-Z][a-z]+\s+(?:said|told|noted|stated|announced|signed|"
                   r"met|called|welcomed|agreed)\b")


def _names_someone(sentence: str) -> bool:
    if _NAME_RE.search(sentence):
        return True
    for m in _SAYS.finditer(sentence):
        before = sentence[: m.start()].split()
        if not before or not before[-1][:1].isupper():
            return True
    return False


@dataclass
class QuestionProfile:
    """What a question needs of a sentence that answers it."""

    terms: dict[str, str]  # stem -> the word as asked (its IDF is the word's)
    wants: str | None  # "date", "number", "name" or None
    numbers: list[str]  # figures and ordinals the question names: the evidence must name them
    proper: dict[str, str]  # names the question uses, {stem: the word as asked}
    needs: Needs  # what the passage and the sentence must contain (accord.answerability)
    also: list[str] = field(default_factory=list)  # further kinds asked for ("and by whom?")
    did: set[str] = field(default_factory=set)  # stems after "did": what is asked to have happened

    @classmethod
    def of(cls, question: str) -> QuestionProfile:
        q = question.strip()
        low = q.lower()
        wants = None
        if re.match(r"(when|what date|on what date|which date|by what date|in what year|"
                    r"which year|what year)\b", low) or re.search(r"\bby when\b", low):
            wants = "date"
        elif re.match(r"how (many|much|long|often|quickly|soon)\b|what (percentage|share|"
                      r"amount|number|sum)\b|what (is|was|are|were) the (budget|cost|price|"
                      r"value|amount|total|figure|size|number)\b", low):
            wants = "number"
        elif re.match(r"who(m)?\b", low):
            wants = "name"
        # "When was it signed, and by whom?" also wants a name.
        also = [_ALSO[m] for m in re.findall(r"\b(?:and|,) (?:by |to |with )?(when|whom|who|"
                                              r"how many|how much)\b", low)
                if _ALSO[m] != wants]
        numbers = [w for w in words(q) if w.isdigit()]
        # Names: of a two-word name ("Myron Cowen", "Harbour Shield") the second word, which
        # documents repeat ("Cowen"); of longer ones ("Joint Working Committee") every word.
        groups: list[list[str]] = []
        last_end: int | None = None
        for m in _CAPWORD.finditer(q):
            w = m.group(1).lower()
            if w in STOPWORDS or w in _QWORDS or len(w) < 3:
                last_end = None
                continue
            if groups and last_end is not None and q[last_end:m.start()].strip() == "":
                groups[-1].append(m.group(1))
            else:
                groups.append([m.group(1)])
            last_end = m.end()
        proper: dict[str, str] = {}
        for g in groups:
            for w in (g[-1:] if _person(g) else g):
                for part in w.split("-"):
                    if len(part) >= 3:
                        proper.setdefault(stem(part), part)
        did = re.search(r"\bdid\b(.*)", low)
        return cls(key_terms(q), wants, numbers, proper, analyse(q, stem, proper),
                   list(dict.fromkeys(also)), set(key_terms(did.group(1))) if did else set())

    def happened(self, sentence: str) -> bool:
        """The sentence reports as done what a "did" question asks about ("The Committee agreed
        to hold ..."), not as a provision ("on terms to be agreed by the JWC")."""
        return bool(self.did) and any(
            stem(m.group(1)) in self.did for m in _PAST.finditer(sentence))

    def type_ok(self, sentence: str, wants: str | None = None) -> bool:
        wants = wants or self.wants
        if wants == "date":
            return bool(_DATE_RE.search(sentence))
        if wants == "number":
            return bool(_NUM_RE.search(sentence))
        if wants == "name":
            return _names_someone(sentence)
        return True

    def type_score(self, sentence: str) -> float:
        """The share of the kinds of answer asked for (date, number, name) the sentence has."""
        kinds = [k for k in [self.wants, *self.also] if k]
        return sum(self.type_ok(sentence, k) for k in kinds) / len(kinds) if kinds else 1.0


_PAST = re.compile(r"(?<!\bbe )(?<!\bbeen )(?<!\bbeing )\b([a-z]+ed)\b")
_ALSO = {"when": "date", "whom": "name", "who": "name", "how many": "number",
         "how much": "number"}


def _person(group: list[str]) -> bool:
    """Two capitalised words that may be a given name and a surname ("Myron Cowen")."""
    return len(group) == 2 and all(re.fullmatch(r"[A-Z][a-z]+", w) for w in group)
