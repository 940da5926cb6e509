"""Where Accord keeps its state: one small data-access layer over SQLite or PostgreSQL.

The manifest, the audit log, the bot's answers and feedback, its event claims and assistant
threads are each written through a :class:`Database`. By default each is a SQLite file under
``ACCORD_DATA_DIR`` (one host). With ``ACCORD_DATABASE_URL=postgresql://...`` they all live in
one PostgreSQL database, so bot replicas on different hosts share them (SQLite over a network
file system is not safe).

The SQL is written once, in the subset both engines speak (``?`` placeholders, ``ON CONFLICT``,
``RETURNING``); only table definitions differ, through the ``{serial}`` and ``{real}`` slots of a
migration's statements. Each store's schema is a numbered list of migrations recorded in
``accord_schema``: a database written by a newer Accord is refused rather than misread.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from accord.errors import ConfigError

# A migration step: SQL statements (run in order), or a function of the database for steps that
# depend on what is there (columns an old SQLite file lacks).
Step = Sequence[str] | Callable[["Database"], None]

_DDL = {
    "sqlite": {"serial": "INTEGER PRIMARY KEY AUTOINCREMENT", "real": "REAL"},
    "postgresql": {"serial": "BIGSERIAL PRIMARY KEY", "real": "DOUBLE PRECISION"},
}
_PLACEHOLDER = re.compile(r"'[^']*'|\?")


class BusyError(ConfigError):
    """Another process holds a lock this one needs (two ingests at once)."""


def _pg_sql(sql: str) -> str:
    """``?`` placeholders as psycopg's ``%s`` (quoted strings left alone; ``%`` escaped)."""
    sql = sql.replace("%", "%%")
    return _PLACEHOLDER.sub(lambda m: "%s" if m.group(0) == "?" else m.group(0), sql)


def _pg_value(v: Any) -> Any:
    # PostgreSQL's text cannot hold NUL; U+FFFD keeps every character offset where it was.
    return v.replace("\x00", "\ufffd") if isinstance(v, str) else v


