"""evals.same_answers: two eval runs compared question by question."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from evals.same_answers import differences, main


def run() -> dict:
    question = {
        "id": "q1",
        "answer": "Ten (10) years [1]",
        "refused": False,
        "weak": False,
        "parts": [{"part": "How long?", "verdict": "answer", "leads": [{"n": 1}]}],
        "citations": [{"n": 1, "source": "mou.pdf", "page": 3, "quote": "ten (10) years"}],
        "retrieved": [{"source": "mou.pdf", "score": 0.5, "page": 3}],
        "latency_ms": 120.0,
    }
    config = {"qa_sha256": "abc", "index_generation": 4, "mode": "hybrid", "k": 8}
    return {"config": config, "questions": [question]}


def test_the_same_run_has_no_difference_and_latency_is_not_compared() -> None:
    other = run()
    other["questions"][0]["latency_ms"] = 999.0
    assert differences(run(), other) == []


@pytest.mark.parametrize(
    "path, value",
    [
        (("answer",), "Five (5) years [1]"),
        (("refused",), True),
        (("citations", 0, "page"), 4),
        (("citations", 0, "quote"), "five (5) years"),
        (("retrieved", 0, "score"), 0.4),
        (("parts", 0, "leads"), []),
    ],
)
def test_each_difference_an_officer_would_see_is_reported(path: tuple, value: object) -> None:
    new = copy.deepcopy(run())
    target = new["questions"][0]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    found = differences(run(), new)
    assert found and all(line.startswith("q1: ") for line in found)


def test_the_command_exits_1_on_a_difference_and_2_on_runs_of_other_sets(tmp_path: Path) -> None:
    old, new, other = tmp_path / "old.json", tmp_path / "new.json", tmp_path / "other.json"
    old.write_text(json.dumps(run()))
    changed = run()
    changed["questions"][0]["answer"] = "Five (5) years [1]"
    new.write_text(json.dumps(changed))
    mismatched = run()
    mismatched["config"]["qa_sha256"] = "def"
    other.write_text(json.dumps(mismatched))
    assert main([str(old), str(old)]) == 0
    assert main([str(old), str(new)]) == 1
    assert main([str(old), str(other)]) == 2
    assert main([str(old)]) == 2


def test_an_answer_of_another_old_run_is_the_same(tmp_path: Path, capsys) -> None:
    """Dense search is approximate: the old code's runs can differ, and a new answer equal to
    the old code's in any run is not a change."""
    old_a, old_b, new = (tmp_path / d for d in ("old-a-set", "old-b-set", "new-set"))
    for d in (old_a, old_b, new):
        d.mkdir()
    first, second = run(), run()
    second["questions"][0]["retrieved"][0]["score"] = 0.45
    (old_a / "results.json").write_text(json.dumps(first))
    (old_b / "results.json").write_text(json.dumps(second))
    (new / "results.json").write_text(json.dumps(second))
    prefixes = [str(tmp_path / "old-a-"), str(tmp_path / "new-")]
    assert main(["--dirs", *prefixes]) == 1
    assert main(["--dirs", *prefixes, "--also", str(tmp_path / "old-b-")]) == 0
    assert "1 more differ from the first old run only" in capsys.readouterr().out
    third = run()
    third["questions"][0]["answer"] = "Five (5) years [1]"
    (new / "results.json").write_text(json.dumps(third))
    assert main(["--dirs", *prefixes, "--also", str(tmp_path / "old-b-")]) == 1
