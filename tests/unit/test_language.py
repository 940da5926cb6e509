"""Language detection, the Malay stemmer and analyser, the Malay question lexicon, and the
notice about English-only embedding models."""

from __future__ import annotations

import pytest

from accord.answer.questions import parse
from accord.language.detect import (
    analyse,
    detect,
    embedding_notice,
    english_only,
    multilingual_model,
    prefer_language,
)
from accord.language.lexicon import lexicon, lexicon_for, reading, stem
from accord.language.malay import stem_malay
from accord.models import RetrievedChunk
from vectorstore.lexical import LexicalIndex


@pytest.mark.parametrize(
    "text,lang",
    [
        (
            "Jawatankuasa bersetuju untuk menubuhkan pusat koordinasi rondaan bersama di Pekan.",
            "ms",
        ),
        ("Bilakah memorandum persefahaman itu ditandatangani?", "ms"),
        ("The Committee agreed to establish a joint patrol coordination centre.", "en"),
        ("When was the MoU signed, and by whom?", "en"),
        ("Kota Kinabalu 2025", "und"),
    ],
)
def test_detect(text, lang):
    assert detect(text) == lang


@pytest.mark.parametrize(
    "words,root",
    [
        (["ditandatangani", "menandatangani", "tandatangan"], "tandatangan"),
        (["menubuhkan", "ditubuhkan", "penubuhan"], "tubuh"),
        (["melaksanakan", "dilaksanakan", "pelaksanaan"], "laksana"),
        (["bertemu", "pertemuan"], "temu"),
        (["menyediakan", "sedia"], "sedia"),
        (["keselamatan", "selamat"], "selamat"),
        (["kenyataannya", "kenyataan"], "kenyataan"),
    ],
)
def test_malay_forms_of_one_root_meet(words, root):
    assert {stem_malay(w) for w in words} == {root}


def test_short_words_and_listed_roots_are_kept():
    assert stem_malay("dia") == "dia"
    assert stem_malay("mesyuarat") == "mesyuarat"  # not me- + syuarat
    assert stem_malay("memorandum") == "memorandum"


def test_malay_analyser_drops_stop_words_and_keeps_the_word_as_written():
    toks = analyse("Memorandum itu telah ditandatangani oleh Menteri", "ms", frozenset())
    assert "itu" not in toks and "telah" not in toks and "oleh" not in toks
    assert "tandatangan" in toks and "ditandatangani" in toks
    assert analyse("The MoU was signed", "en", frozenset({"the"})) == ["mou", "was", "signed"]


def test_bm25_meets_a_malay_question_word_in_another_form():
    rows = [
        ("a", "Menteri telah menandatangani memorandum itu di Kota Sari.", {"language": "ms"}),
        ("b", "Jawatankuasa bersetuju untuk mengadakan latihan bersama.", {"language": "ms"}),
        ("c", "The minister signed the memorandum.", {"language": "en"}),
    ]
    idx = LexicalIndex.build(rows)
    hits = idx.search("Bilakah memorandum itu ditandatangani?", 3)
    assert hits and idx.ids[hits[0][0]] == "a"
    # English search is as before: the English row, by its own words.
    hits = idx.search("Who signed the memorandum?", 3)
    assert idx.ids[hits[0][0]] == "c"


def test_stem_reads_the_language_it_is_told():
    assert stem("ditandatangani") != stem("menandatangani")  # English Snowball by default
    with reading("ms"):
        assert stem("ditandatangani") == stem("menandatangani") == "tandatangan"
    assert stem("signing") == "sign"


def test_malay_questions_get_their_kind_and_informative_words():
    lex = lexicon_for("ms")
    assert lexicon_for("en") is lexicon()
    assert "yang" in lex.stopwords and "yang" not in lexicon().stopwords
    with reading("ms"):
        when = parse("Bilakah memorandum persefahaman itu ditandatangani?", lex).parts[0]
        who = parse("Siapakah yang mempengerusikan mesyuarat itu?", lex).parts[0]
        where = parse("Di manakah pusat itu akan ditubuhkan?", lex).parts[0]
    assert (when.kind, who.kind, where.kind) == ("when", "who", "where")
    assert "tandatangan" in when.terms and "itu" not in when.terms


