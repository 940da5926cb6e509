"""Does a sentence answer a part of a question? Features any question has, and a fitted decision.

For each candidate sentence (in its passage, in its document) the features are:

- ``sim``: meaning: cosine similarity of the sentence and the question part;
- ``psim``: the passage's own similarity to the question (dense retrieval), 0 when lexical only;
- ``sent_cov``, ``pass_cov``, ``doc_cov``, ``title_cov``: the share of the part's informative
  words (weighted by rarity, IDF) that the sentence, the passage, the whole document and its
  title hold, matched by exact stem or a declared alias, never by prefix;
- ``name_doc``, ``name_pass``, ``name_sent``: the share of the part's names the document, the
  passage and the sentence hold (exact stems, acronyms both ways, a country by its other names),
  ``name_min`` the least held of them in the document;
- ``miss_idf``: how rare the rarest of the part's words missing from the document is;
- ``kind_sent``, ``kind_pass``: the sentence (passage) holds the kind of answer the part asks for:
  a date for "when", a figure for "how many", a person or body for "who", a place for "where";
- ``neg``: the sentence excludes or denies ("shall not cover") where the question does not ask
  about an exclusion;
- ``num_pass``: the share of the part's figures the passage holds;
- ``rank``: 1/(1+rank) of the passage in retrieval;
- ``reader``: the reader's calibrated probability that the sentence (with its heading and the
  sentence before it) states what the part asks (``accord.answer.reader``, a cross-encoder trained
  on SQuAD 2.0 and QNLI; the lexically likeliest candidates are read, the rest get a little less),
  and ``reader_span``: how sure its span head is of where the answer words are.

``Decision`` turns them into a probability with weights fitted on data (a logistic regression,
``evals/fit_answerability.py``; weights and thresholds in ``accord/data/answerability.json``) and
classes each part: answered, weak (the closest the documents come, said as such) or not in the
documents.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from accord.answer.kinds import cap_runs, counts_in, given_words, has_kind, names_someone
from accord.answer.questions import Name, Part
from accord.language.lexicon import WORD, Lexicon, figure_of, lexicon, plain_words, stem

MODEL_FILE = Path(__file__).resolve().parents[1] / "data" / "answerability.json"
# Features a decision fitted before they existed does not use (weight 0 when absent).
READER_FEATURES = ("reader", "reader_span")
FEATURES: tuple[str, ...] = (
    "sim",
    "psim",
    "sent_cov",
    "pass_cov",
    "doc_cov",
    "title_cov",
    "name_doc",
    "name_pass",
    "name_min",
    "name_sent",
    "miss_idf",
    "pass_miss_idf",
    "act_sent",
    "act_doc",
    "kind_sent",
    "kind_near",
    "kind_pass",
    "neg",
    "neg_near",
    "num_pass",
    "num_sent",
    "rank",
    "focus_sent",
    "focus_near",
    "counted",
    "reader",
    "reader_span",
)
ANSWER, WEAK, NONE = "answer", "weak", "none"


def stems_of(text: str) -> set[str]:
    """The stems of ``text``'s words; a figure written as an ordinal ("12th") also as the
    figure, as questions write dates ("on 12 March" for "on the 12th")."""
    out = set()
    for w in set(plain_words(text)):
        out.add(stem(w))
        figure = figure_of(w)
        if figure:
            out.add(figure)
    return out


def acronyms_of(text: str) -> set[str]:
    """Acronyms of the capitalised names in ``text``, with and without the initials of their
    small connecting words ("International Bank for Reconstruction and Development" -> "ibrd",
    "Compacts of Free Association" -> "cfa" and "cofa")."""
    lex = lexicon()
    out = set()
    runs = [m.group(0) for m in cap_runs(text, lex)]
    runs += [m.group(0) for m in cap_runs(text, lex, lex.acronym_joiners | {"&"})]
    for run in set(runs):
        toks = run.split()
        # every tail of the run too: a sentence's opening word or a title runs into the name
        # ("The Standing Committee on Fisheries" -> "scf")
        for start in range(len(toks) - 1):
            tail = toks[start:]
            caps = [w for w in tail if w[:1].isupper()]
            if not tail[0][:1].isupper() or not (3 if start else 2) <= len(caps) <= 7:
                continue
            out.add("".join(w[0] for w in caps).lower())
            if len(tail) > len(caps):
                out.add("".join(w[0] for w in tail).lower())
    return out


@dataclass
class TextTerms:
    """What a text holds, for matching a question against it."""

    stems: set[str]
    acronyms: set[str]
    text: str
    _kinds: dict[tuple[str, frozenset[str]], bool] = field(
        default_factory=dict, repr=False, compare=False
    )

    @classmethod
    def of(cls, text: str) -> TextTerms:
        return cls(stems_of(text), acronyms_of(text), text)

    def has_kind(self, kind: str, lex: Lexicon, given: frozenset[str]) -> bool:
        """:func:`has_kind` of the text, worked out once per kind and question (every sentence
        of a passage asks it of the same passage)."""
        key = (kind, given)
        if key not in self._kinds:
            self._kinds[key] = has_kind(kind, self.text, lex, given)
        return self._kinds[key]


def name_share(name: Name, held: TextTerms, lex: Lexicon) -> float:
    """How much of ``name`` the text holds: 1.0 when its acronym or its expansion is there, else
    the share of its words held exactly (a country also by its other names); 0.0 when it names
    a namesake with another figure ("... 2024" for "... 2023")."""
    if name.figure and _other_figure(name, held.text):
        return 0.0
    if name.acronym and (name.acronym in held.stems or name.acronym in held.acronyms):
        return 1.0
    expansion = lex.acronyms.get(name.text.replace(".", "").lower())
    if expansion and all(s in held.stems for s in expansion):
        return 1.0
    if not name.stems:
        return 1.0
    hits = 0
    for s, word in zip(name.stems, _name_words(name, lex), strict=False):
        if s in held.stems or lex.country_stems(word) & held.stems:
            hits += 1
    return hits / len(name.stems)


def _other_figure(name: Name, text: str) -> bool:
    """``text`` names a namesake of ``name`` with another figure and never with its own:
    "Exercise Blue Heron 2024" is not the "Exercise Blue Heron 2023" asked about, "Module 2"
    not "Module 1". (A text that names it without a figure may mean it.)"""
    last = re.escape(name.text.split()[-1])
    after = re.findall(rf"\b{last}\s+(\d+)\b", text, re.I)
    return bool(after) and name.figure not in after


def _name_words(name: Name, lex: Lexicon) -> list[str]:
    return [
        p
        for t in name.text.split()
        if t.lower() not in lex.name_connectors
        for p in re.split(r"[-’']", t)
        if p
    ]


def coverage(terms: dict[str, float], held: set[str]) -> float:
    total = sum(terms.values())
    return sum(w for t, w in terms.items() if t in held) / total if total else 1.0


@dataclass(frozen=True)
class PartTerms:
    """What every candidate sentence of one part is matched against, worked out once per part:
    the part's words with their idf weights, the rarest weight of the index, the words the
    question gives, the stems of its names, its other words (what is asked about), its figures
    and its focus."""

    weights: dict[str, float]
    max_idf: float
    given: frozenset[str]
    acts: dict[str, float]
    numbers: list[str]
    focus: dict[str, float]

    @classmethod
    def of(cls, part: Part, weights: dict[str, float], max_idf: float) -> PartTerms:
        name_stems = {s for n in part.names for s in n.stems}
        return cls(
            weights=weights,
            max_idf=max_idf,
            given=given_words(part.search),
            acts={t: w for t, w in weights.items() if t not in name_stems and not t.isdigit()},
            numbers=[n if n.isdigit() else stem(n) for n in part.numbers],
            focus={t: 1.0 for t in part.focus},
        )


def _mean_share(names: list[Name], held: TextTerms, lex: Lexicon) -> float:
    return sum(name_share(n, held, lex) for n in names) / len(names) if names else 1.0


def features(
    part: Part,
    terms: PartTerms,
    sentence: str,
    sent: TextTerms,
    sim: float,
    psim: float,
    passage: TextTerms,
    document: TextTerms,
    title: set[str],
    rank: int,
    lex: Lexicon,
    reader: float = 0.0,
    reader_span: float = 0.0,
) -> dict[str, float]:
    """The features of one candidate sentence (``sent``: its terms), by name (FEATURES)."""
    weights, acts, nums = terms.weights, terms.acts, terms.numbers
    names = part.names
    shares = [name_share(n, document, lex) for n in names]
    missing = [w for t, w in weights.items() if t not in document.stems]
    pmissing = [w for t, w in weights.items() if t not in passage.stems]
    # A denial answers a yes/no question ("has no plans to ..."); elsewhere it says what is not
    # the case ("shall not cover ..." for "what does it cover?").
    neg = (
        not part.negative
        and part.kind != "yes_no"
        and bool(set(plain_words(sentence)) & lex.negation)
    )
    kind_sent = has_kind(part.kind, sentence, lex, terms.given)
    focus = terms.focus
    focus_near = (
        kind_near(part.kind, sentence, focus, lex, terms.given, window=6) if focus else True
    )
    named = {
        "sim": sim,
        "psim": psim,
        "sent_cov": coverage(weights, sent.stems),
        "pass_cov": coverage(weights, passage.stems),
        "doc_cov": coverage(weights, document.stems),
        "title_cov": coverage(weights, title),
        "name_doc": sum(shares) / len(names) if names else 1.0,
        "name_pass": _mean_share(names, passage, lex),
        "name_min": min(shares) if shares else 1.0,
        "name_sent": _mean_share(names, sent, lex),
        "miss_idf": max(missing) / terms.max_idf if missing and terms.max_idf else 0.0,
        "pass_miss_idf": max(pmissing) / terms.max_idf if pmissing and terms.max_idf else 0.0,
        "act_sent": coverage(acts, sent.stems),
        "act_doc": coverage(acts, document.stems),
        "kind_sent": float(kind_sent),
        "kind_near": float(kind_sent and kind_near(part.kind, sentence, weights, lex, terms.given)),
        "kind_pass": float(passage.has_kind(part.kind, lex, terms.given)),
        "neg": float(neg),
        "neg_near": float(neg and negation_near(sentence, acts, lex)),
        "num_pass": (sum(n in passage.stems for n in nums) / len(nums)) if nums else 1.0,
        "num_sent": (sum(n in sent.stems for n in nums) / len(nums)) if nums else 1.0,
        "rank": 1.0 / (1 + rank),
        "focus_sent": coverage(focus, sent.stems) if focus else 1.0,
        "focus_near": float(kind_sent and focus_near),
        "counted": counted_near(part.counted, sentence, lex),
        "reader": reader,
        "reader_span": reader_span,
    }
    return named


def vector(named: dict[str, float]) -> np.ndarray:
    """Named features as the decision's weights read them: in FEATURES order, every one given."""
    return np.asarray([named[f] for f in FEATURES], dtype=np.float64)


