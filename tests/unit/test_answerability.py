"""Question parsing, the answerability features and the decision, on text the tests write."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from accord.answer.decision import (
    FEATURES,
    MODEL_FILE,
    Decision,
    TextTerms,
    has_kind,
    logistic_fit,
    name_share,
    stems_of,
)
from accord.answer.questions import parse
from accord.language.lexicon import lexicon, stem
from accord.models import RetrievedChunk

LEX = lexicon()


@pytest.mark.parametrize(
    "question,kinds",
    [
        ("When was the MoU signed, and by whom?", ["when", "who"]),
        ("On what date was the agreement signed?", ["when"]),
        ("How many people were convicted?", ["how_many"]),
        ("What was the number of convictions?", ["how_many"]),
        ("Who is the Prime Minister of Singapore?", ["who"]),
        ("In which city was the treaty signed?", ["where"]),
        ("Has the Ministry reviewed the terms of reference?", ["yes_no"]),
        (
            "To ask the Secretary of State for Foreign Affairs (a) whether the Government has "
            "assessed the summit; (b) if so, when the assessment was published; and (c) how many "
            "officials attended.",
            ["yes_no", "when", "how_many"],
        ),
        ("Who signed the accord? When did it enter into force?", ["who", "when"]),
        (
            "When was the accord signed, and where was it signed, and by whom?",
            ["when", "where", "who"],
        ),
        (
            "Has the Council agreed to fund the patrols, and if so, how much?",
            ["yes_no", "how_much"],
        ),
        ("After the second round of talks, what share of the quota had been used?", ["how_much"]),
        ("Which ministry chairs the working group?", ["who"]),
        ("What is the government position on the accord?", ["what"]),
        ("Which kinds of vessels may the patrols board?", ["list"]),
        # the head of the noun phrase after "what"/"which" says the kind
        ("What was the projected yearly cost of the patrol scheme?", ["how_much"]),
        ("What did the liaison office refit cost?", ["how_much"]),
        ("What tonnage of rice may Lortan export?", ["how_much"]),
        ("Which foreign firms did the envoy visit?", ["who"]),
        ("At which depot will the cutters be based?", ["where"]),
        ("What was the name of the joint naval drill?", ["name"]),
        # a kind noun inside a proper name does not say the kind; a capitalised role still does
        ("Which organisations ran Operation Coral Station last winter?", ["who"]),
        ("Which Minister opened Lortan Harbour?", ["who"]),
        ("Which station did the cutters leave from?", ["where"]),
        # an amount word as the verb after the subject asks how much; after an article it is
        # what the question is about
        ("What did the survey of the reef cost in all?", ["how_much"]),
        ("What did the envoy say about the cost of the survey?", ["what"]),
        ("What will the new grant pay for?", ["what"]),
        # a body or a role right after "which" heads the phrase; a kind noun after its verb
        # does not change the kind
        ("Which body sets the fee for a fishing licence?", ["who"]),
        # a leading "When X happened," clause does not set the kind; an indirect "(a) when ..." does
        ("When the envoys met in Lortan last spring, what did they agree on fisheries?", ["what"]),
        ("What project did the envoy raise when the ministers met?", ["what"]),
        (
            "To ask the Minister (a) when the panel first sat; and (b) who chaired it.",
            ["when", "who"],
        ),
        # statements set before the question say neither its kind nor its focus
        (
            "When the Lortan patrol fund was renewed, the ministry made two awards. Which firms "
            "won them?",
            ["who"],
        ),
        (
            "Lortan and Varesh signed a fisheries accord in 1990. To ask the Minister, when it was "
            "last reviewed.",
            ["when"],
        ),
        (
            "Where the cutters dock, Lortan pays the fees. How many cutters dock there?",
            ["how_many"],
        ),
    ],
)
def test_parts_and_the_kind_each_wants(question, kinds):
    assert [p.kind for p in parse(question).parts] == kinds


def test_two_question_words_joined_by_and_ask_two_parts():
    parts = parse("When and where did the Joint Working Committee first meet?").parts
    assert [(p.kind, p.text) for p in parts] == [
        ("when", "When did the Joint Working Committee first meet?"),
        ("where", "where did the Joint Working Committee first meet?"),
    ]
    assert [p.text for p in parse("What and how much was agreed?").parts] == [
        "What was agreed?",
        "how much was agreed?",
    ]
    assert len(parse("Where was it agreed and when?").parts) == 2  # the trailing form, as before
    assert len(parse("Who signed the treaty and the protocol?").parts) == 1


def test_statements_before_the_question_are_searched_with_it():
    q = "Mr. Arvo met the U.S. envoy in Varesh. Has the Ministry reviewed the fisheries accord?"
    [part] = parse(q).parts
    assert part.kind == "yes_no" and part.text.startswith("Has the Ministry")
    assert "envoy" in part.search and "Varesh" in part.search
    # ... but a briefing never decides the answer: its words and names are not the part's
    assert "Varesh" not in [n.text for n in part.names] and "envoy" not in part.terms.values()
    # a question that is not preceded by a statement keeps all its words as asked
    assert parse("Who signed it? When?").parts[0].text == "Who signed it?"


def test_a_parliamentary_preamble_is_not_what_is_asked():
    q = (
        "To ask the Secretary of State for Foreign, Commonwealth and Development Affairs, what "
        "assessment he has made of the fisheries agreement with Norway."
    )
    [part] = parse(q).parts
    assert "Secretary" not in part.search and "Norway" in [n.text for n in part.names]


def test_long_questions_are_parsed():
    q = (
        "To ask the Minister "
        + " ".join(
            f"({chr(97 + i)}) what the two delegations agreed on fisheries topic number {i};"
            for i in range(8)
        )
        + " and "
        + "whether further talks are planned " * 250
    )
    assert len(q) > 9000 and len(parse(q).parts) == 8


def test_names_are_capitalised_words_and_acronyms_but_not_roles():
    [part] = parse(
        "Did the Prime Minister meet the UAE delegation and Anwar Ibrahim in Kuala Lumpur?"
    ).parts
    assert [n.text for n in part.names] == ["UAE", "Anwar Ibrahim", "Kuala Lumpur"]


@pytest.mark.parametrize(
    "name,text,share",
    [
        ("Austria", "Australia and New Zealand agreed.", 0.0),  # never by prefix
        ("Niger", "Nigeria signed the accord.", 0.0),
        ("Australia", "The Australian delegation agreed.", 1.0),  # a country by its other names
        ("UAE", "The United Arab Emirates committed funds.", 1.0),  # acronyms both ways
        ("Joint Working Committee", "The JWC shall meet yearly.", 1.0),
        ("MoU", "this Memorandum of Understanding", 1.0),  # a declared alias
        ("Harbour Shield", "Exercise Harbour Shield took place.", 1.0),
    ],
)
def test_names_match_exactly_or_by_declared_alias(name, text, share):
    [n] = parse(f"What did the {name} say?").parts[0].names
    assert name_share(n, TextTerms.of(text), LEX) == share


def test_a_name_with_another_figure_names_another_thing():
    [n] = parse("How many ships joined Operation Coral Gate 2021?").parts[0].names
    assert (n.text, n.figure) == ("Operation Coral Gate", "2021")

    def share(text: str) -> float:
        return name_share(n, TextTerms.of(text), LEX)

    assert share("Operation Coral Gate 2022 drew nine ships.") == 0.0
    assert share("Operation Coral Gate 2021 drew nine ships.") == 1.0
    assert share("Operation Coral Gate drew nine ships.") == 1.0  # (it may mean it)
    assert share("Operation Coral Gate 2021 came after Operation Coral Gate 2020.") == 1.0


@pytest.mark.parametrize(
    "kind,text,ok",
    [
        ("when", "It was signed on 14 November 2023.", True),
        ("when", "It was signed in May.", False),  # "may" alone is a verb as often as a month
        ("when", "It was signed on 3 May.", True),
        ("when", "It was signed at the ceremony.", False),
        ("how_many", "Forty-one suspects were arrested.", True),
        ("how_many", "Suspects were arrested.", False),
        ("who", "The agreement was signed by Mr Tomas Arvelo.", True),
        ("who", "The Committee agreed to meet again.", True),
        ("who", "It was agreed to meet again.", False),
        ("where", "The centre shall be established at the port of Lortan Sari.", True),
        ("where", "The centre shall be established within six months.", False),
        # paragraph numbers, years, days of months and numbers inside names do not count
        ("how_many", "4. The delegates of the Border Liaison Office agreed:", False),
        ("how_many", "In 2019 the Phase 2 pilot opened on 3 June.", False),
        ("how_many", "The G7 partners met under Annex 3 of the plan.", False),
        ("how_many", "In all, 37 officers took part.", True),
        ("how_many", "About 40 vessels were inspected.", True),
        ("how_much", "Each party shall give six months' notice in writing.", True),
        ("how_much", "The fund received $4.5 million.", True),
        # a sum of money or a percentage is not a count of things
        ("how_many", "Lortan agreed to provide $6 million for the mission.", False),
        ("how_many", "Turnout rose by 12 per cent.", False),
        ("how_many", "Lortan agreed to provide $6 million and 14 instructors.", True),
        # "how often": a frequency
        ("how_long", "The council meets every Tuesday in the capital.", True),
        ("how_long", "The council meets quarterly.", True),
        ("how_long", "The council made every effort to meet.", False),
        ("how_long", "The council meets at least twice a year in the capital.", True),
        ("how_long", "The bulletin appears every quarter in both languages.", True),
        ("how_long", "The board meets each month at the ministry.", True),
        # "how long": a count of time or length, not a count of anything else
        ("how_long", "The licence runs for a period of three (3) years.", True),
        ("how_long", "Talks ended after a 14-month pause.", True),
        ("how_long", "The pipeline runs for 96 kilometres along the coast.", True),
        ("how_long", "Disputes go to a third party for settlement.", False),
        ("how_long", "The office is staffed by two officers from each side.", False),
        # "what is the name of ...": a proper name
        ("name", "The drill, Exercise Blue Heron, ended on Friday.", True),
        ("name", "The navies held a joint drill off the coast.", False),
        # an enumeration answers "which kinds of ..."
        ("list", "The parties shall cooperate on: (a) piracy; (b) smuggling; (c) fraud.", True),
        ("list", "It covers piracy, smuggling, fraud and arson.", True),
        (
            "list",
            "The aim is to strengthen cooperation on the basis of equality and mutual benefit.",
            False,
        ),
    ],
)
def test_answer_kinds(kind, text, ok):
    assert has_kind(kind, text, LEX) is ok


@pytest.mark.parametrize(
    "question,text,ok",
    [
        # an answer adds to its question: the question's own date, figure or name is not one
        (
            "On what date in 2011 did the envoy visit Lortan?",
            "The envoy visited Lortan in 2011.",
            False,
        ),
        (
            "On what date in 2011 did the envoy visit Lortan?",
            "The envoy arrived on 9 June 2011.",
            True,
        ),
        ("Who met Minister Okoro Dade?", "Minister Okoro Dade met the delegation.", False),
        ("Who met Minister Okoro Dade?", "Minister Okoro Dade met Ambassador Ruth Fenn.", True),
        ("How many of the 12 projects are in the north?", "The fund backs 12 projects.", False),
        (
            "How many of the 12 projects are in the north?",
            "Five of the 12 projects are there.",
            True,
        ),
        # a name the question gives by its acronym is not an answer to it
        (
            "What was the name of the LCG drill?",
            "The drill was run by the Lortan Coast Guard.",
            False,
        ),
    ],
)
def test_the_answer_must_add_to_the_question(question, text, ok):
    from accord.answer.kinds import given_words

    kind = parse(question).parts[0].kind
    assert has_kind(kind, text, LEX, given_words(question)) is ok


@pytest.mark.parametrize(
    "question,focus",
    [
        ("How many instructors did Lortan send to the academy?", ["instructor", "lortan", "send"]),
        ("To ask the Minister, who chairs the fisheries panel?", ["chair", "fisheri", "panel"]),
        ("Lortan has a fisheries panel. Who chairs it?", ["chair"]),
    ],
)
def test_the_focus_is_what_follows_the_question_word(question, focus):
    assert parse(question).parts[0].focus == focus


@pytest.mark.parametrize(
    "question,sentence,value",
    [
        ("How many instructors did Lortan send?", "Lortan sent 14 instructors in May.", 1.0),
        ("How many instructors did Lortan send?", "The instructors arrived in 2019.", 0.0),
        ("How many instructors did Lortan send?", "Lortan sent a training team.", 0.5),
        ("What was the number of arrests at the port?", "Police made 41 arrests there.", 1.0),
        ("When did Lortan send the instructors?", "They arrived on 3 May.", 1.0),  # counts nothing
    ],
)
def test_a_count_stands_before_what_is_counted(question, sentence, value):
    from accord.answer.decision import counted_near

    assert counted_near(parse(question).parts[0].counted, sentence, LEX) == value


@pytest.mark.parametrize(
    "british,american",
    [
        ("defence", "defense"),
        ("National Security Adviser", "national security advisor"),
        ("organisations", "organizations"),
        ("analysed", "analyzed"),
        ("travelled", "traveled"),
        ("behavioural", "behavioral"),
        ("programmes", "programs"),
        ("haemophilia", "hemophilia"),
    ],
)
def test_british_and_american_spellings_match(british, american):
    assert stems_of(british) == stems_of(american)


@pytest.mark.parametrize("a,b", [("filled", "filed"), ("prize", "prise"), ("four", "for")])
def test_spelling_rules_do_not_merge_different_words(a, b):
    assert stem(a) != stem(b)


def test_a_dotted_acronym_is_a_name_not_a_word_to_find():
    part = parse("How will U.K. ties with Lortan change?").parts[0]
    assert "uk" in [n.acronym for n in part.names]
    assert not any("." in t for t in part.terms)


@pytest.mark.parametrize(
    "text,acronym",
    [
        ("the Treaty of Mutual Cooperation and Security", "tmcs"),
        ("the Treaty of Mutual Cooperation and Security", "tomcas"),
        ("the Bank for International Settlements", "bis"),
        ("leaders of the United States and Lortan", "us"),
        # a sentence's opening word runs into the name; "on" may be skipped
        ("The Standing Committee on Fisheries met.", "scf"),
    ],
)
def test_acronyms_with_and_without_their_small_words(text, acronym):
    assert acronym in TextTerms.of(text).acronyms


def test_the_stemmer_is_safe_across_threads():
    words = ["signed", "signing", "ratification", "conventions", "agreed"] * 200
    want = [stem(w) for w in words]
    stem.cache_clear()
    got: list[list[str]] = []

    def run():
        got.append([stem(w) for w in words])

    threads = [threading.Thread(target=run) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(g == want for g in got)


def test_logistic_fit_separates_and_the_decision_classes_three_ways():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, len(FEATURES)))
    y = (x[:, 0] + 0.5 * x[:, 2] > 0).astype(float)
    w, b = logistic_fit(x, y, l2=0.1)
    assert w[0] > 1 and w[2] > 0.5
    d = Decision(w, b, answer_at=0.7, weak_at=0.4)
    assert d.verdict(0.8, True) == "answer"
    assert d.verdict(0.8, False) == "weak"  # no date for "when": at most the closest passage
    assert d.verdict(0.5, True) == "weak" and d.verdict(0.1, True) == "none"


def test_the_shipped_decision_loads():
    d = Decision.load()
    assert d.weights.shape == (len(FEATURES),) and 0 < d.weak_at <= d.answer_at < 1


class _Embedder:
    """Embeds every text as the same unit vector: scores then rest on words and kinds."""

    name, dimension = "constant", 4

    def embed_batch(self, texts):
        return np.ones((len(texts), 4), dtype=np.float32) / 2.0

    def embed_query(self, text):
        return np.ones(4, dtype=np.float32) / 2.0


def _chunk(text, source="a.md", title="Progress report"):
    return RetrievedChunk(
        chunk_id=f"{source}#0",
        text=text,
        score=1.0,
        dense_score=0.6,
        metadata={
            "source": source,
            "title": title,
            "char_start": 0,
            "doc_type": "report",
            "date": "2024-03-19",
        },
    )


def test_a_multi_part_question_is_answered_part_by_part():
    from accord.answer.extractive import ExtractiveAnswerer

    doc = (
        "The Committee held its first meeting at Sarapura on 19 March 2024. The meeting was "
        "co-chaired by Ms Clara Benedek and Dr Surya Mahendra."
    )
    ans = ExtractiveAnswerer(_Embedder(), lambda w: 2.0, document_text=lambda s: doc)
    chunk = _chunk(doc)
    q = (
        "To ask the Minister (a) when the Committee first met; (b) who co-chaired the "
        "meeting; and (c) what the budget of the secretariat is."
    )
    parsed = parse(q)
    out = ans.compose_parts(q, [(p, [chunk], np.ones(4) / 2) for p in parsed.parts])
    assert [p["kind"] for p in out.parts] == ["when", "who", "how_much"]
    lines = out.text.split("\n")
    assert lines[0].startswith("(a)") and "19 March 2024" in lines[0]
    assert lines[1].startswith("(b)") and "Clara Benedek" in lines[1]
    assert out.parts[2]["verdict"] in ("none", "weak")


def test_a_decision_fitted_before_the_reader_does_not_use_it(tmp_path):
    """A decision file without the reader's features gives them weight 0, so the answerer
    need not read; one that weighs them does."""
    d = Decision.load()
    assert not d.uses_reader
    for f in ("reader", "reader_span"):
        assert d.weights[FEATURES.index(f)] == 0.0
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    data["weights"]["reader"] = 1.5
    path = tmp_path / "with-reader.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert Decision.load(path).uses_reader


def test_features_are_named_once_each_and_the_vector_follows_the_names():
    """The decision's weights are read by name: every feature the answerer computes is one the
    decision knows, and the vector puts each value where its name says."""
    from accord.answer.decision import PartTerms, features, idf_weights, vector

    part = parse("When did the Joint Working Committee first meet?").parts[0]
    weights = idf_weights(part, lambda t: 2.0)
    terms = PartTerms.of(part, weights, 2.0)
    sentence = "The Joint Working Committee met for the first time on 19 March 2024."
    held = TextTerms.of(sentence)
    named = features(part, terms, sentence, held, 0.7, 0.5, held, held, set(), 0, LEX, reader=0.25)
    assert sorted(named) == sorted(FEATURES) and len(set(FEATURES)) == len(FEATURES)
    x = vector(named)
    for name in ("sim", "psim", "reader", "kind_sent"):
        assert x[FEATURES.index(name)] == named[name]
    assert named["sim"] == 0.7 and named["reader"] == 0.25 and named["kind_sent"] == 1.0
