"""The reader's training helpers that decide what it learns and how its score is calibrated
(no torch needed): Platt scaling, the answer-removed negatives, the left-out contexts and the
"no answer" margin."""

from __future__ import annotations

import random

import numpy as np

from accord.answer.reader import null_margin, reader_input
from evals.train_reader import BLANK, answer_removed, blank_context, platt


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def test_platt_recovers_the_scaling_of_a_calibrated_score():
    rng = np.random.default_rng(0)
    z = rng.normal(0, 3, 20000)
    y = (rng.random(len(z)) < _sigmoid(0.5 * z - 1.0)).astype(float)
    a, b = platt(z, y)
    assert abs(a - 0.5) < 0.05 and abs(b + 1.0) < 0.1


def test_platt_stays_finite_on_a_wide_nearly_separable_score():
    """A null margin spans tens of logits and its floor (-50) holds many negatives: plain
    Newton steps ran to a = 1e13 on it."""
    rng = np.random.default_rng(1)
    neg = np.concatenate([np.full(3000, -50.0), rng.normal(-12, 4, 3000)])
    pos = rng.normal(2, 4, 600)
    z = np.concatenate([neg, pos])
    y = np.concatenate([np.zeros(len(neg)), np.ones(len(pos))])
    a, b = platt(z, y)
    assert np.isfinite(a) and np.isfinite(b) and 0 < a < 10
    p = _sigmoid(a * z + b)
    assert abs(p.mean() - y.mean()) < 0.02  # calibrated on average


def test_answer_removed_takes_out_the_answer_words_and_keeps_the_context():
    sentence = "The treaty was signed in Canberra on 1 September 1951 by the three governments."
    start = sentence.index("on 1 September 1951")
    ex = {
        "q": "When was the treaty signed?",
        "sentence": sentence,
        "cover": (start, start + len("on 1 September 1951")),
        "heading": "ANZUS",
        "previous": "The talks ended.",
    }
    made = answer_removed(ex)
    assert made is not None and made["label"] == 0.0
    assert made["sentence"] == "The treaty was signed in Canberra by the three governments."
    assert made["pair"] == reader_input(ex["q"], made["sentence"], "ANZUS", "The talks ended.")
    short = {**ex, "sentence": "Signed 1 September 1951.", "cover": (7, 23)}
    assert answer_removed(short) is None  # too little left to be a sentence


def test_blank_context_leaves_out_heading_and_previous_at_the_set_rate():
    ex = {
        "q": "Who signed?",
        "sentence": "Mr Casey signed.",
        "heading": "Treaty",
        "previous": "The ceremony began.",
        "label": 1.0,
    }
    rng = random.Random(5)
    made = [blank_context(ex, rng) for _ in range(4000)]
    no_heading = np.mean([" Treaty | " not in m["pair"][1] for m in made])
    no_previous = np.mean([not m["pair"][1].endswith("The ceremony began.") for m in made])
    assert abs(no_heading - BLANK) < 0.03 and abs(no_previous - BLANK) < 0.03
    assert all(m["sentence"] == ex["sentence"] and m["label"] == 1.0 for m in made)
    assert ex["heading"] == "Treaty"  # the original is not changed


def test_null_margin_is_the_best_span_against_the_no_answer_position():
    start = np.array([2.0, 0.0, 3.0, 0.0, 0.0])
    end = np.array([1.0, 0.0, 0.0, 4.0, 0.0])
    # sentence tokens 1..4: best span (2, 3) = 3 + 4 = 7; "no answer" = 2 + 1 = 3
    assert null_margin(start, end, 1, 5) == 4.0
    assert null_margin(start, end, 1, 1) == float("-inf")  # an empty sentence
