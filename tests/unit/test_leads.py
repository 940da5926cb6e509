"""Leads (accord/answer/leads.py): the clause of a quote that holds the asked detail; reflowing;
and a sentence cut by a PDF page end quoted whole (accord/answer/extractive.py)."""

from __future__ import annotations

import numpy as np

from accord.answer.choice import Candidate, continued, own_signing
from accord.answer.extractive import ExtractiveAnswerer
from accord.answer.kinds import given_words
from accord.answer.leads import asks_agent, lead_of
from accord.language.lexicon import lexicon
from accord.language.text import reflow
from accord.models import Document, RetrievedChunk

DURATION = (
    "2. This MoU shall remain in force for a period of ten (10) years from the date of "
    "its entry into force and shall thereafter be automatically renewed for successive "
    "periods of five (5) years, unless either Party notifies the other in writing."
)
RECALLED = (
    "2.2 Ms Clara Benedek recalled that the Memorandum of Understanding on Cooperation "
    "in Preventing and Combating Transborder Crime had been signed at Port Aldric on 14 "
    "November 2023 by Mr Tomas Arvelo, Minister of Home Affairs of the Republic of "
    "Meridia, and Mr Arun Wiratama, Minister of Home Affairs and Public Security of the "
    "Kingdom of Sundara."
)


def lead(sentence: str, question: str, kind: str) -> str:
    found = lead_of(sentence, kind, given_words(question), lexicon(), agent=asks_agent(question))
    return found.text(sentence)


def test_a_period_is_led_by_its_clause_not_the_renewal_that_follows():
    text = lead(DURATION, "How long does the MoU remain in force?", "how_long")
    assert text.startswith("This MoU shall remain in force for a period of ten (10) years")
    assert "renewed" not in text and text.endswith("\u2026")


def test_a_long_clause_is_cut_to_the_words_around_the_date():
    text = lead(RECALLED, "When was the MoU signed?", "when")
    assert "14 November 2023" in text and text.startswith("\u2026")
    assert "Clara Benedek" not in text and len(text.split()) < 25


def test_by_whom_is_led_by_the_names_after_by():
    text = lead(RECALLED, "When was the MoU signed, and by whom?", "who")
    assert "Tomas Arvelo" in text and "Arun Wiratama" in text
    assert "Clara Benedek" not in text


def test_the_detail_near_the_question_words_leads():
    sentence = (
        "4.1 Ms Putri Anggraeni reported that the Anti-Narcotics Bureau had seized 1.4 "
        "tonnes of methamphetamine in the border province of Kalimara in 2023, an "
        "increase of 38 per cent over 2022."
    )
    text = lead(sentence, "How much methamphetamine was seized in Kalimara?", "how_much")
    assert "1.4 tonnes of methamphetamine" in text


def test_a_part_that_asks_for_no_detail_is_led_by_its_whole_sentence():
    found = lead_of(DURATION, "what", given_words("What does Article 9 say?"), lexicon())
    assert found.whole and found.text(DURATION) == DURATION


def test_a_detail_the_question_gives_does_not_lead():
    found = lead_of(
        "The MoU was signed in 2023 at Port Aldric.",
        "when",
        given_words("When in 2023 was it signed?"),
        lexicon(),
    )
    assert found.whole


def test_reflow_joins_lines_and_keeps_a_line_end_hyphen():
    assert (
        reflow("shall remain\nin force for the cross-\nborder   patrols")
        == "shall remain in force for the cross-border patrols"
    )


def test_a_wrapped_pdf_line_is_not_a_clause_but_a_signing_line_is():
    wrapped = (
        "The Parties shall exchange information and criminal intelligence on the matters\n"
        "listed in Article 2 through the focal points designated on 3 March 2024 by each."
    )
    assert "designated on 3 March 2024" in lead(wrapped, "When were they designated?", "when")
    block = (
        "DONE at Sarapura on 3 June 2025.\nFOR MERIDIA: (signed) Helena Marsh\n"
        "FOR SUNDARA: (signed) Arun Wiratama"
    )
    text = lead(block, "Who signed for Meridia?", "who")
    assert "Helena Marsh" in text and "Sarapura" not in text


