"""The answer pipeline over the sample corpus: verbatim citations, refusals, filters, clearance."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from accord.access.audiences import Audience
from accord.errors import BadQuestion, EmptyIndex
from accord.models import Filters
from accord.runtime import Runtime
from tests.conftest import SAMPLES, SAMPLES_QA, make_settings

QUESTIONS = [json.loads(line) for line in SAMPLES_QA.read_text().splitlines() if line.strip()]
MARKER = re.compile(r"\s*\[(\d+)\]")


@pytest.fixture(scope="module")
def answers(sample_index):
    return [(q, sample_index.qa.answer(q["question"])) for q in QUESTIONS]


def test_every_quote_is_the_text_at_its_span(sample_index, answers):
    checked = 0
    for _, ans in answers:
        for c in ans.citations:
            doc = sample_index.manifest.document(c.source)
            assert doc is not None and doc.sha256 == c.content_hash
            assert doc.text[c.char_start : c.char_end] == c.quote, (c.source, c.quote)
            if c.page is not None:
                assert doc.page_at(c.char_start) == c.page
            checked += 1
    assert checked >= len(QUESTIONS) // 2


def test_every_extractive_sentence_is_a_cited_quote(answers):
    """An answer is its parts' leads, each a piece of its cited quote (reflowed; "…" where it
    leaves out the rest of the sentence) followed by its marker, and nothing else but part
    labels and the answerer's own plain notices."""
    from accord.answer.extractive import WEAK_LEAD
    from accord.language.text import reflow

    for _, ans in answers:
        if ans.refused:
            assert not ans.citations
            continue
        rest = ans.text
        quotes = {c.n: reflow(c.quote) for c in ans.citations}
        leads = sorted(
            ((ld["text"], ld["n"]) for p in ans.parts for ld in p.get("leads", [])),
            key=lambda x: -len(x[0]),
        )
        assert {n for _, n in leads} == set(quotes), (ans.parts, quotes)
        for text, n in leads:
            assert text.strip("\u2026") in quotes[n], (n, text, quotes[n])
            assert f"{text} [{n}]" in rest or f"{text} [{n}]" in ans.text, (n, text)
            rest = rest.replace(f"{text} [{n}]", " ")
        rest = re.sub(r"\([a-z]\)", " ", rest).replace(WEAK_LEAD, " ")
        rest = re.sub(r"\(the document is dated [\d-]+\)", " ", rest)
        rest = rest.replace("The indexed documents do not say.", " ")
        # notes on what is in force: "Article 9(2) of the instrument quoted in [1] was amended
        # by <title> of <date>: <quote> [n]" (an LLM answer's; the extractive one leads with it)
        rest = re.sub(
            r"Article [\w()]+ of the instrument quoted in \[\d+\] was amended by "
            r"[^\n]*? of \d{1,2} \w+ \d{4}:",
            " ",
            rest,
        )
        rest = re.sub(r"\[\d+\] is from an instrument that is [^\n]*?\.", " ", rest)
        # the text in force leading the text as signed: "<new> [n] (in force: Article 9(2) as
        # amended by <title> of <date>; the text as signed said: <old> [m])"
        rest = re.sub(
            r"\(in force: Article [\w()]+ as amended by [^\n]*? of \d{1,2} \w+ \d{4}; "
            r"the text as signed said:\s*\)",
            " ",
            rest,
        )
        rest = re.sub(r"[;\s]+", " ", rest)
        assert rest.strip() == "", rest
        assert {int(n) for n in MARKER.findall(ans.text)} == {c.n for c in ans.citations}


