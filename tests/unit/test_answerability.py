"""What a question asks for, and whether a sentence, passage or document meets it."""

from accord.answerability import acronyms
from accord.extractive import ExtractiveAnswerer, refusal, terms_of
from accord.models import RetrievedChunk
from accord.question import QuestionProfile, stem


def needs(question):
    return QuestionProfile.of(question).needs


def test_thing_asked_about_must_be_in_the_document():
    n = needs("What is the budget of the joint maritime patrol exercise?")
    assert "budget" in n.document_gaps(terms_of("joint maritime patrol exercises"), [""])
    assert n.document_gaps(terms_of("the exercise budget is 3 million"), [""]) == []
    # A generic head ("people") asks nothing of the document; the participle does.
    n = needs("How many people were convicted after Operation Clearwater?")
    assert n.participles == {stem("convicted"): "convicted"}
    assert n.sentence_gap("It led to the arrest of 41 suspects.", set()) == "convicted"
    assert n.sentence_gap("Twelve were convicted in May.", set()) is None


def test_names_two_word_names_by_surname_and_roles_not_required():
    n = needs("Where did Myron Cowen suggest holding the meeting?")
    assert stem("cowen") in n.document_terms and stem("myron") not in n.document_terms
    n = needs("What delay did the British High Commissioner ask for?")
    assert stem("british") in n.document_terms and stem("commissioner") not in n.document_terms
    n = needs("Who signed the October 2025 U.S.-Malaysia MoU?")
    assert stem("malaysia") in n.document_terms and stem("october") not in n.document_terms


def test_who_is_the_role_needs_the_role_in_the_sentence():
    n = needs("Who is the Prime Minister of Sundara?")
    assert n.sentence_gap("the Minister of Home Affairs of Sundara", terms_of(
        "the Minister of Home Affairs of Sundara")) == "prime"


def test_direction_of_a_title():
    n = needs("Who is Sundara's Ambassador to Meridia?")
    reverse = "Ms Odile Brandt, Ambassador of the Republic of Meridia to the Kingdom of Sundara"
    assert "reverse" not in (n.sentence_gap(reverse, terms_of(reverse)) or "missing")
    assert n.sentence_gap(reverse, terms_of(reverse)) is not None
    right = "Mr Bayu Santoso, Ambassador of the Kingdom of Sundara to the Republic of Meridia"
    assert n.sentence_gap(right, terms_of(right)) is None


def test_money_name_number_and_ordinals():
    n = needs("How much money did victims of the syndicate lose in total?")
    assert n.sentence_gap("Victims were held in forced labour.", set()) == "an amount of money"
    assert n.sentence_gap("Victims lost MRC 48 million.", set()) is None
    assert n.sentence_gap("Malaysia will facilitate USD70 billion in investment.", set()) is None
    n = needs("When will Exercise Harbour Shield 2025 be held?")
    gap = n.passage_gap("Exercise Harbour Shield 2024 was held in September.", set())
    assert gap and "Harbour Shield 2024" in gap and "Shield 2025" in gap
    assert n.passage_gap("Exercise Harbour Shield 2025 will be held in May.", set()) is None
    n = needs("When did the third meeting of the Joint Working Committee take place?")
    assert n.document_gaps(terms_of("Joint Working Committee"),
                           ["its second meeting; a third party"]) == ["third meeting"]
    n = needs("How much did the UAE commit at the first I2U2 leaders' meeting?")
    assert n.document_gaps({"uae"}, ["Today's inaugural I2U2 leaders meeting"]) == []


def test_when_questions_need_words_the_index_has():
    n = needs("When did the Sundaran parliament ratify the transborder crime MoU?")
    index = {stem(w) for w in "the sundaran mou on transborder crime".split()}
    assert set(n.index_gaps(lambda t, w: t in index)) == {"parliament", "ratify"}
    vocab = dict.fromkeys("the sundaran mou transborder crime ratification".split())
    answerer = ExtractiveAnswerer(None, lambda w: 1.0, 0.4, vocabulary=lambda: vocab)
    assert set(n.index_gaps(answerer.index_has)) == {"parliament"}


def test_acronyms_both_ways():
    assert "uae" in acronyms("the United Arab Emirates committed")
    assert {"jwc", "joint", "work"} <= terms_of("The JWC shall meet")
    assert "mou" in terms_of("this Memorandum of Understanding")


class _Embedder:
    """Embeds every text as the same unit vector: scores then rest on the checks and words."""

    def embed_batch(self, texts):
        import numpy as np

        v = np.ones((len(texts), 4), dtype=np.float32) / 2.0
        return v


def _chunk(text, source="a.md", title="Progress report"):
    return RetrievedChunk(chunk_id=f"{source}#0", text=text, score=1.0, metadata={
        "source": source, "title": title, "char_start": 0, "doc_type": "report"})


def test_refusal_names_what_was_missing():
    import numpy as np

    ans = ExtractiveAnswerer(_Embedder(), lambda w: 1.0, threshold=0.1,
                             document_text=lambda s: "Exercise Harbour Shield 2024 was held.")
    chunk = _chunk("Exercise Harbour Shield 2024 was held in the Strait of Kessel in 2024.")
    out = ans.compose("When will Exercise Harbour Shield 2025 be held?", [chunk], np.ones(4) / 2)
    assert out.refused and "Harbour Shield 2025" in out.text
    out = ans.compose("When was Exercise Harbour Shield 2024 held?", [chunk], np.ones(4) / 2)
    assert not out.refused and out.citations[0].quote.startswith("Exercise Harbour Shield 2024")
    assert refusal("q", []).text == "The indexed documents do not answer this question."


def test_signing_block_is_one_quote():
    from accord.extractive import signature_blocks
    from accord.text import sentence_spans

    text = ("4. The termination shall not affect programmes under way.\n"
            "IN WITNESS WHEREOF, the undersigned have signed this Memorandum of Understanding.\n"
            "DONE at Port Aldric on 14 November 2023, in two originals.\n"
            "FOR THE GOVERNMENT OF THE REPUBLIC OF MERIDIA\n(signed)\nTomas Arvelo\n"
            "Minister of Home Affairs\n"
            "Meridia-Sundara MoU on Transborder Crime - Page 5")
    (s, e), = signature_blocks(text, sentence_spans(text))
    assert text[s:e].startswith("IN WITNESS WHEREOF") and text[s:e].endswith("Home Affairs")
    assert signature_blocks("DONE at Sarapura on 3 June 2025.", [(0, 32)]) == []  # no signatory
    prof = QuestionProfile.of("When was the MoU signed, and by whom?")
    assert prof.wants == "date" and prof.also == ["name"]
    assert prof.type_ok(text[s:e], "name")
    assert not prof.type_ok("the MoU on Combating Transborder Crime signed at Port Aldric", "name")
