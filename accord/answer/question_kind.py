"""The kind of answer a question asks for (``kind_of``): when, who, where, how_many, how_much,
how_long, list, name, quantity, yes_no or what.

By the words the question opens with (lexicon ``question_forms``), else by the noun phrase after
"what" or "which" (its last kind noun, lexicon ``kind_nouns``: "the projected yearly cost of"
asks how much; a body or a role right after the question word asks who; a word of a proper name
says nothing), else by its first question word further on ("By the time of the summit, what
proportion of ..."). Used by ``accord.answer.questions`` for each part.
"""

from __future__ import annotations

import functools
import re

from accord.language.lexicon import Lexicon, stem


def kind_of(text: str, lex: Lexicon) -> str:
    """The kind of answer ``text`` asks for: by the words it opens with, else by its first
    question word ("By the time of the summit, what proportion of ...")."""
    low = [t.lower().strip("?,.;:()") for t in text.split()]
    named = _in_names(text.split())
    while low and low[0] in lex.part_openers:
        low, named = low[1:], named[1:]
    if not _subordinate(text, low, lex):
        kind = _kind_at(low, lex, named)
        if kind is not None:
            return kind
        if low and low[0] in lex.interrogatives:
            # "What scheme did the envoy raise when they met?": the opening question word rules; a
            # later one belongs to a clause
            return "what"
    for i, w in enumerate(low[1:], 1):
        if w in lex.interrogatives:
            kind = _kind_at(low[i:], lex, named[i:])
            if kind not in (None, "yes_no"):
                return kind
    return "what"


def _subordinate(text: str, low: list[str], lex: Lexicon) -> bool:
    """ "When the envoys met ..., what did ...": a "when" or "where" not followed by a verb
    or a preposition, with another question word after a comma, opens a clause, not the
    question ("(a) when the Committee first met" alone is an indirect question)."""
    if not (
        len(low) > 1
        and low[0] in ("when", "where")
        and low[0] in lex.interrogatives
        and low[1] not in lex.phrase_ends
    ):
        return False
    for m in re.finditer(r",((?:\s+\w+){1,3})", text):
        if any(w.lower() in lex.interrogatives for w in m.group(1).split()):
            return True
    return False


def _in_names(tokens: list[str]) -> list[bool]:
    """For each word of a question, whether it is a word of a proper name: capitalised after the
    first word, in a question written mostly in lower case ("Which organisations ran Operation
    Coral Station?": "Station" names the operation; it does not ask where)."""
    bare = [t.strip("\"'(“‘?,.;:)") for t in tokens]
    caps = [t[:1].isupper() for t in bare]
    if not any(t.isalpha() and t.islower() and len(t) >= 5 for t in bare):
        return [False] * len(tokens)  # a title-case or capitals question: no telling
    return [False] + caps[1:]


def _kind_at(low: list[str], lex: Lexicon, named: list[bool] | None = None) -> str | None:
    if low and low[0] in lex.noun_interrogatives:
        kind = _noun_kind(low, lex, named or [False] * len(low))
        if kind is not None:
            return kind
    for opening, kind in lex.kinds:
        if tuple(low[: len(opening)]) == opening:
            return kind
    return None


def _noun_kind(low: list[str], lex: Lexicon, named: list[bool], window: int = 8) -> str | None:
    """ "What is the <noun> of", "which <noun>": the noun phrase after the question word, up to a
    preposition or a verb (lexicon ``phrase_ends``), says the kind by its last kind noun
    (lexicon kind_nouns: "the projected yearly cost of" asks how much) or by a body or a role
    right after the question word ("which minister", "which port authorities" ask who).
    "What did it cost?": a question ending on a kind noun asks that kind. A word of a proper
    name (``named``) is no kind noun, though it may be a role ("which Chancellor")."""
    kind = None
    for i, w in enumerate(low[1:window], 1):
        if w in lex.phrase_ends and (i > 1 or w not in lex.copulas):
            break
        if w in lex.kind_nouns and (not named[i] or lex.kind_nouns[w] == "who"):
            if lex.kind_nouns[w] == "who" and i <= 2:
                # a body or a role right after the question word heads the phrase: what follows
                # is its verb's ("which body runs the compensation scheme")
                return "who"
            kind = lex.kind_nouns[w]
        elif i <= 2 and kind is None and _is_someone_noun(w, lex):
            # right after the question word ("which minister", "which port authorities"); further
            # on a body qualifies another noun ("what is the government position")
            kind = "who"
    if kind is None and len(low) > 2 and low[0] == "what" and low[1] in lex.phrase_ends:
        # "What did it cost?": the amount word ends the question; "What did the survey cost in
        # all?": it follows the subject (a word, not an article) as its verb, ending its clause
        # ("What will the grant pay for?" asks what it funds, not how much)
        for i in range(2, len(low)):
            nxt = low[i + 1] if i + 1 < len(low) else None
            if lex.kind_nouns.get(low[i]) == "how_much" and (
                nxt is None
                or (low[i - 1] not in lex.stopwords and nxt in lex.phrase_ends and nxt != "for")
            ):
                kind = "how_much"
                break
    return kind


def _is_someone_noun(word: str, lex: Lexicon) -> bool:
    """A body or a role word, in the singular or the plural ("firms", "ministers")."""
    return (
        word in lex.bodies or word in lex.titles or stem(word) in _stems_of(lex.bodies | lex.titles)
    )


@functools.lru_cache(maxsize=8)
def _stems_of(words: frozenset[str]) -> frozenset[str]:
    return frozenset(stem(w) for w in words)
