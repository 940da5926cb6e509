"""The record of threads opened in Slack's assistant container (SQLite under the data dir).

Slack delivers a message in an assistant thread as an ordinary DM message in a thread, exactly
like a follow-up in a DM thread the bot answered. What tells them apart is that Slack announced
the assistant thread first (``assistant_thread_started``): the bot records it here and answers
messages in recorded threads the assistant way (status, streaming, titles); any other DM thread
keeps the DM path. Replicas sharing ``ACCORD_DATA_DIR`` share the record.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from bot.sqlite_db import connect

DB_NAME = "slack_assistant.sqlite"


class AssistantThreads:
    """Assistant threads by (channel, thread_ts), with the user who opened each."""

    def __init__(self, path: Path | None = None) -> None:
        self._lock = threading.Lock()
        self._db = connect(path)
        self._db.execute("CREATE TABLE IF NOT EXISTS threads (channel TEXT, thread_ts TEXT, "
                         "user TEXT, started REAL, PRIMARY KEY (channel, thread_ts))")

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> AssistantThreads:
        return cls(Path(data_dir) / DB_NAME)

    def add(self, channel: str, thread_ts: str, user: str | None) -> None:
        """Record an assistant thread (again is harmless)."""
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO threads VALUES (?, ?, ?, ?)",
                             (channel, thread_ts, user, time.time()))

    def known(self, channel: str | None, thread_ts: str | None) -> bool:
        """Whether (channel, thread_ts) is an assistant thread Slack announced."""
        if not channel or not thread_ts:
            return False
        with self._lock:
            row = self._db.execute("SELECT 1 FROM threads WHERE channel = ? AND thread_ts = ?",
                                   (channel, thread_ts)).fetchone()
        return row is not None

    def close(self) -> None:
        with self._lock:
            self._db.close()
