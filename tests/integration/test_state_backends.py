"""The state beside the vectors (manifest, audit log, assistant threads, the ingest lock, schema
versions) behaves the same on SQLite and on a real PostgreSQL server: every test here runs on
both (the ``state_db`` fixture). Feedback and event claims: tests/unit/test_feedback.py."""

from __future__ import annotations

import io
import json
import threading

import pytest

from accord.access.audiences import Audience
from accord.access.audit import AuditLog, Origin
from accord.db import BusyError, open_database
from accord.errors import ConfigError
from accord.models import Answer, Chunk, Citation, Document
from bot.assistant_threads import AssistantThreads
from ingest.manifest import Manifest


def _doc(source: str, text: str, **kw) -> tuple[Document, list[Chunk]]:
    doc = Document(
        source=source,
        text=text,
        sha256=f"sha-{source}",
        title=f"Title {source}",
        doc_type="mou",
        date="2023-11-14",
        parties=["Aldoria", "Meridia"],
        marking="OFFICIAL",
        page_starts=[0],
        caveats=["AUSTEO"],
        marking_rank=1,
        **kw,
    )
    half = len(text) // 2
    chunks = [
        Chunk(
            id=f"{source}#{i}",
            source=source,
            text=text[a:b],
            char_start=a,
            char_end=b,
            ordinal=i,
            page=1,
        )
        for i, (a, b) in enumerate(((0, half), (half, len(text))))
    ]
    return doc, chunks


def test_the_manifest_keeps_documents_chunks_roots_and_runs(state_db):
    m = Manifest(state_db("manifest.sqlite"))
    assert m.generation() == 0 and m.records() == {}
    text = "The Parties agreed\x00 to meet twice a year. Signed at Port Aldric."
    doc, chunks = _doc("a/mou.txt", text)
    m.mark_pending(doc.source, "fp1", doc.sha256, root="/docs")
    assert m.records()[doc.source].status == "pending"
    assert m.document(doc.source) is None  # not done: never served
    m.mark_done(doc, "fp1", chunks, [c.text for c in chunks], root="/docs")
    assert m.generation() == 1
    rec = m.records()[doc.source]
    assert (rec.status, rec.fingerprint, rec.root, rec.chunk_ids) == (
        "done",
        "fp1",
        "/docs",
        [c.id for c in chunks],
    )
    back = m.document(doc.source)
    assert back is not None and len(back.text) == len(text)  # offsets hold (NUL kept in place)
    assert back.text.replace("\x00", "\ufffd") == text.replace("\x00", "\ufffd")
    assert (back.parties, back.caveats, back.marking, back.date) == (
        ["Aldoria", "Meridia"],
        ["AUSTEO"],
        "OFFICIAL",
        "2023-11-14",
    )
    assert m.access(doc.source) == ("OFFICIAL", ["AUSTEO"])
    assert [cid for cid, _, _ in m.iter_chunks()] == [c.id for c in chunks]
    assert m.chunk_count() == 2 and m.chunk_ids() == {c.id for c in chunks}

    # written again (a changed file): replaced, not duplicated
    doc2, chunks2 = _doc("a/mou.txt", "The Parties agreed to meet once a year.")
    m.mark_done(doc2, "fp2", chunks2[:1], [chunks2[0].text], root="/docs")
    assert m.chunk_count() == 1 and m.generation() == 2
    other, other_chunks = _doc("b.txt", "Minutes of the second meeting.")
    m.mark_done(other, "fp3", other_chunks, [c.text for c in other_chunks])
    assert m.sources_in("/docs") == ["a/mou.txt"] and m.sources_in(None) == ["b.txt"]
    m.note_sync("/docs", {"added": 1})
    roots = {r["root"]: r for r in m.roots()}
    assert roots["/docs"]["documents"] == 1 and roots["/docs"]["summary"] == {"added": 1}
    assert roots[None]["documents"] == 1 and roots[None]["chunks"] == 2
    assert m.document_stats() == [("mou", "OFFICIAL", 2, 3)]

    m.set_state("marking_rules", "d1")
    m.set_state("marking_rules", "d2")
    assert m.get_state("marking_rules") == "d2" and m.get_state("missing") is None
    m.record_run(1.0, "/docs", "model", {"added": 1}, [{"source": "x", "reason": "bad"}])
    m.record_run(2.0, "/docs", "model", {"added": 0}, [])
    assert m.last_run()["started"] == 2.0 and m.last_run()["summary"] == {"added": 0}

    m.remove("a/mou.txt")
    assert "a/mou.txt" not in m.records() and m.generation() == 4
    # another process (a replica, or the ingest job) sees the same state
    seen = Manifest(state_db("manifest.sqlite"))
    assert seen.generation() == 4 and list(seen.records()) == ["b.txt"]
    m.clear()
    assert seen.records() == {} and seen.chunk_count() == 0


