"""Malay and English documents, for real (model, Chroma, PDF parsing, Tesseract): a bilingual
MoU (tests/data/bilingual, with a text layer, and a scanned copy rendered from it), a Malay
press statement and Malay minutes marked SULIT. Malay questions are answered with Malay quotes,
English ones with English quotes, and markings are applied to both."""

from __future__ import annotations

import shutil

import pytest
from pypdf import PdfReader, PdfWriter

from accord.access.audiences import Audience
from accord.models import Filters
from accord.runtime import Runtime
from ingest.ocr import tesseract_available
from tests.conftest import REPO, make_settings

DATA = REPO / "tests" / "data" / "bilingual"
MOU = "mou-maritime-sar-2025.pdf"
MINUTES = "minit-jpb-sar-2025-10.md"
STATEMENT = "kenyataan-akhbar-2025-08-13.txt"
CONFIDENTIAL = Audience("CONFIDENTIAL", [], "test")
OFFICIAL = Audience("OFFICIAL", [], "test")
needs_ocr = pytest.mark.skipif(
    not tesseract_available(),
    reason="needs the tesseract program (apt-get install tesseract-ocr tesseract-ocr-msa)",
)


@pytest.fixture(scope="module")
def index(tmp_path_factory, embedder):
    root = tmp_path_factory.mktemp("bilingual")
    shutil.copytree(DATA / "docs", root / "docs")
    rt = Runtime(make_settings(root / "data"), embedder=embedder)
    res = rt.syncer().run(root / "docs")
    assert not res.failed and res.added == 3
    yield rt
    rt.close()


def _ask(rt: Runtime, question: str, audience: Audience = CONFIDENTIAL):
    ans = rt.qa.answer(question, Filters(), audience=audience)
    langs = {}
    for c in ans.citations:
        meta = next(m for cid, _, m in rt.manifest.iter_chunks() if cid == c.chunk_id)
        langs[c.n] = meta.get("language")
    return ans, langs


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_the_bilingual_mou_keeps_both_texts_as_versions_of_one_document(index):
    doc = index.manifest.document(MOU)
    assert doc.extra["languages"] == ["en", "ms"]
    by_page = {}
    for _, _, meta in index.manifest.iter_chunks():
        if meta["source"] == MOU:
            by_page.setdefault(meta["page"], set()).add(meta["language"])
            assert meta["doc_languages"] == "en|ms"
    assert by_page == {1: {"en"}, 2: {"en"}, 3: {"ms"}, 4: {"ms"}}


def test_markings_are_applied_to_malay_documents(index):
    marks = {m["source"]: m["marking"] for m in index.manifest.markings()}
    assert marks == {MOU: "RESTRICTED", MINUTES: "CONFIDENTIAL", STATEMENT: "UNMARKED"}
    q = "Bilakah latihan mencari dan menyelamat bersama yang pertama akan diadakan?"
    ans, langs = _ask(index, q)
    assert not ans.refused and not ans.weak, ans.text
    assert ans.citations[0].source == MINUTES and "9 Mac 2026" in ans.citations[0].quote
    assert ans.citations[0].marking == "CONFIDENTIAL"
    assert set(langs.values()) == {"ms"}
    low, _ = _ask(index, q, OFFICIAL)  # SULIT is CONFIDENTIAL: not for an OFFICIAL audience
    assert all(c.source not in (MINUTES, MOU) for c in low.citations)
    assert all(r.source not in (MINUTES, MOU) for r in low.retrieved + low.related)


def test_a_malay_question_is_answered_with_a_malay_quote(index):
    ans, langs = _ask(
        index,
        "Berapakah peruntukan Kerajaan Sundara untuk menaik taraf "
        "kemudahan di pelabuhan Tanjung Sari?",
    )
    assert not ans.refused and not ans.weak, ans.text
    assert "RM4.5 juta" in ans.citations[0].quote and ans.citations[0].source == STATEMENT
    assert set(langs.values()) == {"ms"}
    assert "paraphrase-multilingual-MiniLM-L12-v2" in (ans.notice or "")


def test_a_malay_when_question_is_answered_by_the_signing_date(index):
    # The closest sentence speaks of "the date this Memorandum is signed" without a date; the
    # signing sentence of another passage has one, and answers.
    ans, langs = _ask(index, "Bilakah memorandum persefahaman itu ditandatangani?")
    assert not ans.refused and not ans.weak, ans.text
    assert "12 Ogos 2025" in ans.citations[0].quote
    assert ans.citations[0].source.endswith("mou-maritime-sar-2025.pdf")


