"""OCR during ingest, for real: Tesseract reads the scanned corpus PDF (no text layer), the page
an answer quotes is the page the words were read from, and a re-sync reads no page again."""

from __future__ import annotations

import shutil

import pytest

from accord.models import Filters
from accord.runtime import Runtime
from ingest.ocr import tesseract_available
from tests.conftest import CORPUS, make_settings

SCAN = CORPUS / "pdf" / "PostOfficeHorizon-IT-Inquiry-Response.pdf"

pytestmark = pytest.mark.skipif(
    not tesseract_available() or not SCAN.exists(),
    reason="needs the tesseract program (apt-get install tesseract-ocr tesseract-ocr-msa; "
    ".ci/run installs it as root) and ../shared/corpus",
)


@pytest.fixture(scope="module")
def scanned_index(tmp_path_factory, embedder):
    root = tmp_path_factory.mktemp("ocr-index")
    docs = root / "docs"
    docs.mkdir()
    shutil.copy(SCAN, docs / SCAN.name)
    rt = Runtime(make_settings(root / "data"), embedder=embedder)
    syncer = rt.syncer()
    first = syncer.run(docs)
    yield rt, syncer, first, docs
    rt.close()


def test_the_scan_has_no_text_layer():
    from pypdf import PdfReader

    reader = PdfReader(str(SCAN))
    assert not any((p.extract_text() or "").strip() for p in reader.pages)


def test_scanned_pdf_is_indexed_by_ocr_with_pages_and_confidence(scanned_index):
    rt, syncer, first, _ = scanned_index
    assert not first.failed and first.added == 1
    assert first.ocr.read == 16 and first.ocr.cached == 0
    assert syncer.ocr.engine.calls == 16
    doc = rt.manifest.document(SCAN.name)
    assert len(doc.page_starts) == 16
    assert set(doc.extra["ocr_pages"]) == {str(n) for n in range(1, 17)}
    # Words printed on page 4 of the image, read back from the page that holds them.
    at = doc.text.index("written responses to my recommendations")
    assert doc.page_at(at) == 4
    chunks = list(rt.manifest.iter_chunks())
    assert chunks and all(m.get("ocr") is True and m["ocr_confidence"] > 80 for _, _, m in chunks)


def test_a_question_about_a_sentence_of_the_scan_cites_its_page(scanned_index):
    rt = scanned_index[0]
    ans = rt.qa.answer(
        "By what date were HM Government and the department to provide written "
        "responses to the recommendations?",
        Filters(),
    )
    assert not ans.refused, ans.text
    hit = [c for c in ans.citations if "10 October 2025" in " ".join(c.quote.split())]
    assert hit, [c.quote for c in ans.citations]
    assert hit[0].page == 4 and hit[0].source == SCAN.name
    assert hit[0].ocr_confidence is not None and hit[0].ocr_confidence > 80
    assert hit[0].ocr_note().startswith("quoted from an OCR'd scan, p. 4")
    assert ans.to_dict()["citations"][0]["ocr_confidence"] is not None


def test_a_resync_ocrs_nothing(scanned_index):
    rt, syncer, _, docs = scanned_index
    calls = syncer.ocr.engine.calls
    again = syncer.run(docs)  # unchanged file: not even loaded
    assert again.unchanged == 1 and again.ocr.read == 0
    # A rebuild from nothing, by a new syncer (as a new process would be), loads the file again
    # and takes every page from the OCR cache.
    fresh = rt.syncer()
    full = fresh.run(docs, full=True)
    assert not full.failed and full.added == 1
    assert full.ocr.read == 0 and full.ocr.cached == 16
    assert fresh.ocr.engine.calls == 0 and syncer.ocr.engine.calls == calls
    assert full.summary()["ocr_pages_cached"] == 16