def test_notice_names_a_multilingual_model_for_malay_questions_only():
    assert english_only("all-MiniLM-L6-v2") and english_only("/models/all-MiniLM-L6-v2/")
    note = embedding_notice("ms", "all-MiniLM-L6-v2")
    assert note and "English only" in note and multilingual_model() in note
    assert "paraphrase-multilingual-MiniLM-L12-v2" in multilingual_model()
    assert embedding_notice("en", "all-MiniLM-L6-v2") is None
    assert embedding_notice("ms", multilingual_model()) is None


def _chunk(cid: str, source: str, lang: str, bilingual: bool) -> RetrievedChunk:
    meta = {"source": source, "language": lang}
    if bilingual:
        meta["doc_languages"] = "en|ms"
    return RetrievedChunk(cid, "", 1.0, meta)


def test_a_bilingual_document_is_quoted_in_the_askers_language():
    chunks = [
        _chunk("1", "mou.pdf", "en", True),
        _chunk("2", "mou.pdf", "ms", True),
        _chunk("3", "other.md", "en", False),
    ]
    assert [c.chunk_id for c in prefer_language(chunks, "ms")] == ["2", "3"]
    assert [c.chunk_id for c in prefer_language(chunks, "en")] == ["1", "3"]
    # Only the other version was found: it is kept rather than nothing.
    assert [c.chunk_id for c in prefer_language(chunks[:1], "ms")] == ["1"]
    assert prefer_language(chunks, "und") == chunks


def test_malay_dates_and_document_types_are_read():
    from ingest.metadata import build_metadata, first_date, infer_type

    assert first_date("Kota Sari, 13 Ogos 2025") == "2025-08-13"
    assert first_date("Tarikh: 20 Oktober 2025") == "2025-10-20"
    assert first_date("31 Februari 2025") is None
    # A press statement about a memorandum is a statement.
    assert (
        infer_type("KENYATAAN AKHBAR", "Menteri menandatangani Memorandum Persefahaman", "x.txt")
        == "statement"
    )
    assert infer_type("Minit Mesyuarat Pertama", "", "x.md") == "minutes"
    meta = build_metadata(
        "a.txt",
        "TERHAD / RESTRICTED\nKenyataan Akhbar Kementerian\n\n"
        "Kota Sari, 13 Ogos 2025\n\nIa ditandatangani semalam.",
        {},
        {},
    )
    assert meta["title"] == "Kenyataan Akhbar Kementerian"  # the marking line is not a title
    assert meta["marking"] == "RESTRICTED" and meta["date"] == "2025-08-13"


def test_ocr_word_table_becomes_lines_and_paragraphs_with_mean_confidence():
    from ingest.ocr import text_from_words

    table = {
        "text": ["", "Article", "1", "The", "Parties", "", "shall", "meet."],
        "conf": [-1, 90, 80, 95, 85, -1, 70, 60],
        "page_num": [1] * 8,
        "block_num": [1, 1, 1, 1, 1, 2, 2, 2],
        "par_num": [1] * 8,
        "line_num": [1, 1, 1, 2, 2, 1, 1, 1],
    }
    got = text_from_words(table)
    assert got.text == "Article 1\nThe Parties\n\nshall meet."
    assert got.confidence == 80.0
    assert text_from_words({"text": [], "conf": []}).confidence == 0.0


def test_the_ocr_cache_keeps_pages_by_file_page_and_settings(tmp_path):
    from ingest.ocr import OcrCache, OcrText

    cache = OcrCache(tmp_path)
    sha = "ab" * 32
    cache.put(sha, 3, "tesseract-5-eng|300", OcrText("Read text", 91.5))
    assert cache.get(sha, 3, "tesseract-5-eng|300") == OcrText("Read text", 91.5)
    assert cache.get(sha, 4, "tesseract-5-eng|300") is None
    assert cache.get(sha, 3, "tesseract-5-eng|200") is None  # other settings, other reading
    path = next(tmp_path.rglob("*.json"))
    path.write_text("{not json")
    assert cache.get(sha, 3, "tesseract-5-eng|300") is None  # a damaged entry is read again
