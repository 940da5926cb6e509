"""How the bot opens its small SQLite files under the data dir (event claims, assistant threads):
shared by the worker threads (one connection under the caller's lock), autocommit, and WAL so
that replicas sharing the data dir read while another writes."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def connect(path: Path | None) -> sqlite3.Connection:
    """An autocommit connection to ``path`` (its folder made if missing; WAL journal), or to a
    private in-memory database when ``path`` is None."""
    target = ":memory:"
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        target = str(path)
    db = sqlite3.connect(target, check_same_thread=False, timeout=30, isolation_level=None)
    if path is not None:
        db.execute("PRAGMA journal_mode=WAL")
    return db
