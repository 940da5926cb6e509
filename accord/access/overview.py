"""What the index holds, as one audience may see it: document counts by type, the last sync,
the titles that come up most often, and the audience's clearance in words.

Front ends show this where a reader asks "what can I ask about?" (the Slack App Home tab, the
assistant's status line and suggested prompts). Counts and titles are of the documents the
audience may see, never of the whole index: a title is information too, and a document the
audience may not read is not mentioned, not even counted. A document whose caveats were never
recorded counts as not visible (fail closed, as ``Manifest.access`` does).

Typical use::

    cat = Catalogue(qa.documents, settings.rules())
    view = cat.overview(audience)
    print(f"Searching {view.total:,} documents")
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from accord.access.audiences import Audience, can_see
from accord.access.markings import Rules


@dataclass(frozen=True)
class TitleCount:
    """A document title (as first seen), how many visible documents carry it, and the type and
    date of its most recent one."""

    title: str
    count: int
    doc_type: str
    date: str | None


@dataclass(frozen=True)
class IndexOverview:
    """The index as one audience sees it."""

    total: int  # documents the audience may see
    indexed: int  # documents in the index
    by_type: dict[str, int] = field(default_factory=dict)  # visible documents per doc type
    last_sync: float | None = None  # when the index last changed or was synced (epoch s)
    titles: tuple[TitleCount, ...] = ()  # most frequent first, then most recent


class Catalogue:
    """Reads the index's document list (``documents.catalogue()``) once per index generation
    and answers overviews for any audience from it. Thread-safe.

    ``documents`` is the sync manifest (``ingest.manifest.Manifest``) or anything with
    ``catalogue()``, ``generation()`` and ``last_run()``.
    """

    def __init__(self, documents: Any, rules: Rules) -> None:
        self.documents = documents
        self.rules = rules
        self._lock = threading.Lock()
        self._cached: tuple[int, list[dict[str, Any]], float | None] | None = None

    def _rows(self) -> tuple[list[dict[str, Any]], float | None]:
        if self.documents is None:
            return [], None
        generation = self.documents.generation()
        with self._lock:
            if self._cached is not None and self._cached[0] == generation:
                return self._cached[1], self._cached[2]
        rows = self.documents.catalogue()
        lock = getattr(self.documents, "lock", None)
        if lock is not None:
            with lock:
                last = self.documents.last_run()
        else:
            last = self.documents.last_run()
        # A sync that did not record its run (the syncer called directly) still left the time
        # each document was indexed.
        times = [float(r["indexed_at"]) for r in rows if r.get("indexed_at")]
        if last and last.get("finished"):
            times.append(float(last["finished"]))
        finished = max(times) if times else None
        with self._lock:
            self._cached = (generation, rows, finished)
        return rows, finished

    def overview(self, audience: Audience, top_titles: int = 10) -> IndexOverview:
        """Counts, the last sync and the ``top_titles`` most frequent titles of the documents
        ``audience`` may see."""
        rows, last_sync = self._rows()
        seen = [
            r
            for r in rows
            if r["caveats"] is not None
            and can_see(self.rules, audience, r["marking"], r["caveats"])
        ]
        by_type = Counter(r["doc_type"] for r in seen)
        return IndexOverview(
            total=len(seen),
            indexed=len(rows),
            by_type=dict(sorted(by_type.items(), key=lambda kv: (-kv[1], kv[0]))),
            last_sync=last_sync,
            titles=tuple(frequent_titles(seen, top_titles)),
        )


def frequent_titles(rows: list[dict[str, Any]], n: int) -> list[TitleCount]:
    """The ``n`` titles carried by most documents in ``rows`` (compared without case and extra
    spaces), ties broken by the most recent document, then alphabetically. Untitled documents
    are left out."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        title = " ".join((r.get("title") or "").split())
        if title:
            groups.setdefault(title.casefold(), []).append({**r, "title": title})
    counted = []
    for docs in groups.values():
        latest = max(docs, key=lambda d: d.get("date") or "")
        counted.append(
            TitleCount(
                docs[0]["title"], len(docs), latest.get("doc_type") or "other", latest.get("date")
            )
        )
    counted.sort(key=lambda t: t.title.casefold())
    counted.sort(key=lambda t: t.date or "", reverse=True)
    counted.sort(key=lambda t: t.count, reverse=True)
    return counted[:n]


def clearance_in_words(rules: Rules, audience: Audience) -> str:
    """One sentence saying what ``audience`` may read, e.g. "You may read documents marked up to
    RESTRICTED (UNMARKED, OFFICIAL, RESTRICTED), and those caveated AUSTEO that are within it."""
    rank = rules.rank(audience.clearance)
    levels = [lv for lv in rules.ladder if rules.rank(lv) <= rank]
    text = f"You may read documents marked up to {audience.clearance} ({', '.join(levels)})."
    if rank >= rules.rank(rules.top):
        text = f"You may read documents at every marking, up to {audience.clearance}."
    if audience.caveats:
        text += (
            " Of the documents carrying a caveat, you may read those caveated "
            f"{', '.join(sorted(audience.caveats))}."
        )
    else:
        text += " You hold no caveats, so documents carrying one are not shown to you."
    return text
