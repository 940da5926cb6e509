"""The pure parts of the assistant container and the Home tab: the index overview for an
audience, suggested prompts, sentences to stream, and the Home view for admins and others."""

from __future__ import annotations

import re

from accord.access.audiences import Audience
from accord.access.markings import load_rules
from accord.access.overview import Catalogue, IndexOverview, TitleCount, clearance_in_words
from bot.blocks import split_sentences
from bot.home_view import home_view
from bot.streaming import group
from bot.suggestions import MAX_PROMPTS, TITLE_CHARS, suggested_prompts
from tests.conftest import make_settings

RULES = load_rules(None)


class Documents:
    """A manifest's read side over a list, with a generation that moves when the list does."""

    def __init__(self, rows: list[dict]) -> None:
        self.rows, self.gen, self.reads = rows, 1, 0

    def catalogue(self) -> list[dict]:
        self.reads += 1
        return list(self.rows)

    def generation(self) -> int:
        return self.gen

    def last_run(self) -> dict | None:
        return {"finished": 1_700_000_000.0}


def doc(
    source: str,
    title: str,
    marking: str = "UNMARKED",
    caveats: list | None = None,
    doc_type: str = "mou",
    date: str | None = "2024-01-01",
) -> dict:
    return {
        "source": source,
        "title": title,
        "doc_type": doc_type,
        "date": date,
        "marking": marking,
        "caveats": [] if caveats is None else caveats,
        "indexed_at": 1_600_000_000.0,
    }


def test_overview_counts_only_what_the_audience_may_see():
    docs = Documents(
        [
            doc("a", "Joint Statement", doc_type="statement", date="2024-05-01"),
            doc("b", "joint  statement", doc_type="statement", date="2025-05-01"),
            doc("c", "Annual Report", "CONFIDENTIAL", doc_type="report", date="2026-01-01"),
            doc("d", "Liaison Brief", "OFFICIAL", ["AUSTEO"], date="2026-02-01"),
            doc("e", "Old Entry", caveats=None) | {"caveats": None},  # caveats never recorded
            doc("f", "MoU", "OFFICIAL", date="2023-01-01"),
        ]
    )
    cat = Catalogue(docs, RULES)
    official = cat.overview(Audience("OFFICIAL"))
    assert (official.total, official.indexed) == (3, 6)
    assert official.by_type == {"statement": 2, "mou": 1}
    assert [t.title for t in official.titles] == ["Joint Statement", "MoU"]
    assert official.titles[0] == TitleCount("Joint Statement", 2, "statement", "2025-05-01")
    secret = cat.overview(Audience("SECRET", frozenset({"AUSTEO"})))
    assert secret.total == 5 and secret.by_type["report"] == 1
    # the most frequent title first, then the most recent
    assert [t.title for t in secret.titles][:3] == [
        "Joint Statement",
        "Liaison Brief",
        "Annual Report",
    ]
    assert secret.last_sync == 1_700_000_000.0
    assert docs.reads == 1  # read once per index generation ...
    docs.rows.append(doc("g", "New Agreement"))
    docs.gen += 1
    assert cat.overview(Audience("OFFICIAL")).total == 4 and docs.reads == 2  # ... and again


def test_clearance_in_words():
    words = clearance_in_words(RULES, Audience("RESTRICTED", frozenset({"AUSTEO"})))
    assert words.startswith("You may read documents marked up to RESTRICTED (UNMARKED, OFFICIAL")
    assert "caveated AUSTEO" in words
    assert "no caveats" in clearance_in_words(RULES, Audience("OFFICIAL"))
    assert "every marking" in clearance_in_words(RULES, Audience(RULES.top))


def test_suggested_prompts_admin_list_first_else_titles_by_type():
    view = IndexOverview(
        3,
        3,
        titles=(
            TitleCount("The Agreement on Border Patrols", 2, "mou", "2024-01-01"),
            TitleCount(
                "Minutes of the Fifth Meeting " + "of the Committee " * 8, 1, "minutes", None
            ),
            TitleCount("Readout", 1, "unknown-type", None),
        ),
    )
    admin = suggested_prompts(["First?", "Second?", "Third?", "Fourth?", "Fifth?"], view)
    assert [p["message"] for p in admin] == ["First?", "Second?", "Third?", "Fourth?"]
    made = suggested_prompts([], view)
    assert len(made) == 3 <= MAX_PROMPTS
    assert made[0]["title"] == "The Agreement on Border Patrols"
    assert "the Agreement on Border Patrols" in made[0]["message"]
    assert "the The" not in made[0]["message"]
    assert len(made[1]["title"]) <= TITLE_CHARS and made[1]["title"].endswith("\u2026")
    assert "Minutes of the Fifth Meeting" in made[1]["message"]
    assert "Readout" in made[2]["message"]  # an unknown type gets the general form
    assert suggested_prompts([], IndexOverview(0, 9)) == []


def test_admin_prompts_setting_is_split_on_bars(tmp_path):
    s = make_settings(tmp_path, assistant_prompts=" When was it signed? | |Who chairs the JWC?")
    assert s.assistant_prompt_list == ["When was it signed?", "Who chairs the JWC?"]


def test_sentences_to_stream_join_back_to_the_answer():
    text = (
        "The MoU was signed on 14 November 2023 [1]. It lasts five years [2][3]; renewal is "
        "automatic.\n\nA second paragraph. " + "word " * 900
    )
    pieces = split_sentences(text, limit=1000)
    assert "".join(pieces) == text.strip()
    assert pieces[0] == "The MoU was signed on 14 November 2023 [1]. "
    assert pieces[1] == "It lasts five years [2][3]; "
    assert all(len(p) <= 1001 for p in pieces)
    assert not any(re.search(r"\[\d*$", p.rstrip()) for p in pieces)  # no marker cut
    assert split_sentences("  ") == []
    grouped = group([f"s{i} " for i in range(95)], 40)
    assert len(grouped) <= 40 and "".join(grouped) == "".join(f"s{i} " for i in range(95))


def test_home_view_differs_for_admins():
    view = IndexOverview(4, 9, {"mou": 3, "statement": 1}, 1_700_000_000.0)
    aud = Audience("OFFICIAL", reason="user U1: default")
    officer = str(home_view(view, aud, RULES))
    admin = str(
        home_view(
            view, aud, RULES, {"answers": 7, "helpful": 3, "not_helpful": 1, "wrong_source": 2}
        )
    )
    assert "You may read *4* documents." in officer and "of the *9* indexed" not in officer
    assert "You may read *4* documents of the *9* indexed." in admin
    assert "Answers given: 7" in admin and "wrong source: 2" in admin
    assert "Answers given" not in officer
    assert "2023-11-14 22:13 UTC" in officer and "user U1: default" in officer
    assert "never" in str(home_view(IndexOverview(0, 0), aud, RULES))
