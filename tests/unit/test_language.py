"""Language detection, the Malay stemmer and analyser, the Malay question lexicon, and the
notice about English-only embedding models."""

from __future__ import annotations

import pytest

from accord.language import (
    analyse,
    detect,
    embedding_notice,
    english_only,
    multilingual_model,
    prefer_language,
)
from accord.lexicon import lexicon, lexicon_for, reading, stem
from accord.malay import stem_malay
from accord.models import RetrievedChunk
from accord.questions import parse
from vectorstore.lexical import LexicalIndex


@pytest.mark.parametrize("text,lang", [
    ("Jawatankuasa bersetuju untuk menubuhkan pusat koordinasi rondaan bersama di Pekan.", "ms"),
    ("Bilakah memorandum persefahaman itu ditandatangani?", "ms"),
    ("The Committee agreed to establish a joint patrol coordination centre.", "en"),
    ("When was the MoU signed, and by whom?", "en"),
    ("Kota Kinabalu 2025", "und"),
])
def test_detect(text, lang):
    assert detect(text) == lang


@pytest.mark.parametrize("words,root", [
    (["ditandatangani", "menandatangani", "tandatangan"], "tandatangan"),
    (["menubuhkan", "ditubuhkan", "penubuhan"], "tubuh"),
    (["melaksanakan", "dilaksanakan", "pelaksanaan"], "laksana"),
    (["bertemu", "pertemuan"], "temu"),
    (["menyediakan", "sedia"], "sedia"),
    (["keselamatan", "selamat"], "selamat"),
    (["kenyataannya", "kenyataan"], "kenyataan"),
])
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
    rows = [("a", "Menteri telah menandatangani memorandum itu di Kota Sari.", {"language": "ms"}),
            ("b", "Jawatankuasa bersetuju untuk mengadakan latihan bersama.", {"language": "ms"}),
            ("c", "The minister signed the memorandum.", {"language": "en"})]
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
    chunks = [_chunk("1", "mou.pdf", "en", True), _chunk("2", "mou.pdf", "ms", True),
              _chunk("3", "other.md", "en", False)]
    assert [c.chunk_id for c in prefer_language(chunks, "ms")] == ["2", "3"]
    assert [c.chunk_id for c in prefer_language(chunks, "en")] == ["1", "3"]
    # Only the other version was found: it is kept rather than nothing.
    assert [c.chunk_id for c in prefer_language(chunks[:1], "ms")] == ["1"]
    assert prefer_language(chunks, "und") == chunks
