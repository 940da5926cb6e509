"""bot.feedback (answers and ratings, exported as JSONL/CSV) and bot.dedupe claims, each test run
against SQLite and PostgreSQL alike (the ``state_db`` fixture)."""

from __future__ import annotations

import csv
import io
import json
import threading
import time

import pytest

from accord.models import Answer, Citation, RetrievedSource
from bot.dedupe import Claims, message_key
from bot.feedback import DB_NAME, EXPORT_FIELDS, FeedbackStore


def make_answer(question: str = "Who signed the MoU?") -> Answer:
    cite = Citation(
        n=1,
        source="mou.pdf",
        title='MoU, "Transborder" Crime',
        doc_type="mou",
        date="2023-11-14",
        page=5,
        section=None,
        chunk_id="mou.pdf#12",
        quote="Signed at Port Aldric, by Tomas Arvelo.\nAnd Arun Wiratama.",
        char_start=100,
        char_end=160,
        content_hash="abc",
        score=0.8,
        marking="RESTRICTED",
    )
    return Answer(
        question=question,
        text="Tomas Arvelo and Arun Wiratama signed it [1].",
        refused=False,
        citations=[cite],
        notice="note",
        retrieved=[RetrievedSource("mou.pdf", 0.8, "MoU", "mou.pdf#12", 5)],
    )


def test_answers_round_trip_and_threads_remember_their_questions(state_db):
    store = FeedbackStore(state_db(DB_NAME))
    ans = make_answer()
    aid = store.record_answer(ans, "U1", "C1", thread_ts="100.1", ts="100.2")
    assert store.answer(aid) == ans
    assert store.answer("missing") is None
    store.record_answer(make_answer("and when?"), "U1", "C1", thread_ts="100.1")
    assert store.thread_questions("C1", "100.1") == ["Who signed the MoU?", "and when?"]
    assert store.answered_thread("C1", "100.1") and not store.answered_thread("C2", "100.1")
    store.close()
    reopened = FeedbackStore(state_db(DB_NAME))  # stored, not in memory
    assert reopened.thread_questions("C1", "100.1") == ["Who signed the MoU?", "and when?"]


def test_feedback_is_exported_as_jsonl_and_csv_with_its_answer(state_db):
    store = FeedbackStore(state_db(DB_NAME))
    aid = store.record_answer(make_answer(), "UASKER", "C1", thread_ts="1.0")
    store.add_feedback(aid, "helpful", "UA", "C1")
    store.add_feedback(aid, "wrong_source", "UB", "C1")
    with pytest.raises(ValueError, match="unknown rating"):
        store.add_feedback(aid, "meh", "UC", "C1")

    out = io.StringIO()
    assert store.export(out, "jsonl") == 2
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(r["user"], r["rating"]) for r in rows] == [("UA", "helpful"), ("UB", "wrong_source")]
    assert set(rows[0]) == set(EXPORT_FIELDS)
    assert rows[0]["question"] == "Who signed the MoU?" and rows[0]["asked_by"] == "UASKER"
    assert rows[0]["citations"][0]["quote"].startswith("Signed at Port Aldric")
    assert rows[0]["channel"] == "C1" and rows[0]["time"].endswith("+00:00")

    out = io.StringIO()
    assert store.export(out, "csv") == 2
    table = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["rating"] for r in table] == ["helpful", "wrong_source"]
    # quotes, commas and newlines in the citations survive the CSV round trip
    assert json.loads(table[1]["citations"]) == rows[1]["citations"]
    with pytest.raises(ValueError, match="unknown export format"):
        store.export(io.StringIO(), "xml")


def test_feedback_from_many_threads_is_all_kept(state_db):
    store = FeedbackStore(state_db(DB_NAME))
    aid = store.record_answer(make_answer(), "U", "C", None)

    def click(i: int) -> None:
        for j in range(25):
            store.add_feedback(aid, "not_helpful", f"U{i}-{j}", "C")

    threads = [threading.Thread(target=click, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(list(store.rows())) == 200


def test_claims_are_granted_once_shared_between_replicas_and_expire(state_db):
    a = Claims(state_db("events.sqlite"))
    b = Claims(state_db("events.sqlite"))  # another replica: the same data dir, or database
    key = message_key("C1", "1.0")
    assert a.claim(key) is True
    assert a.claim(key) is False and b.claim(key) is False
    assert b.claim(message_key("C1", "2.0")) is True

    short = Claims(state_db("short.sqlite"), ttl=0.05)
    assert short.claim("k") is True and short.claim("k") is False
    time.sleep(0.1)
    assert short.claim("k") is True  # Slack stopped retrying long ago: a new delivery