def test_sample_quality(answers):
    """The samples are a tuning set (the decision was fitted on them): these bars guard against
    regressions, they are not evidence of generalisation (evals/datasets/README.md)."""
    answerable = [(q, a) for q, a in answers if q.get("answerable", True)]
    unanswerable = [(q, a) for q, a in answers if not q.get("answerable", True)]
    hit5 = sum(any(r.source in q["sources"] for r in a.retrieved[:5]) for q, a in answerable)
    assert hit5 / len(answerable) >= 0.95
    refused = sum(a.refused for _, a in answerable)
    assert refused / len(answerable) <= 0.05
    # Answered questions cite one of their gold documents.
    answered = [(q, a) for q, a in answerable if not a.refused and not a.weak]
    wrong = [q["id"] for q, a in answered if not any(c.source in q["sources"] for c in a.citations)]
    assert len(wrong) <= len(answered) // 10
    declined = sum(a.refused or a.weak for _, a in unanswerable)
    assert declined / len(unanswerable) >= 0.7
    # A refusal lists the closest documents, and says what they lacked when it can.
    for _, a in unanswerable:
        if a.refused:
            assert a.related and a.text.startswith("The indexed documents do not answer")


def test_a_question_for_several_things_is_answered_by_their_enumeration(answers):
    """ "Which kinds of ... does it cover?" is answered by the provision that lists them, not by
    the one that says what is not covered: its first quote holds several expected answers."""
    from accord.answer.questions import parse

    listing = [
        (q, a)
        for q, a in answers
        if q.get("answerable", True) and [p.kind for p in parse(q["question"]).parts] == ["list"]
    ]
    assert listing
    for q, a in listing:
        assert not a.refused and a.citations, a.text
        first = a.citations[0].quote.lower()
        assert sum(x.lower() in first for x in q["answers"]) >= 2, (q["id"], first)


def test_clearance_keeps_marked_documents_out(sample_index):
    q = "What did the home ministers discuss about Viktor Saldanha's extradition?"
    open_ = sample_index.qa.answer(q, Filters(audience=Audience("TOP SECRET")))
    assert "record-of-conversation-2024-11.md" in {r.source for r in open_.retrieved}
    for level in ("OFFICIAL", "RESTRICTED"):
        ans = sample_index.qa.answer(q, Filters(audience=Audience(level)))
        seen = (
            {r.source for r in ans.retrieved}
            | {c.source for c in ans.citations}
            | {r.source for r in ans.related}
        )
        assert "record-of-conversation-2024-11.md" not in seen  # CONFIDENTIAL
        assert level == "RESTRICTED" or "jwc-minutes-2024-03.md" not in seen


@pytest.mark.parametrize(
    "filters",
    [
        Filters(audience=Audience("OFFICIAL")),
        Filters(audience=Audience("RESTRICTED")),
        Filters(doc_types=["statement"], audience=Audience("TOP SECRET")),
        Filters(since="2024-06-01", audience=Audience("CONFIDENTIAL")),
        Filters(parties=["Sundara"], audience=Audience("OFFICIAL")),
    ],
)
def test_dense_search_filtered_here_equals_chromas_filtered_search(sample_index, filters):
    from vectorstore.retrieval import chroma_where

    retriever, store = sample_index.qa.retriever, sample_index.store()
    where = chroma_where(filters, sample_index.settings.rules())
    for q in ("When was the MoU signed?", "Operation Clearwater", "online scams deadline"):
        qv = sample_index.embedder.embed_query(q)
        for fetch in (3, 5, 40):  # over-fetch kept, and too few kept so Chroma filters
            ours = [hit[0] for hit in retriever.dense(qv, fetch, filters)]
            chromas = [hit[0] for hit in store.query(qv, fetch, where)]
            assert ours == chromas, (q, fetch)


def test_filters_by_type_date_and_party(sample_index):
    qa = sample_index.qa
    got = qa.retrieve("cooperation against transborder crime", Filters(doc_types=["mou"]), k=20)
    assert got and {c.metadata["doc_type"] for c in got} == {"mou"}
    got = qa.retrieve("cooperation against transborder crime", Filters(since="2025-01-01"), k=20)
    assert got and all(c.metadata["date"] >= "2025-01-01" for c in got)
    got = qa.retrieve("cooperation", Filters(until="2023-12-31"), k=20)
    assert got and all("" < c.metadata["date"] <= "2023-12-31" for c in got)
    got = qa.retrieve("cooperation", Filters(parties=["Sundara"]), k=20)
    assert got
    assert qa.retrieve("cooperation", Filters(parties=["Atlantis"]), k=20) == []


