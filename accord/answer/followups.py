"""Follow-up questions in a thread, answered without an LLM: what is searched for them."""

from __future__ import annotations

from accord.language.lexicon import lexicon
from accord.language.text import words


def condense_plain(question: str, history: list[str]) -> str:
    """Without an LLM, a follow-up ("and who signed it?") is searched with the thread's last
    question, so its subject carries over. A self-contained question is left alone."""
    if not history:
        return question
    lex = lexicon()
    short = len(question.split()) <= 8
    opener = question.lower().startswith(tuple(o + " " for o in lex.followup_openers))
    if short or opener or any(w.lower() in lex.pronouns for w in words(question)):
        return f"{history[-1]} {question}"
    return question
