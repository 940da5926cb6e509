"""Each Slack event is answered once, however often it arrives.

Slack retries an event it thinks timed out (with ``X-Slack-Retry-Num``) and may deliver one
event twice; a mention in a channel also arrives twice, as ``app_mention`` and as ``message``.
``Claims`` records keys (an event id, or a message's channel and ts) and says whether a key is new.
Claims live in SQLite under the data dir (replicas sharing that folder answer once), or in the
shared PostgreSQL database of ``ACCORD_DATABASE_URL`` (replicas on different hosts answer once);
they expire after ``ttl`` seconds (Slack stops retrying after about an hour).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from slack_bolt import BoltResponse

from accord.db import Database, connect_sqlite

log = logging.getLogger(__name__)
DB_NAME = "slack_events.sqlite"


class Claims:
    """A set of keys with expiry: ``claim(key)`` is True for the first caller only."""

    def __init__(self, target: Path | Database | None = None, ttl: float = 3 * 3600) -> None:
        self.ttl = ttl
        self._db = target if isinstance(target, Database) else connect_sqlite(target)
        self._lock = self._db.lock
        self._db.migrate(
            "claims", [("CREATE TABLE IF NOT EXISTS claims (key TEXT PRIMARY KEY, at {real})",)]
        )
        self._last_purge = 0.0

    def claim(self, key: str) -> bool:
        """Return True if ``key`` was not claimed within ``ttl`` (and claim it now)."""
        now = time.time()
        with self._lock:
            if now - self._last_purge > 60:
                self._db.execute("DELETE FROM claims WHERE at < ?", (now - self.ttl,))
                self._last_purge = now
            cur = self._db.execute(
                "INSERT INTO claims (key, at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                (key, now),
            )
            if cur.rowcount == 1:
                return True
            # claimed before: new again only if that claim has expired
            cur = self._db.execute(
                "UPDATE claims SET at = ? WHERE key = ? AND at < ?", (now, key, now - self.ttl)
            )
            return cur.rowcount == 1

    def close(self) -> None:
        with self._lock:
            self._db.close()


def message_key(channel: str | None, ts: str | None) -> str:
    """The claim key of one Slack message, shared by its app_mention and message events."""
    return f"msg:{channel}:{ts}"


def event_dedupe_middleware(claims: Claims) -> Any:
    """A bolt global middleware: acknowledge a repeated Events API delivery and stop there.

    A retry whose event id was never seen (the first delivery was lost) is processed normally.
    """

    def dedupe_events(body: dict[str, Any], request: Any, next: Any) -> Any:  # noqa: A002
        event_id = body.get("event_id") if isinstance(body, dict) else None
        if body.get("type") == "event_callback" and event_id:
            retry = (request.headers.get("x-slack-retry-num") or [None])[0]
            if not claims.claim(f"event:{event_id}"):
                log.info(
                    "duplicate delivery of %s (retry %s) acknowledged, not processed",
                    event_id,
                    retry,
                )
                return BoltResponse(status=200, body="")
        return next()

    return dedupe_events
