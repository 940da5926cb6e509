"""The shipped reader model (accord/data/reader) on fictional sentences: it loads, its input
keeps the sentence whole, it prefers the sentence that states what is asked, and it is stable
under batching and paraphrase."""

from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pytest

from accord.answer.reader import (
    DEFAULT_DIR,
    MAX_LENGTH,
    MAX_PREVIOUS_CHARS,
    MODEL_FILE,
    Reader,
    ReaderCandidate,
    encode,
    reader_input,
)
from accord.errors import ConfigError

SIGNED = "The agreement was signed on 3 June 2025 in Kuala Lumpur."
UNDATED = "The agreement was signed in Kuala Lumpur."
HEADING = "Memorandum of Understanding on Fisheries Cooperation"
OTHER = "The working group will meet twice a year to review the training of port inspectors."


@pytest.fixture(scope="module")
def reader() -> Reader:
    return Reader.load()


def test_loads_and_scores_without_torch(reader):
    assert reader.meta["format"] == 1 and reader.meta["max_length"] == MAX_LENGTH
    code = (
        "import sys; from accord.answer.reader import Reader; "
        "p = Reader.load().score('When was it signed?', ['It was signed in May.']); "
        "assert p.shape == (1,); print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_input_cuts_the_context_not_the_sentence(reader):
    sentence = (
        "Under the memorandum the parties will exchange officers, share inspection "
        "records and hold joint patrols in the waters named in the annex, and each "
        "party will report every quarter on the vessels inspected, the catches seized, "
        "the fines imposed and the training given to its inspectors, the reports being "
        "sent to the joint committee, which will meet in the capital of each party in "
        "turn, for its review at the next meeting."
    )
    previous = "Earlier clauses set out the general aims of the cooperation. " * 40
    question = "What will the parties exchange under the memorandum?"
    a, b = reader_input(question, sentence, HEADING, previous)
    assert a == question and b.startswith(sentence + " [SEP] " + HEADING + " | ")
    assert len(b) <= len(sentence) + len(HEADING) + MAX_PREVIOUS_CHARS + 12
    _, tok = reader._ready()
    enc = encode(tok, [(a, b)])
    assert enc.input_ids.shape[1] == MAX_LENGTH  # the long context was cut to fit
    first, stop = enc.sentence_tokens[0]
    whole = tok.encode(sentence, add_special_tokens=False).ids
    assert enc.input_ids[0, first:stop].tolist() == whole  # the sentence kept whole
    assert enc.input_ids[0, stop] == tok.token_to_id("[SEP]")
    assert enc.sentence_offsets[0][-1][1] == len(sentence)


def test_the_stated_date_scores_above_the_undated_sentence(reader):
    """The reader reads what is asked, not the topic: the sentence with the date is the answer
    to "when", the one with the place to "where" (the first reader, without the "no answer"
    span position, scored the undated sentence higher)."""
    question = "When was the agreement signed?"
    p = reader.score(
        question, [ReaderCandidate(SIGNED, HEADING), ReaderCandidate(UNDATED, HEADING)]
    )
    assert p[0] > p[1] + 0.1
    assert p[0] > 0.5
    dated_only = "The agreement was signed on 3 June 2025."
    where = reader.score(
        "Where was the agreement signed?",
        [ReaderCandidate(UNDATED, HEADING), ReaderCandidate(dated_only, HEADING)],
    )
    assert where[0] > where[1] + 0.2


def test_a_sentence_on_another_subject_scores_low(reader):
    p = reader.score("When was the agreement signed?", [ReaderCandidate(OTHER, HEADING)])
    assert p[0] < 0.2


@pytest.mark.parametrize("sentence", [SIGNED, OTHER])
def test_paraphrased_questions_fall_on_the_same_side(reader, sentence):
    a = reader.score("When was it signed?", [(sentence, HEADING, "")])[0]
    b = reader.score("On what date was it signed?", [(sentence, HEADING, "")])[0]
    assert (a > 0.5) == (b > 0.5)


def test_probabilities_and_batch_order(reader):
    cands = [
        ReaderCandidate(SIGNED, HEADING),
        ReaderCandidate(UNDATED, HEADING, SIGNED),
        ReaderCandidate(OTHER, HEADING, UNDATED),
        (OTHER, "", ""),
        ("The memorandum shall remain in force for five years.", HEADING, OTHER),
    ] * 4
    question = "When was the agreement signed?"
    p = reader.score(question, cands)
    assert p.shape == (len(cands),) and np.all((p >= 0) & (p <= 1))
    order = np.random.default_rng(3).permutation(len(cands))
    q = reader.score(question, [cands[i] for i in order])
    np.testing.assert_allclose(q, p[order], atol=1e-5)
    single = np.array([reader.score(question, [c])[0] for c in cands[:5]])
    np.testing.assert_allclose(single, p[:5], atol=1e-5)
    assert reader.score(question, []).shape == (0,)


def test_threads_share_one_reader(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    fresh = Reader.load()  # the session is made lazily: the threads race to create it
    question, cands = "When was the agreement signed?", [SIGNED, UNDATED, OTHER]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: fresh.score(question, cands), range(8)))
    for r in results[1:]:
        np.testing.assert_allclose(r, results[0], atol=1e-6)


def test_span_marks_the_date(reader):
    span = reader.span(
        "When was the agreement signed?", ReaderCandidate(SIGNED, HEADING), min_probability=0.0
    )
    assert span is not None
    start, end = span
    assert 0 <= start < end <= len(SIGNED)
    assert "2025" in SIGNED[start:end]
    where = reader.span("Where was the agreement signed?", (SIGNED, HEADING, ""), 0.0)
    assert where is not None and "Kuala Lumpur" in SIGNED[where[0] : where[1]]
    assert reader.span("When was the agreement signed?", (OTHER, HEADING, "")) is None


def test_a_missing_model_raises_config_error_naming_the_path(tmp_path):
    missing = tmp_path / "no-reader-here"
    with pytest.raises(ConfigError, match="no-reader-here"):
        Reader.load(missing)
    partial = tmp_path / "partial"
    shutil.copytree(DEFAULT_DIR, partial)
    (partial / MODEL_FILE).unlink()
    with pytest.raises(ConfigError, match=str(partial)):
        Reader.load(partial)


def test_another_format_raises_config_error(tmp_path):
    import json

    folder = tmp_path / "old"
    shutil.copytree(DEFAULT_DIR, folder)
    meta = json.loads((folder / "reader.json").read_text())
    meta["input_format"] = 0
    (folder / "reader.json").write_text(json.dumps(meta))
    with pytest.raises(ConfigError, match="input format"):
        Reader.load(folder)


def test_the_answerer_reads_only_when_its_decision_weighs_the_reader(sample_index):
    """The shipped decision gives the reader no weight: answering calls no model. Told to read
    (as the fit's collection does), the same answerer scores the candidates with it."""
    extractive = sample_index.qa.extractive
    calls = []
    plain = extractive.reader.read

    def counted(question, candidates):
        calls.append(len(candidates))
        return plain(question, candidates)

    extractive.reader.read = counted
    try:
        sample_index.qa.answer("When was the MoU on transborder crime signed?")
        assert calls == []
        extractive.read = True
        sample_index.qa.answer("When was the MoU on transborder crime signed?")
        assert calls and 0 < calls[0] <= extractive.max_read
    finally:
        extractive.read = None
        extractive.reader.read = plain