def counted_near(counted: str, sentence: str, lex: Lexicon, window: int = 4) -> float:
    """For "how many <things>": 1.0 when a count stands just before the counted word in the
    sentence ("14 instructors"), 0.0 when the word is there without one, 0.5 when the word is not
    there at all (it may be paraphrased); 1.0 for parts that count nothing."""
    if not counted:
        return 1.0
    toks = WORD.findall(sentence)
    stems = [stem(t) for t in toks]
    if counted not in stems:
        return 0.5
    counts = {c.replace(",", "").lower() for c in counts_in(sentence, lex)}
    for i, s in enumerate(stems):
        if s == counted and any(
            toks[j].replace(",", "").lower() in counts for j in range(max(0, i - window), i)
        ):
            return 1.0
    return 0.0


def negation_near(sentence: str, terms: dict[str, float], lex: Lexicon, window: int = 3) -> bool:
    """A negation stands right before one of the part's words ("shall not cover" for a question
    about what is covered): the sentence says what is not the case."""
    toks = [t.lower() for t in WORD.findall(sentence)]
    for i, t in enumerate(toks):
        if t in lex.negation and any(stem(x) in terms for x in toks[i + 1 : i + 1 + window]):
            return True
    return False


def kind_near(
    kind: str,
    sentence: str,
    weights: dict[str, float],
    lex: Lexicon,
    given: frozenset[str] | None = None,
    window: int = 8,
) -> bool:
    """The kind of answer asked for stands near one of the part's words in the sentence (a
    figure beside the counted noun, not at the other end of a long sentence)."""
    if kind in ("what", "yes_no"):
        return True
    toks = WORD.findall(sentence)
    near = [i for i, t in enumerate(toks) if stem(t) in weights]
    if not near:
        return False
    for i in range(len(toks)):
        if any(abs(i - j) <= window for j in near):
            piece = " ".join(toks[max(0, i - 2) : i + 3])
            if has_kind(kind, piece, lex, given):
                return True
    return False


