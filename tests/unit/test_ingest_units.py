"""Pure functions of ingestion: metadata inference, sentence spans, chunking (markings:
test_markings.py)."""

from __future__ import annotations

import pytest

from accord.language.text import sentence_spans
from accord.models import Document
from ingest.chunking import chunk_document, chunk_id
from ingest.metadata import find_parties, first_date, infer_type


@pytest.mark.parametrize(
    "title,dtype",
    [
        ("Readout of President Biden's Call with Prime Minister Trudeau", "readout"),
        ("Joint Statement on the Signing of the MoU", "statement"),
        ("Memorandum of Understanding on Transborder Crime", "mou"),
        ("Record of Conversation between Menzies and the Tunku", "minutes"),
        ("Cablegram from Spender to Casey", "minutes"),
        ("Government Response to the Inquiry Report", "report"),
        ("Remarks at a Dinner", "other"),
    ],
)
def test_type_inference(title, dtype):
    assert infer_type(title, "", "x.md") == dtype


def test_dates_and_parties():
    assert first_date("Signed at Port Aldric on 14 November 2023 and 2 May 2019") == "2023-11-14"
    assert first_date("Done on November 14, 2024.") == "2024-11-14"
    assert first_date("No date, only 2024.") is None
    assert first_date("On 31 February 2023 nothing happened, on 2023-03-01 it did") == "2023-03-01"
    parties = find_parties(
        "The Republic of Meridia and the Kingdom of Sundara, with U.S. and Malaysian support."
    )
    assert parties[:2] == ["United States", "Malaysia"]
    assert {"Meridia", "Sundara"} <= set(parties)
    assert find_parties("the Government of the Republic of Meridia") == ["Meridia"]


def test_sentence_spans_are_exact_and_respect_abbreviations():
    text = "Mr. Tan met Dr. Lee on 14 Nov. 2023. They agreed.\nArticle 3 - Exchange\nThe U.S. wins."
    spans = sentence_spans(text)
    got = [text[s:e] for s, e in spans]
    assert got == [
        "Mr. Tan met Dr. Lee on 14 Nov. 2023.",
        "They agreed.",
        "Article 3 - Exchange",
        "The U.S. wins.",
    ]


def test_a_wrapped_line_holds_its_sentence_where_the_sentence_opens_mid_line():
    # The line is long (the page wrapped it) though the sentence on it opens half-way along.
    text = (
        "The two Ministers spoke on matters of\n"
        "peace and security. The Minister invited the Commissioner to visit\n"
        "Lortan in the spring for talks on the fisheries.\n"
        "Signature\n"
        "Done at Lortan."
    )
    got = [text[s:e] for s, e in sentence_spans(text)]
    assert got == [
        "The two Ministers spoke on matters of\npeace and security.",
        "The Minister invited the Commissioner to visit\nLortan in the spring for talks on the "
        "fisheries.",
        "Signature",
        "Done at Lortan.",
    ]


def test_an_indented_list_item_holds_its_sentence_over_its_wrapped_lines():
    text = (
        "    -   The total value of the fish landed at the port of Lortan was $41.2\n"
        "        million in the last season.\n"
        "    -   A second item follows.\n"
    )
    got = [text[s:e] for s, e in sentence_spans(text)]
    assert got[0].endswith("million in the last season.") and len(got) == 2


def test_text_a_pdf_gave_one_word_to_a_line_ends_sentences_at_stops_only():
    body = (
        "The panel of legal and clinical experts was chaired by Professor Ana Lim, a former "
        "judge. Its report was published in May. The Minister accepted it in full."
    )
    text = "\n".join(body.split()) + "\n\nNext Heading"
    got = [" ".join(text[s:e].split()) for s, e in sentence_spans(text)]
    assert got == [
        "The panel of legal and clinical experts was chaired by Professor Ana Lim, a former judge.",
        "Its report was published in May.",
        "The Minister accepted it in full.",
        "Next Heading",
    ]


def _doc(text: str, page_starts=()) -> Document:
    return Document(
        source="d.pdf", text=text, sha256="ab" * 32, title="MoU", page_starts=list(page_starts)
    )


def test_chunks_are_exact_slices_keep_articles_and_pages():
    page1 = "MEMORANDUM OF UNDERSTANDING\n\n" + "Preamble text. " * 20
    page2 = (
        "Article 1 - Objectives\n\nThe Parties shall cooperate.\n\n"
        "Article 2 - Areas\n\nDrugs, terrorism and cybercrime."
    )
    text = page1 + "\n\n" + page2
    doc = _doc(text, [0, len(page1) + 2])
    chunks = chunk_document(doc, target_chars=300, max_chars=600)
    for c in chunks:
        assert text[c.char_start : c.char_end] == c.text
        assert c.id == chunk_id("d.pdf", doc.sha256, c.ordinal)
    art = [c for c in chunks if c.text.startswith("Article")]
    assert [c.section for c in art] == ["Article 1 - Objectives", "Article 2 - Areas"]
    assert all(c.page == 2 for c in art)
    assert chunks[0].page == 1
    assert [c.id for c in chunk_document(doc, 300, 600)] == [c.id for c in chunks]


def test_long_paragraph_split_at_sentences_under_the_maximum():
    text = " ".join(f"Sentence number {i} says something about cooperation." for i in range(80))
    chunks = chunk_document(_doc(text), target_chars=400, max_chars=600)
    assert len(chunks) > 1
    for c in chunks:
        assert len(c.text) <= 600 and c.text.endswith(".")