def test_a_failed_transaction_leaves_nothing_behind(state_db):
    m = Manifest(state_db("manifest.sqlite"))
    doc, chunks = _doc("a.txt", "One sentence. Another sentence.")
    with pytest.raises(ValueError):  # lexical texts out of step with chunks: refused midway
        m.mark_done(doc, "fp", chunks, ["only one"])
    assert m.records() == {} and m.chunk_count() == 0 and m.generation() == 0


def test_one_ingest_at_a_time_across_processes(state_db):
    first = Manifest(state_db("manifest.sqlite"))
    second = Manifest(state_db("manifest.sqlite"))  # another process's connection
    with first.writing():
        with pytest.raises(BusyError, match="another ingest is writing"):
            with second.writing():
                pass
    with second.writing():  # released when the first finished
        pass


def test_a_database_from_a_newer_accord_is_refused(state_db):
    db = state_db("manifest.sqlite")
    Manifest(db)
    db.execute("UPDATE accord_schema SET version = 99 WHERE component = 'manifest'")
    with pytest.raises(ConfigError, match="schema version 99, written by a newer Accord"):
        Manifest(state_db("manifest.sqlite"))
    versions = dict(db.all("SELECT component, version FROM accord_schema"))
    assert versions["manifest"] == 99


def _answer() -> Answer:
    cite = Citation(
        n=1,
        source="mou.pdf",
        title="MoU",
        doc_type="mou",
        date="2023-11-14",
        page=2,
        section=None,
        chunk_id="mou.pdf#1",
        quote="Signed.",
        char_start=0,
        char_end=7,
        content_hash="h",
        score=0.9,
        marking="SECRET",
        caveats=["AUSTEO"],
    )
    return Answer(
        question="Who signed? token xoxb-123456789-abcdefgh",
        text="It was signed [1].",
        refused=False,
        citations=[cite],
        latency_ms=12.34,
    )


def test_the_audit_log_is_append_only_on_both_engines(state_db):
    log = AuditLog(state_db("audit.sqlite"))
    aud = Audience("SECRET", frozenset({"AUSTEO"}), reason="channel policy")
    first = log.record_answer(_answer(), aud, Origin("slack", "U1", "C1"), model="m")
    second = log.record_event(
        "share_refused",
        Origin("slack", "U2", "D1"),
        aud,
        None,
        [{"source": "mou.pdf"}],
        note="not cleared",
    )
    assert second > first > 0
    rows = list(log.rows())
    assert [r["kind"] for r in rows] == ["answer", "share_refused"]
    assert rows[0]["user"] == "U1" and rows[0]["caveats"] == ["AUSTEO"]
    assert "xoxb-" not in rows[0]["question"] and rows[0]["refused"] is False
    assert rows[0]["cited"][0]["marking"] == "SECRET" and rows[0]["latency_ms"] == 12.3
    out = io.StringIO()
    assert log.export(out, "jsonl") == 2
    assert json.loads(out.getvalue().splitlines()[1])["note"] == "not cleared"
    with pytest.raises(Exception, match="append-only"):
        log._db.execute("UPDATE audit SET question = 'rewritten'")
    assert [r["question"] for r in AuditLog(state_db("audit.sqlite")).rows()] == [
        rows[0]["question"],
        None,
    ]


def test_appends_from_many_threads_are_all_kept(state_db):
    log = AuditLog(state_db("audit.sqlite"))
    aud = Audience("OFFICIAL", frozenset())

    def ask(i: int) -> None:
        for _ in range(20):
            log.record_answer(_answer(), aud, Origin("api", f"U{i}"))

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = [r["id"] for r in log.rows()]
    assert len(ids) == 100 and len(set(ids)) == 100