def test_the_same_fact_is_quoted_from_the_version_in_the_askers_language(index):
    ms, ms_langs = _ask(index, "Di manakah Pusat Penyelarasan Menyelamat Bersama akan ditubuhkan?")
    en, en_langs = _ask(index, "Where shall the Joint Rescue Coordination Centre be established?")
    assert not ms.refused and not en.refused
    ms_quote = _flat(ms.citations[0].quote)
    en_quote = _flat(en.citations[0].quote)
    assert "ditubuhkan di pelabuhan Tanjung Sari" in ms_quote and ms.citations[0].page == 3
    assert "established at the port of Tanjung Sari" in en_quote and en.citations[0].page == 1
    assert set(ms_langs.values()) == {"ms"} and set(en_langs.values()) == {"en"}
    assert en.notice is None or "multilingual" not in en.notice


def test_an_english_question_about_the_bilingual_mou_is_answered_in_english(index):
    en, langs = _ask(index, "When was the memorandum on maritime search and rescue signed?")
    assert not en.refused
    assert "12 August 2025" in _flat(en.citations[0].quote)
    assert set(langs.values()) == {"en"}


@needs_ocr
def test_the_scanned_copy_is_read_by_ocr_with_its_marking_and_languages(tmp_path, embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(DATA / "scan" / "mou-maritime-sar-2025-scan.pdf", docs / "scan.pdf")
    # A text PDF with one image-only page: only that page is read by OCR.
    writer = PdfWriter()
    writer.add_page(PdfReader(str(DATA / "docs" / MOU)).pages[0])
    writer.add_page(PdfReader(str(DATA / "scan" / "mou-maritime-sar-2025-scan.pdf")).pages[2])
    with open(docs / "mixed.pdf", "wb") as fh:
        writer.write(fh)
    # Every page reads at about 95%: a threshold above that lists them all as low-confidence.
    rt = Runtime(make_settings(tmp_path / "data", ocr_low_confidence=99), embedder=embedder)
    try:
        syncer = rt.syncer()
        res = syncer.run(docs)
        assert not res.failed and res.added == 2
        assert res.ocr.read == 5 and syncer.ocr.engine.calls == 5
        assert sorted((s, p) for s, p, _ in res.ocr.low) == [
            ("mixed.pdf", 2),
            ("scan.pdf", 1),
            ("scan.pdf", 2),
            ("scan.pdf", 3),
            ("scan.pdf", 4),
        ]
        assert all(80 < conf < 99 for _, _, conf in res.ocr.low)
        assert res.summary()["ocr_low_confidence"] == 5
        scan = rt.manifest.document("scan.pdf")
        assert set(scan.extra["ocr_pages"]) == {"1", "2", "3", "4"}
        assert scan.extra["languages"] == ["en", "ms"]
        # The marking printed on the scanned pages, found by the same rules as in text.
        assert scan.marking == "RESTRICTED"
        assert any(e["kind"] == "page" and "RESTRICTED" in e["line"] for e in scan.marking_evidence)
        mixed = rt.manifest.document("mixed.pdf")
        assert set(mixed.extra["ocr_pages"]) == {"2"}
        assert "Memorandum ini hendaklah berkuat kuasa" not in mixed.text  # page 4 left out
        assert "MEMORANDUM PERSEFAHAMAN" in mixed.text.upper()
        ans = rt.qa.answer(
            "Di manakah Pusat Penyelarasan Menyelamat Bersama akan ditubuhkan?",
            Filters(),
            audience=CONFIDENTIAL,
        )
        assert not ans.refused
        cited = ans.citations[0]
        # Read from the image of the Malay page 3 (page 2 of the mixed PDF).
        assert "Tanjung Sari" in _flat(cited.quote)
        assert (cited.source, cited.page) in (("scan.pdf", 3), ("mixed.pdf", 2))
        assert cited.ocr_confidence is not None
        assert cited.ocr_note().startswith(f"quoted from an OCR'd scan, p. {cited.page}")
        again = rt.syncer().run(docs, full=True)
        assert again.ocr.read == 0 and again.ocr.cached == 5
    finally:
        rt.close()
