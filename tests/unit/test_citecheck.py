"""The citation check on crafted answers: invented names, wrong dates, stray markers, a good one.

Pure functions over hand-made sources; the same check runs on real model output in
tests/integration/test_llm.py.
"""

from __future__ import annotations

import pytest

from accord.answer.llm.citecheck import CitationChecker, split_cited
from accord.answer.llm.facts import claimed_facts
from accord.models import RetrievedChunk

MOU = (
    "MEMORANDUM OF UNDERSTANDING\n"
    "The Republic of Meridia and the Kingdom of Sundara agree to cooperate against transborder "
    "crime. This Memorandum was signed in Port Aldric on 14 November 2023 by Mr Tomas Arvelo, "
    "Minister of Home Affairs of the Republic of Meridia, and Dato' Arun Wiratama, Minister of "
    "Home Affairs and Public Security of the Kingdom of Sundara."
)
MINUTES = (
    "The first meeting of the Joint Working Committee was held in Sarapura on 19 March 2024. "
    "The Committee agreed to set up a Cybercrime Liaison Desk in Port Aldric. "
    "The Committee will meet at least once a year."
)
PRESS = (
    "The two sides discussed the MoU's five-year term. "
    "The two delegations discussed cooperation against drug trafficking, terrorism and "
    "cybercrime. The second meeting will be held in Port Aldric in 2025."
)
QUESTION = "When was the MoU on transborder crime signed, and by whom?"


def chunk(cid: str, text: str, start: int, **meta: object) -> RetrievedChunk:
    md = {
        "source": f"{cid}.txt",
        "title": cid.title(),
        "doc_type": "other",
        "date": "",
        "char_start": start,
        "char_end": start + len(text),
        "sha256": "x" * 64,
    }
    md.update(meta)
    return RetrievedChunk(chunk_id=f"{cid}:0", text=text, score=1.0, metadata=md)


@pytest.fixture()
def sources() -> list[RetrievedChunk]:
    return [
        chunk(
            "mou",
            MOU,
            100,
            title="MoU on Transborder Crime",
            doc_type="mou",
            date="2023-11-14",
            page=5,
        ),
        chunk(
            "minutes",
            MINUTES,
            0,
            title="Minutes of the first JWC meeting",
            doc_type="minutes",
            date="2024-03-19",
        ),
        chunk("press", PRESS, 40, doc_type="statement", date="2024-03-20"),
    ]


def check(answer: str, sources: list[RetrievedChunk], question: str = QUESTION):
    checker = CitationChecker()
    result = checker.check(answer, sources, question)
    text, citations = checker.render(result, sources)
    return result, text, citations


def test_a_correct_answer_is_kept_with_verbatim_quotes(sources):
    answer = (
        "The MoU was signed in Port Aldric on 14 November 2023 [1]. It was signed by "
        "Tomas Arvelo and Arun Wiratama [1]."
    )
    result, text, citations = check(answer, sources)
    assert [s.status for s in result.sentences] == ["supported", "supported"]
    assert result.removed_share == 0.0
    assert text == (
        "The MoU was signed in Port Aldric on 14 November 2023 [1]. It was signed by "
        "Tomas Arvelo and Arun Wiratama [1]."
    )
    assert len(citations) == 1  # both sentences quote the same sentence of the MoU
    c = citations[0]
    assert c.quote.startswith("This Memorandum was signed in Port Aldric on 14 November 2023")
    assert MOU[c.char_start - 100 : c.char_end - 100] == c.quote  # the span points at the quote
    assert (c.source, c.page, c.date) == ("mou.txt", 5, "2023-11-14")


def test_an_invented_ministers_name_is_dropped_and_flagged(sources):
    answer = (
        "The MoU was signed on 14 November 2023 [1]. It was signed by Minister Rahul "
        "Kesavan of Meridia [1]."
    )
    result, text, citations = check(answer, sources)
    invented = result.sentences[1]
    assert invented.status == "unsupported"
    assert set(invented.unknown_facts) == {"rahul", "kesavan"}
    assert "not in any retrieved source" in invented.reasons[0]
    assert "Kesavan" not in text
    assert text == "The MoU was signed on 14 November 2023 [1]."
    assert result.removed_share == pytest.approx(0.5)
    assert len(citations) == 1


def test_a_wrong_date_is_dropped(sources):
    # 12 March 2023: March is in the minutes' date, 12 in no source at all.
    result, text, citations = check("The MoU was signed on 12 March 2023 [1].", sources)
    assert result.sentences[0].status == "unsupported"
    assert set(result.sentences[0].unknown_facts) == {"12", "12 march", "march 2023"}
    assert text == "" and citations == []


def test_a_date_from_another_document_is_not_supported_by_the_cited_one(sources):
    # Every figure exists somewhere (19 March 2024 is the meeting), but not in the MoU it cites,
    # and no other source says the MoU was signed then.
    result, text, _ = check("The MoU was signed in Port Aldric on 19 March 2024 [1].", sources)
    sent = result.sentences[0]
    assert sent.status == "unsupported" and not sent.unknown_facts
    assert "does not state" in sent.reasons[0] and "19" in sent.reasons[0]
    assert text == ""


def test_a_marker_pointing_at_no_source_is_removed(sources):
    answer = (
        "The Committee will meet at least once a year [7]. The MoU was signed in Port "
        "Aldric [1][7]."
    )
    result, text, citations = check(answer, sources, "How often does the Committee meet?")
    assert result.bad_markers == [7]
    first, second = result.sentences
    assert first.cited == [] and "[7] points at no source" in first.reasons[0]
    # The first sentence cited nothing valid; the minutes support it, so it is attributed there.
    assert first.status == "recited" and first.support[0].n == 2
    assert second.status == "supported" and second.cited == [1]
    assert "[7]" not in text
    assert text == (
        "The Committee will meet at least once a year [1]. The MoU was signed in Port Aldric [2]."
    )
    assert [c.source for c in citations] == ["minutes.txt", "mou.txt"]