def test_assistant_threads_are_shared(state_db):
    a = AssistantThreads(state_db("assistant.sqlite"))
    b = AssistantThreads(state_db("assistant.sqlite"))
    a.add("D1", "1.0", "U1")
    a.add("D1", "1.0", "U1")  # again is harmless
    assert b.known("D1", "1.0") and not b.known("D1", "2.0") and not b.known(None, "1.0")


def test_a_database_url_that_is_not_postgresql_is_refused_naming_it(tmp_path):
    with pytest.raises(ConfigError, match="mysql://u:\\*\\*\\*@h/db.*not a postgresql:// URL"):
        open_database("mysql://u:secret@h/db", tmp_path / "x.sqlite")
    with pytest.raises(
        ConfigError, match="cannot reach the database at postgresql://u:\\*\\*\\*@127.0.0.1:1/db"
    ):
        open_database("postgresql://u:secret@127.0.0.1:1/db", None)


def test_each_replica_rebuilds_its_own_lexical_index_answering_from_the_old_meanwhile(
    state_db, tmp_path
):
    from vectorstore.lexical import LexicalCache, LexicalIndex

    writer = Manifest(state_db("manifest.sqlite"))
    doc, chunks = _doc("a.txt", "The liaison office is located in Port Aldric. It opens daily.")
    writer.mark_done(doc, "fp", chunks, [c.text for c in chunks])
    # a replica: its own data dir, the shared manifest (the same SQLite file, or PostgreSQL)
    replica = LexicalCache(
        tmp_path / "replica" / "lexical.pkl", Manifest(state_db("manifest.sqlite"))
    )
    first = replica()  # no index yet: built before answering
    assert first.generation == 1 and len(first) == 2
    saved = tmp_path / "replica" / "lexical.pkl"  # its own copy, in its own dir, stamped
    assert saved.exists() and LexicalIndex.saved_generation(saved) == 1

    new, new_chunks = _doc("b.txt", "The joint committee meets in Meridia City each March.")
    writer.mark_done(new, "fp", new_chunks, [c.text for c in new_chunks])  # a sync elsewhere
    assert replica() is first  # answers from the old index while the new one is built
    replica.wait(60)
    current = replica()
    assert current.generation == 2 and len(current) == 4
    assert any("Meridia City" in t for t in current.texts)
    assert LexicalIndex.saved_generation(saved) == 2
    saved.with_name("lexical.pkl.stamp").write_text("1 2\n")  # a stamp of another format
    assert LexicalIndex.saved_generation(saved) is None


def test_a_replica_reconnects_after_the_database_dropped_its_connection(state_db):
    if state_db.dialect != "postgresql":
        pytest.skip("a SQLite file has no connection to lose")
    m = Manifest(state_db("manifest.sqlite"))
    admin = state_db("admin")
    admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> "
        "pg_backend_pid() AND datname = current_database()"
    )
    assert m.generation() == 0  # answered on a new connection
    with m.writing():  # a lock is held: a lost connection would lose it, so it is an error
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> "
            "pg_backend_pid() AND datname = current_database()"
        )
        import psycopg

        with pytest.raises(psycopg.OperationalError):
            m.generation()


def test_a_second_ingest_is_refused_while_one_runs_naming_why(state_db, tmp_path):
    from typer.testing import CliRunner

    from accord.cli import app

    holder = Manifest(state_db("manifest.sqlite"))  # an ingest running elsewhere
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("The Parties met in Port Aldric on 3 June 2025.")
    env = {
        "ACCORD_DATA_DIR": str(tmp_path),
        "ACCORD_DATABASE_URL": state_db.url or "",
        "ACCORD_CLEARANCE": "OFFICIAL",
    }
    with holder.writing():
        res = CliRunner().invoke(app, ["ingest", str(docs)], env=env)
    said = res.output + (res.stderr if res.stderr_bytes is not None else "")
    assert res.exit_code != 0 and "another ingest is writing to this index" in said, said
    assert holder.records() == {}  # nothing written