PAGE_1 = (
    "Article 9\n2. This MoU shall remain in force for five (5) years and shall be renewed "
    "unless either Party gives notice at least six\nMoU on Transborder Crime - Page 4\n"
)
PAGE_2 = "(6) months before its expiry.\n3. Either Party may terminate this MoU.\n"


def _answerer(doc: Document) -> ExtractiveAnswerer:
    return ExtractiveAnswerer(
        embedder=None,
        idf=lambda t: 1.0,  # type: ignore[arg-type]
        document=lambda source: doc if source == doc.source else None,
    )


def _doc() -> Document:
    return Document(
        source="mou.pdf",
        sha256="x",
        title="MoU",
        doc_type="mou",
        date=None,
        text=PAGE_1 + PAGE_2,
        page_starts=[0, len(PAGE_1)],
    )


def test_a_sentence_cut_by_a_page_end_is_quoted_whole_over_the_running_foot():
    doc = _doc()
    start = PAGE_1.index("2. This")
    end = PAGE_1.index("six") + 3
    got = _answerer(doc)._over_page("mou.pdf", start, end)
    assert got is not None
    stop, quote = got
    assert quote == doc.text[start:stop] and quote.endswith("before its expiry.")
    assert "Page 4" in quote  # verbatim: the running foot stays in the quote


def test_a_sentence_that_ends_its_page_is_not_extended():
    doc = _doc()
    text = PAGE_1.replace("at least six\n", "at least six months.\n")
    doc = Document(
        source="mou.pdf",
        sha256="x",
        title="MoU",
        doc_type="mou",
        date=None,
        text=text + "Then a new sentence.\n",
        page_starts=[0, len(text)],
    )
    start = text.index("2. This")
    end = text.index("months.") + 7
    assert _answerer(doc)._over_page("mou.pdf", start, end) is None


def _passage(text: str, start: int = 100) -> RetrievedChunk:
    return RetrievedChunk(
        chunk_id="r#1",
        text=text,
        score=1.0,
        metadata={"source": "r.md", "char_start": start},
    )


def _quoted(text: str, sentence: str, start: int = 100) -> Candidate:
    at = start + text.index(sentence)
    return Candidate(0, at, at + len(sentence), sentence, x=np.zeros(1))


def test_the_sentences_that_lean_on_a_quote_continue_it():
    text = (
        "The Secretary raised the plan the envoy had brought. These set out a joint survey "
        "of the reef.\nThey also\nset out a meeting of officials. The talks then "
        "turned to trade."
    )
    first = "The Secretary raised the plan the envoy had brought."
    got = continued(_quoted(text, first), [_passage(text)], lexicon())
    assert got.sentence == text[: text.index(" The talks")]
    assert (got.start, got.end) == (100, 100 + len(got.sentence))  # a slice of the document


def test_a_quote_is_not_continued_by_a_sentence_on_its_own():
    text = "The Secretary raised the plan. The talks then turned to trade. It ended."
    first = "The Secretary raised the plan."
    c = _quoted(text, first)
    assert continued(c, [_passage(text)], lexicon()) is c


def test_a_signing_statement_is_the_documents_own_not_a_mention_of_another():
    from accord.language.quotable import signs

    assert signs("DONE at Lortan on 2 May 2021, in two originals.")
    assert signs("Signed at Varesh, on the 3rd of June 2020, in duplicate.")
    assert signs("FOR THE GOVERNMENT OF LORTANIA: (signed) Ana Bel, Minister")
    assert not signs("HAVING REGARD to the Agreement signed at Lortan on 2 May 2021;")
    assert not signs("The Ministers signed the Agreement at Lortan on 2 May 2021.")