@pytest.mark.parametrize(
    "question,needle",
    [
        ("", "empty"),
        ("   \n\t ", "empty"),
        ("x" * 20_000, "too long"),
        ("?!?... ---", "no words"),
    ],
)
def test_bad_questions_are_refused_with_a_reason(sample_index, question, needle):
    with pytest.raises(BadQuestion, match=needle):
        sample_index.qa.answer(question)


@pytest.mark.parametrize(
    "question",
    [
        "بيلا ممورندوم اين دتندتاڠني؟",  # Malay in Jawi
        "谅解备忘录是什么时候签署的？",  # Chinese
    ],
)
def test_other_scripts_get_an_answer_or_an_honest_refusal(sample_index, question):
    ans = sample_index.qa.answer(question)
    assert ans.refused or all(c.quote for c in ans.citations)


def test_empty_index_is_a_clear_error(tmp_path, embedder):
    rt = Runtime(make_settings(tmp_path / "data"), embedder=embedder)
    rt.store()
    with pytest.raises(EmptyIndex, match="accord ingest"):
        rt.qa.answer("When was the MoU signed?")


def run_ask(data_dir, *args):
    env = {**os.environ, "ACCORD_DATA_DIR": str(data_dir), "ACCORD_CLEARANCE": "TOP SECRET"}
    return subprocess.run(
        [sys.executable, "-m", "accord.cli", "ask", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_ask_cli_json_and_errors(sample_index, tmp_path):
    data = sample_index.settings.data_dir
    res = run_ask(data, "When was the MoU on transborder crime signed?", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert set(out) >= {"question", "answer", "refused", "citations", "retrieved", "latency_ms"}
    for c in out["citations"]:
        assert set(c) >= {
            "n",
            "source",
            "title",
            "doc_type",
            "date",
            "page",
            "section",
            "quote",
            "char_start",
            "char_end",
            "chunk_id",
            "score",
        }
    for bad, needle in (("", "empty"), ("?!", "no words")):
        res = run_ask(data, bad)
        assert res.returncode == 2 and needle in res.stderr and "Traceback" not in res.stderr
    res = run_ask(tmp_path / "nothing-here", "When was the MoU signed?")
    assert res.returncode == 2 and "accord ingest" in res.stderr
    assert "Traceback" not in res.stderr
    res = run_ask(data, "MoU", "--since", "last tuesday")
    assert res.returncode == 2 and "not a date" in res.stderr


def test_samples_folder_is_what_the_readme_ingests():
    docs = [p for p in SAMPLES.iterdir() if not p.name.endswith(".meta.yaml")]
    suffixes = sorted(p.suffix for p in docs)
    assert suffixes == sorted([".docx", ".html", ".md", ".md", ".pdf", ".txt"])


# Two phrasings of each kind of question: the decision rests on properties every question has
# (its kind, words, names), so both get the same verdict and the same document.
PARAPHRASES = [
    (
        "How many referrals had the Cybercrime Liaison Desk handled by November 2024?",
        "What was the number of referrals handled by the Cybercrime Liaison Desk by November 2024?",
    ),
    (
        "When was the MoU on transborder crime signed?",
        "On what date was the MoU on transborder crime signed?",
    ),
    (
        "Who signed the MoU on transborder crime for Sundara?",
        "By whom was the MoU on transborder crime signed for Sundara?",
    ),
    (
        "Where did the Joint Working Committee hold its first meeting?",
        "In which city did the JWC hold its first meeting?",
    ),
    (
        "What is the budget of Exercise Harbour Shield 2024?",
        "How much money was allocated to Exercise Harbour Shield 2024?",
    ),
    (
        "How many vessels took part in Exercise Harbour Shield 2026?",
        "What was the number of vessels in Exercise Harbour Shield 2026?",
    ),
]


@pytest.mark.parametrize("first,second", PARAPHRASES)
def test_paraphrases_get_the_same_decision(sample_index, first, second):
    a, b = sample_index.qa.answer(first), sample_index.qa.answer(second)
    verdicts = [[(p["kind"], p["verdict"]) for p in x.parts] for x in (a, b)]
    assert verdicts[0] == verdicts[1], (a.text, b.text)
