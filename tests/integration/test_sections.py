"""Where a quote sits and what its document is, on the samples as files (real loaders and
chunker): the section is the nearest heading above the quote (PDF article lines, HTML h1-h4,
Word heading styles), never a marking line; a document's date is its own; a cable is typed and
titled by its form."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accord.answer.citations import quote_section
from accord.settings import Settings
from ingest.chunking import chunk_document
from ingest.folders import FolderDefaults
from ingest.metadata import build_metadata
from ingest.sync import load_document
from tests.conftest import SAMPLES

RULES = Settings(_env_file=None).rules()


def where(source: str, quote: str) -> tuple[str | None, int | None, object]:
    """(section, page, document) of ``quote`` as a citation of it would say."""
    doc, _ = load_document(SAMPLES / source, source, RULES, FolderDefaults(SAMPLES, RULES))
    at = doc.text.find(quote)
    assert at >= 0, quote
    [chunk] = [c for c in chunk_document(doc) if c.char_start <= at < c.char_end]
    return quote_section(chunk.metadata(doc), at), chunk.page, doc


@pytest.mark.parametrize(
    "source,quote,section,page",
    [
        ("amendment-protocol-2025.html", "DONE at Sarapura", "Signature", None),
        (
            "amendment-protocol-2025.html",
            "This Protocol shall enter into force",
            "Article 4 - Entry into Force",
            None,
        ),
        (
            "jwc-progress-report-2025.docx",
            "Operation Clearwater",
            "7. People smuggling and online scam centres",
            None,
        ),
        (
            "mou-transborder-crime-2023.pdf",
            "This MoU shall remain in force for a period of five",
            "Article 9 - Entry into Force, Duration and Termination",
            4,
        ),
        (
            "mou-transborder-crime-2023.pdf",
            "The JWC shall meet at least once a year",
            "Article 4 - Joint Working Committee",
            3,
        ),
        (
            "record-of-conversation-2024-11.md",
            "five-year",
            "Amending the Memorandum of Understanding",
            None,
        ),
    ],
)
def test_the_section_is_the_nearest_heading_above_the_quote(source, quote, section, page):
    got, got_page, _ = where(source, quote)
    assert got == section
    if page is not None:
        assert got_page == page


@pytest.mark.parametrize(
    "source",
    [
        "jwc-minutes-2024-03.md",
        "jwc-progress-report-2025.docx",
        "record-of-conversation-2024-11.md",
    ],
)
def test_a_marking_line_is_never_a_section(source):
    doc, _ = load_document(SAMPLES / source, source, RULES, FolderDefaults(SAMPLES, RULES))
    sections = set()
    for c in chunk_document(doc):
        meta = c.metadata(doc)
        sections.add(meta["section"])
        sections |= {h for _, h in json.loads(meta.get("headings", "[]"))}
    assert doc.marking != "UNMARKED" and doc.marking not in sections


def test_a_document_is_dated_by_its_own_adoption_not_a_date_it_mentions():
    _, _, doc = where("jwc-progress-report-2025.docx", "Operation Clearwater")
    assert doc.date == "2025-03-12"  # "Adopted at Port Aldric on 12 March 2025"


def test_a_cable_is_typed_and_titled_by_its_form(tmp_path: Path):
    text = (
        "CONFIDENTIAL\n\nFROM: Embassy of Meridia, Sarapura\nTO: Ministry of Foreign Affairs, "
        "Port Aldric\nSUBJECT: Talks on the extradition treaty\n\n1. The Ministry said the "
        "extradition treaty between the two countries would be signed in June.\n"
    )
    meta = build_metadata("cable-2025-05.txt", text, {}, {}, RULES)
    assert meta["doc_type"] == "minutes" and meta["title"] == "Talks on the extradition treaty"
    plain = build_metadata(
        "treaty.txt",
        "Extradition Treaty between Meridia and Sundara\n\n"
        "Article 1\nThe Parties agree to extradite.\n",
        {},
        {},
        RULES,
    )
    assert plain["doc_type"] == "mou"  # the form decides: a treaty's own text stays an instrument