def _titled(source: str, title: str) -> RetrievedChunk:
    return RetrievedChunk(
        chunk_id=f"{source}#0", text="", score=1.0, metadata={"source": source, "title": title}
    )


def test_when_an_instrument_was_signed_is_told_by_its_own_signing_statement():
    from accord.answer.questions import parse

    chunks = [_titled("p.html", "Protocol Amending the Agreement"), _titled("a.pdf", "Agreement")]
    mention = "HAVING REGARD to the Agreement signed at Lortan on 2 May 2021 (the Agreement)"
    own_protocol = "DONE at Varesh on 4 June 2024, in two originals."
    own_agreement = "DONE at Lortan on 2 May 2021, in two originals."

    def cands() -> list[Candidate]:
        return [
            Candidate(0, 0, 80, mention, x=np.zeros(1), p=0.99),
            Candidate(0, 500, 550, own_protocol, x=np.zeros(1), p=0.95),
            Candidate(1, 900, 950, own_agreement, x=np.zeros(1), p=0.90),
        ]

    part = parse("When was the protocol amending the agreement signed?").parts[0]
    cs = cands()
    assert own_signing(part, cs, chunks, cs[0]) is cs[1]
    part = parse("When was the agreement signed?").parts[0]
    cs = cands()
    assert own_signing(part, cs, chunks, cs[0]) is cs[2]
    # far less likely than the best: not taken
    cs = cands()
    cs[2].p = 0.5
    assert own_signing(part, cs, chunks, cs[0]) is None
    # a part that does not ask about signing is left alone
    part = parse("When did the ministers meet?").parts[0]
    cs = cands()
    assert own_signing(part, cs, chunks, cs[0]) is None


def test_a_detail_said_of_the_case_the_question_sets_aside_does_not_lead():
    from accord.answer.leads import contrasted, mentions

    sentence = (
        "An urgent permit shall be issued within five (5) days of the application, and any "
        "other permit within sixty (60) days of the application."
    )
    q = "How long does the office take to issue a non-urgent permit?"
    assert contrasted(q) == frozenset({"urgent"})
    got = lead_of(sentence, "how_long", given_words(q), lexicon(), contrast=contrasted(q))
    assert "sixty (60) days" in got.text(sentence) and "five" not in got.text(sentence)
    q = "How long does the office take to issue an urgent permit?"
    got = lead_of(sentence, "how_long", given_words(q), lexicon(), contrast=contrasted(q))
    assert "five (5) days" in got.text(sentence)
    assert mentions("In urgent cases the office may act at once.", frozenset({"urgent"}))
    assert not mentions("A non-urgent case waits its turn.", frozenset({"urgent"}))


def test_the_word_that_names_the_kind_asked_is_not_the_details_context():
    # "date" asks for a date: the date after "dated" is not nearer the question for it
    sentence = (
        "A note dated 3 May, sent by the embassy in Varesh, said that the Government of "
        "Lortania was agreeable to the signature of the fisheries accord at Varesh on 9 June "
        "1960."
    )
    text = lead(sentence, "What date did Lortania accept for the signature of the accord?", "when")
    assert "9 June 1960" in text and "3 May" not in text


def test_a_part_that_asks_for_a_year_is_led_by_the_year():
    sentence = (
        "As you know from our talk on 4 March, we have taken into account that by 1975 we "
        "might no longer be able to use the harbour."
    )
    text = lead(sentence, "By what year might they no longer be able to use the harbour?", "when")
    assert "1975" in text and "4 March" not in text


def test_details_that_kinds_find():
    from accord.answer.kinds import answer_spans

    lex = lexicon()
    assert "12 percentage points" in answer_spans("how_much", "It cut 12 percentage points.", lex)
    where = answer_spans("where", "They met in the capital and at 'Greenhill', his farm.", lex)
    assert "Greenhill" in where
    assert "Canada" in answer_spans("who", "Canada is paying for the new bridge.", lex)
    assert answer_spans("who", "It opens markets to Canadian firms.", lex) == []