DECIDER_EXTRA: tuple[str, ...] = ("p_best", "margin", "p_mean3")


@dataclass
class Decision:
    """Two logistic models: the ranker scores every candidate sentence over FEATURES; the decider
    reads the best one (its FEATURES, its ranker probability, its margin over the next and the
    mean of the top three) and says how likely the part is answered. Two thresholds on the
    decider's probability class the part: answer, weak, none."""

    weights: np.ndarray
    bias: float
    answer_at: float
    weak_at: float
    source: str = ""
    decider: np.ndarray | None = None  # weights over FEATURES + DECIDER_EXTRA
    decider_bias: float = 0.0

    def decide(self, probabilities: np.ndarray, xs: np.ndarray) -> tuple[int, float]:
        """(index of the best candidate, probability that it answers the part)."""
        order = np.argsort(-probabilities, kind="stable")
        i = int(order[0])
        if self.decider is None:
            return i, float(probabilities[i])
        p = probabilities[order]
        extra = np.asarray([p[0], p[0] - (p[1] if len(p) > 1 else 0.0), float(np.mean(p[:3]))])
        z = float(np.concatenate([xs[i], extra]) @ self.decider + self.decider_bias)
        return i, sigmoid(z)

    @classmethod
    def neutral(cls) -> Decision:
        """Equal weights: what the fit starts from (the features do not depend on weights)."""
        return cls(np.zeros(len(FEATURES)), 0.0, 0.5, 0.5, "neutral")

    @classmethod
    def load(cls, path: Path | None = None) -> Decision:
        p = path or MODEL_FILE
        data = json.loads(p.read_text(encoding="utf-8"))
        w = {f: 0.0 for f in READER_FEATURES} | data["weights"]
        missing = [f for f in FEATURES if f not in w]
        if missing:
            raise ValueError(f"{p}: no weight for {', '.join(missing)}")
        dec = data.get("decider")
        dw = {f: 0.0 for f in READER_FEATURES} | dec["weights"] if dec else {}
        return cls(
            np.asarray([float(w[f]) for f in FEATURES]),
            float(data["bias"]),
            float(data["answer_at"]),
            float(data["weak_at"]),
            str(p),
            np.asarray([float(dw[f]) for f in FEATURES + DECIDER_EXTRA]) if dec else None,
            float(dec["bias"]) if dec else 0.0,
        )

    @property
    def uses_reader(self) -> bool:
        """Whether the reader's features weigh in the decision (else the answerer need not
        read: the shipped decision, fitted without them, does not)."""
        idx = [FEATURES.index(f) for f in READER_FEATURES]
        return bool(
            np.any(self.weights[idx]) or (self.decider is not None and np.any(self.decider[idx]))
        )

    def probability(self, x: np.ndarray) -> np.ndarray:
        z = np.clip(x @ self.weights + self.bias, -30, 30)
        return 1.0 / (1.0 + np.exp(-z))

    def verdict(self, p: float, kind_ok: bool) -> str:
        """answer, weak or none for a best sentence of probability ``p``. A sentence without the
        kind of answer asked for (no date for "when", nobody for "who") is at most weak."""
        if p >= self.answer_at and kind_ok:
            return ANSWER
        if p >= self.weak_at:
            return WEAK
        return NONE