def test_a_sentence_citing_the_wrong_source_is_recited_when_another_supports_it(sources):
    result, text, citations = check(
        "A Cybercrime Liaison Desk will be set up in Port Aldric [3].",
        sources,
        "What did the Committee agree?",
    )
    assert result.sentences[0].status == "recited"
    assert citations[0].source == "minutes.txt"
    assert citations[0].quote == (
        "The Committee agreed to set up a Cybercrime Liaison Desk in Port Aldric."
    )


def test_low_overlap_drift_is_dropped(sources):
    result, text, _ = check(
        "Both governments celebrated a historic friendship with cultural festivals and sport [1].",
        sources,
    )
    assert result.sentences[0].status == "unsupported"
    assert result.sentences[0].coverage < 0.6
    assert text == ""


def test_a_model_refusal_and_filler_are_recognised(sources):
    result, _, citations = check(
        "Sure! The sources do not answer this question.",
        sources,
        "What is the budget of the Liaison Desk?",
    )
    assert [s.status for s in result.sentences] == ["filler", "refusal"]
    assert result.refused and citations == []


def test_mark_mode_keeps_unsupported_sentences_visibly_unverified(sources):
    checker = CitationChecker(unsupported="mark")
    answer = "The MoU was signed on 14 November 2023 [1]. It was signed by Rahul Kesavan [1]."
    text, citations = checker.render(checker.check(answer, sources, QUESTION), sources)
    assert text.endswith("It was signed by Rahul Kesavan [unverified: no source supports this].")
    assert len(citations) == 1


def test_garbage_keeps_nothing(sources):
    result, text, citations = check("zxq vbn ]]]] 93847 ~~ qwopr [2] [[9", sources)
    assert not result.kept and text == "" and citations == []


def test_a_date_is_checked_as_a_whole_within_one_passage_window():
    text = (
        "The hotline was to be set up by 31 May 2024. "
        + "Other business was noted. " * 20
        + "The report is due in October 2024."
    )
    src = [chunk("minutes", text, 0)]
    result, _, _ = check(
        "The hotline was set up by 31 October 2024 [1].",
        src,
        "By what date was the hotline to be set up?",
    )
    assert result.sentences[0].status == "unsupported"  # 31, October and 2024 are far apart
    result, _, _ = check(
        "The hotline was to be set up by 31 May 2024 [1].",
        src,
        "By what date was the hotline to be set up?",
    )
    assert result.sentences[0].status == "supported"


def test_a_date_made_of_parts_that_are_all_present_is_still_wrong():
    src = [chunk("minutes", "Reports were due on 31 May 2024 and on 4 October 2024.", 0)]
    result, _, _ = check("Reports were due on 31 October 2024 [1].", src, "When were reports due?")
    assert result.sentences[0].status == "unsupported"
    assert "31 october" in result.sentences[0].unknown_facts


def test_table_rows_do_not_lend_each_other_facts():
    table = (
        "| 2 | Set up the secure 24-hour hotline | Director, Special Branch | 31 May 2024 |\n"
        "| 7 | Propose dates for the second meeting | Secretariat | 31 October 2024 |"
    )
    src = [chunk("minutes", table, 0)]
    q = "By what date was the hotline to be set up?"
    result, _, _ = check(
        "The secure 24-hour hotline was to be set up by 31 October 2024 [1].", src, q
    )
    assert result.sentences[0].status == "unsupported"
    result, _, citations = check(
        "The secure 24-hour hotline was to be set up by 31 May 2024 [1].", src, q
    )
    assert result.sentences[0].status == "supported"
    assert citations[0].quote.startswith("| 2 |")


def test_iso_dates_meet_written_dates(sources):
    result, _, _ = check("The MoU was signed on 2023-11-14 [1].", sources)
    assert result.sentences[0].status == "supported"


def test_split_cited_moves_leading_markers_to_the_sentence_before():
    pairs = split_cited("It was signed in Port Aldric. [1] The Committee meets yearly [2, 3].")
    assert pairs == [
        ("It was signed in Port Aldric.", [1]),
        ("The Committee meets yearly.", [2, 3]),
    ]


def test_claimed_facts_ignore_sentence_case_but_not_names_at_the_start():
    assert claimed_facts("Signed on 14th November 2023.") == {
        "n:14",
        "m:november",
        "n:2023",
        "d:14 november",
        "d:november 2023",
    }
    assert "w:tomas" in claimed_facts("Tomas Arvelo signed it.")
    assert "w:jwc" in claimed_facts("JWC meets yearly.")


def test_a_figure_must_count_the_same_thing_as_in_the_source(sources):
    # "two" (the two sides) and "year" (five-year term) are both in the press statement, "two
    # years" is not: a small model's "every two years" for "at least once a year".
    result, text, _ = check(
        "The Committee meets every two years [3].", sources, "How often does the Committee meet?"
    )
    assert result.sentences[0].status == "unsupported"
    assert result.sentences[0].unknown_facts == ["2 year"]
    result, _, _ = check("The MoU has a term of five years [3].", sources, "How long is the MoU?")
    assert result.sentences[0].status == "supported"


def test_figures_in_words_and_digits_meet():
    assert {"n:6", "u:6 month"} <= claimed_facts("Notice of 6 months is needed.")
    from accord.answer.llm.facts import available_facts

    assert {"n:6", "u:6 month"} <= available_facts("six (6) months' written notice")
