"""The one filter predicate: does a chunk pass a question's filters and its audience?

``passes(filters, rules, meta)`` is the rule; the dense search applies it to every hit, the
lexical index to every row (cached per filter set), and ``vectorstore.retrieval.chroma_where``
translates the same filters for Chroma's own filtered search, whose hits are checked here again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accord.access.audiences import chunk_visible
from accord.access.markings import Rules
from accord.language.text import party_key
from accord.models import Filters


def passes(filters: Filters | None, rules: Rules, meta: Mapping[str, Any]) -> bool:
    """Whether a chunk with metadata ``meta`` passes ``filters`` (type, dates, parties,
    markings) and may be seen by ``filters.audience``. No audience: nothing passes."""
    if filters is None or filters.audience is None:
        return False
    if not chunk_visible(rules, filters.audience, meta):
        return False
    if filters.doc_types and meta.get("doc_type") not in filters.doc_types:
        return False
    date = int(meta.get("date_int", 0) or 0)
    if filters.since and date < int(filters.since.replace("-", "")):
        return False
    if filters.until and not (0 < date <= int(filters.until.replace("-", ""))):
        return False
    if filters.markings and str(meta.get("marking", "")).upper() not in {
        m.upper() for m in filters.markings
    }:
        return False
    if filters.parties and not any(meta.get(party_key(p)) for p in filters.parties):
        return False
    return True


def signature(filters: Filters) -> tuple:
    """A hashable key of ``filters`` (for caching what passes)."""
    a = filters.audience
    return (
        tuple(filters.doc_types),
        filters.since,
        filters.until,
        tuple(filters.parties),
        tuple(filters.markings),
        (a.clearance, tuple(sorted(a.caveats))) if a is not None else None,
    )