def idf_weights(part: Part, idf: Callable[[str], float]) -> dict[str, float]:
    """The part's informative words by stem, each weighed by its rarity in the index."""
    return {t: max(idf(w), 0.1) for t, w in part.terms.items()}


def logistic_fit(
    x: np.ndarray,
    y: np.ndarray,
    l2: float = 1.0,
    iters: int = 500,
    sample_weight: np.ndarray | None = None,
) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression by Newton's method; returns (weights, bias)."""
    n, d = x.shape
    xb = np.hstack([x, np.ones((n, 1))])
    w = np.zeros(d + 1)
    sw = np.ones(n) if sample_weight is None else sample_weight
    reg = np.full(d + 1, l2)
    reg[-1] = 0.0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-np.clip(xb @ w, -30, 30)))
        g = xb.T @ (sw * (p - y)) + reg * w
        h = (xb * (sw * p * (1 - p))[:, None]).T @ xb + np.diag(reg + 1e-9)
        step = np.linalg.solve(h, g)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w[:-1], float(w[-1])


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))


def mean(xs: Iterable[float]) -> float:
    xs = list(xs)
    return sum(xs) / len(xs) if xs else 0.0


__all__ = [
    "ANSWER",
    "FEATURES",
    "PartTerms",
    "vector",
    "NONE",
    "WEAK",
    "Decision",
    "TextTerms",
    "features",
    "has_kind",
    "idf_weights",
    "lexicon",
    "logistic_fit",
    "name_share",
    "names_someone",
]