def _lock_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class Database:
    """One connection, shared by the process's threads under a lock; autocommit outside
    :meth:`transaction`."""

    def __init__(
        self,
        conn: Any,
        dialect: str,
        where: str,
        path: Path | None = None,
        reconnect: Callable[[], Any] | None = None,
    ) -> None:
        self.conn = conn
        self._reconnect = reconnect  # PostgreSQL: a new connection after the server went away
        self.dialect = dialect
        self.where = where  # for messages: the file, or the server without its password
        self.path = path
        self.lock = threading.RLock()
        self._depth = 0
        self._held: dict[str, Any] = {}

    # --- statements ----------------------------------------------------------------------------
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement; returns a cursor (``fetchone``, ``fetchall``, ``rowcount``)."""
        with self.lock:
            if self.dialect == "sqlite":
                return self.conn.execute(sql, tuple(params))
            args = (sql,) if not params else (_pg_sql(sql), [_pg_value(p) for p in params])
            try:
                return self.conn.execute(*args)
            except Exception:
                # A server restart or a dropped connection: outside a transaction, and with no
                # lock that would silently be lost, connect again and retry once.
                if not (
                    self.conn.closed and self._reconnect and not self._depth and not self._held
                ):
                    raise
                self.conn = self._reconnect()
                return self.conn.execute(*args)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self.lock:
            if self.dialect == "sqlite":
                self.conn.executemany(sql, rows)
                return
            with self.conn.cursor() as cur:
                cur.executemany(_pg_sql(sql), [[_pg_value(v) for v in r] for r in rows])

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.lock:
            return [tuple(r) for r in self.execute(sql, params).fetchall()]

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        with self.lock:
            row = self.execute(sql, params).fetchone()
        return tuple(row) if row is not None else None

    def insert(self, sql: str, params: Sequence[Any]) -> int:
        """Run an INSERT written with ``RETURNING id``; returns the new row's id."""
        row = self.one(sql, params)
        return int(row[0]) if row else 0

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Database]:
        """All statements in the block commit together or not at all (nested blocks join the
        outer one); other threads of the process wait until it ends."""
        with self.lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                return
            self._depth = 1
            try:
                if self.dialect == "sqlite":
                    self.conn.execute("BEGIN IMMEDIATE")
                    try:
                        yield self
                    except BaseException:
                        self.conn.execute("ROLLBACK")
                        raise
                    self.conn.execute("COMMIT")
                else:
                    with self.conn.transaction():
                        yield self
            finally:
                self._depth = 0

    # --- schema --------------------------------------------------------------------------------
    def migrate(self, component: str, steps: Sequence[Step]) -> int:
        """Bring ``component``'s tables to the last of ``steps`` (each applied once, in order,
        in one transaction with its version). Returns the version. Raises ConfigError when the
        database records a later version than this code knows."""
        with self.transaction():
            if self.dialect == "postgresql":  # replicas starting together migrate one at a time
                self.execute("SELECT pg_advisory_xact_lock(?)", (_lock_key("accord_schema"),))
            self.execute(
                "CREATE TABLE IF NOT EXISTS accord_schema "
                "(component TEXT PRIMARY KEY, version INTEGER NOT NULL)"
            )
            row = self.one("SELECT version FROM accord_schema WHERE component = ?", (component,))
            have = int(row[0]) if row else 0
            if have > len(steps):
                raise ConfigError(
                    f"{self.where}: the {component} tables are at schema version {have}, written "
                    f"by a newer Accord (this one knows {len(steps)}); upgrade Accord"
                )
            for step in steps[have:]:
                if callable(step):
                    step(self)
                else:
                    for statement in step:
                        self.execute(statement.format(**_DDL[self.dialect]))
            if len(steps) != have:
                self.execute(
                    "INSERT INTO accord_schema (component, version) VALUES (?, ?) "
                    "ON CONFLICT (component) DO UPDATE SET version = excluded.version",
                    (component, len(steps)),
                )
        return len(steps)

    def columns(self, table: str) -> set[str]:
        if self.dialect == "sqlite":
            return {r[1] for r in self.all(f"PRAGMA table_info({table})")}
        return {
            r[0]
            for r in self.all(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = ? AND table_schema = current_schema()",
                (table,),
            )
        }

    # --- locks between processes ---------------------------------------------------------------
    def try_lock(self, name: str) -> bool:
        """Take the lock ``name`` for this process unless another holds it; released by
        :meth:`unlock` or when the process ends (however it ends)."""
        with self.lock:
            if name in self._held:
                return True
            if self.dialect == "postgresql":
                row = self.one("SELECT pg_try_advisory_lock(?)", (_lock_key(name),))
                if not (row and row[0]):
                    return False
                self._held[name] = True
                return True
            import fcntl

            assert self.path is not None
            fh = open(self.path.with_name(f"{self.path.name}.{name}.lock"), "a+")
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                fh.close()
                return False
            self._held[name] = fh
            return True

    def unlock(self, name: str) -> None:
        with self.lock:
            held = self._held.pop(name, None)
            if held is None:
                return
            if self.dialect == "postgresql":
                self.execute("SELECT pg_advisory_unlock(?)", (_lock_key(name),))
            else:
                held.close()

    def close(self) -> None:
        with self.lock:
            for name in list(self._held):
                self.unlock(name)
            self.conn.close()


def redacted(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def connect_sqlite(path: Path | None) -> Database:
    """A SQLite database at ``path`` (its folder made if missing; WAL journal), or a private
    in-memory one when ``path`` is None."""
    target = ":memory:"
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        target = str(path)
    conn = sqlite3.connect(target, check_same_thread=False, timeout=30, isolation_level=None)
    if path is not None:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
    return Database(conn, "sqlite", str(path or ":memory:"), path)


def connect_postgres(url: str) -> Database:
    """A connection to the PostgreSQL database at ``url`` (autocommit)."""
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - psycopg is a dependency
        raise ConfigError(
            "ACCORD_DATABASE_URL is set but psycopg is not installed: pip install 'psycopg[binary]'"
        ) from exc

    def connect() -> Any:
        try:
            return psycopg.connect(
                url, autocommit=True, connect_timeout=10, application_name=f"accord-{os.getpid()}"
            )
        except psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
            raise ConfigError(f"cannot reach the database at {redacted(url)}: {first}") from exc

    return Database(connect(), "postgresql", redacted(url), reconnect=connect)


def open_database(url: str | None, sqlite_path: Path | None) -> Database:
    """PostgreSQL when ``url`` is set (``postgresql://`` or ``postgres://``), else the SQLite
    file ``sqlite_path``. Raises ConfigError for any other kind of URL."""
    if not url:
        return connect_sqlite(sqlite_path)
    if not url.startswith(("postgresql://", "postgres://")):
        raise ConfigError(
            f"ACCORD_DATABASE_URL {redacted(url)!r} is not a postgresql:// URL "
            "(leave it unset for SQLite files under the data dir)"
        )
    return connect_postgres(url)
