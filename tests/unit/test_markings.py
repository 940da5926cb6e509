"""Markings as real documents write them, national schemes on one ladder, caveats, fail-closed
handling of what cannot be mapped, and how text, front matter, sidecars and folders combine."""

from __future__ import annotations

import pytest

from accord.access.markings import load_rules
from ingest.metadata import FolderDefault, build_metadata

R = load_rules()


def marking_of(text, meta=None, sidecar=None, **kw):
    m = build_metadata("doc.md", text, meta or {}, sidecar or {}, R, **kw)
    return m["marking"], m["caveats"]


# Shapes seen in ../shared/corpus/dfat (numbers changed), and others the issue names.
@pytest.mark.parametrize(
    "line,level,caveats",
    [
        ("248. TOP SECRET AND PERSONAL", "TOP SECRET", ["PERSONAL"]),
        ("3467. IMMEDIATE TOP SECRET", "TOP SECRET", []),
        ("154. PRIORITY SECRET", "SECRET", []),
        ("No 63. CONFIDENTIAL NZEO PRIORITY", "CONFIDENTIAL", ["NZEO"]),
        ("E (12) 41. CONFIDENTIAL", "CONFIDENTIAL", []),
        ("1286\\. PRIORITY TOP SECRET", "TOP SECRET", []),
        ("77\\. Secret Immediate", "SECRET", []),
        ("No. E (79) M 41 PART II: CONFIDENTIAL", "CONFIDENTIAL", []),
        ("1234.WLN CONFIDENTIAL", "CONFIDENTIAL", []),
        ("No 701. CONFIDENTIAL NEW ZEALAND EYES ONLY IMMEDIATE", "CONFIDENTIAL", ["NZEO"]),
        ("No 2169. CONFIDENTIAL (NZEO) PRIORITY", "CONFIDENTIAL", ["NZEO"]),
        ("12\\. Top Secret Austeo Priority", "TOP SECRET", ["AUSTEO"]),
        ("PERSONAL AND SECRET", "SECRET", ["PERSONAL"]),
        ("No. 103. Your No. 105. Secret.", "SECRET", []),
        ("**Confidential**", "CONFIDENTIAL", []),
        ("FLASH SECRET", "SECRET", []),
        ("ROUTINE RESTRICTED", "RESTRICTED", []),
        ("OFFICIAL-SENSITIVE", "OFFICIAL-SENSITIVE", []),
        ("OFFICIAL: Sensitive", "OFFICIAL-SENSITIVE", []),
        ("PROTECTED", "CONFIDENTIAL", []),
        ("RAHSIA BESAR", "TOP SECRET", []),
        ("RAHSIA", "SECRET", []),
        ("SULIT", "CONFIDENTIAL", []),
        ("TERHAD", "RESTRICTED", []),
        ("CUI", "OFFICIAL-SENSITIVE", []),
        ("SECRET//NOFORN", "SECRET", ["NOFORN"]),
        ("TOP SECRET//SI//NOFORN", "TOP SECRET", ["NOFORN", "SCI"]),
        ("SECRET//REL TO USA, AUS", "SECRET", ["REL TO AUS/USA"]),
        ("CONFIDENTIAL REL TO MYS/SGP", "CONFIDENTIAL", ["REL TO MYS/SGP"]),
        ("SECRET SINGAPORE EYES ONLY", "SECRET", ["SINGAPORE EYES ONLY"]),
        ("UNCLASSIFIED//FOR OFFICIAL USE ONLY", "OFFICIAL-SENSITIVE", []),
        # typed with the letters spaced out
        ("S E C R E T", "SECRET", []),
        ("T O P   S E C R E T", "TOP SECRET", []),
        ("C O N F I D E N T I A L", "CONFIDENTIAL", []),
        # after a label that says a marking follows, in any case
        ("Security classification: Protected", "CONFIDENTIAL", []),
        ("Classification: Restricted - Austeo", "RESTRICTED", ["AUSTEO"]),
        ("Classified: Secret", "SECRET", []),
    ],
)
def test_marking_lines_as_written(line, level, caveats):
    text = f"Cablegram, Canberra, 4 April 1951\n\n{line}\n\nThe Minister said the talks went well."
    assert marking_of(text) == (level, caveats)


@pytest.mark.parametrize(
    "text",
    [
        "the Prime Minister's\nofficial state visit next week",
        "Secretary of State Blinken met\nSecret Service agents said",
        "They held confidential talks.",
        "Secret Service",  # a heading in title case, no serial number: not a marking
        "CHAIRMAN, CABINET ECONOMIC COMMITTEE",
        "Protected areas were discussed.",
        "Official Visit to Sundara",
        "A B C D",
    ],
)
def test_prose_and_headings_are_not_markings(text):
    assert marking_of(text + "\n\nMore text here.") == ("UNMARKED", [])


@pytest.mark.parametrize(
    "line",
    [
        "SECRET ZEBRA",
        "59. 98. Secret Piority And Personal",
        "CLASSIFIED",
        "TOP SECRET UMBRA GAMMA X",
        "Classification: Amber Plus",  # a labelled marking nobody can map
    ],
)
def test_a_marking_line_that_cannot_be_mapped_goes_to_the_top_and_is_reported(line):
    m = build_metadata("doc.md", f"{line}\n\nText of the cable.", {}, {}, R)
    assert m["marking"] == "TOP SECRET"
    problems = [e for e in m["marking_evidence"] if e["problem"]]
    assert problems and problems[0]["line"] == line


def test_the_highest_marking_and_every_caveat_win():
    text = "CONFIDENTIAL\n\nBody.\n\nAttachment\n\nSECRET AUSTEO\n\nMore."
    assert marking_of(text) == ("SECRET", ["AUSTEO"])


def test_a_marking_in_the_foot_of_a_pdf_page_counts():
    pages = ["Page one text of the report.\nMore text.", "Second page body.\n\nRESTRICTED"]
    text = "\n\n".join(pages)
    starts = [0, len(pages[0]) + 2]
    m = build_metadata("r.pdf", text, {}, {}, R, page_starts=starts)
    assert m["marking"] == "RESTRICTED"
    assert m["marking_evidence"][0]["where"].startswith("p. 2")


def test_word_headers_and_html_meta_are_read_as_marking_zones():
    m = build_metadata(
        "a.docx", "Body text.", {}, {}, R, extra_zones=[("section 1 header", "SULIT")]
    )
    assert m["marking"] == "CONFIDENTIAL"
    assert m["marking_evidence"][0]["kind"] == "header/footer"


@pytest.mark.parametrize(
    "value,level",
    [
        ("PROTECTED", "CONFIDENTIAL"),
        ("sulit", "CONFIDENTIAL"),
        ("Rahsia Besar", "TOP SECRET"),
        ("OFFICIAL: Sensitive", "OFFICIAL-SENSITIVE"),
        ("SECRET//NOFORN", "SECRET"),
        ("UNCLASSIFIED", "OFFICIAL"),
        ("none", "UNMARKED"),
    ],
)
def test_front_matter_values_of_every_scheme(value, level):
    assert marking_of("Body.", {"marking": value})[0] == level


@pytest.mark.parametrize(
    "key,value",
    [("marking", "BANANA"), ("classification", "SECRET-ISH X"), ("marking", "SENSITIVE")],
)
def test_an_unknown_declared_marking_is_the_top_of_the_ladder_and_reported(key, value):
    m = build_metadata("a.md", "Body.", {key: value}, {}, R)
    assert m["marking"] == "TOP SECRET"
    assert any(e["problem"] and e["line"] == value for e in m["marking_evidence"])


def test_declared_markings_never_lower_the_text_and_only_an_explicit_override_does():
    text = "SECRET\n\nRecord of conversation."
    assert marking_of(text, {"marking": "OFFICIAL"})[0] == "SECRET"
    assert marking_of(text, {}, {"marking": "CONFIDENTIAL"})[0] == "SECRET"
    m = build_metadata("a.md", text, {}, {"marking": "OFFICIAL", "marking_override": True}, R)
    assert m["marking"] == "OFFICIAL"
    assert m["marking_evidence"][0]["kind"] == "sidecar override"


def test_caveats_from_front_matter_are_kept_even_when_unknown():
    level, caveats = marking_of(
        "Body.",
        {"marking": "RESTRICTED", "caveats": ["Australian Eyes Only", "REL TO SGP", "BLUE"]},
    )
    assert level == "RESTRICTED" and caveats == ["AUSTEO", "BLUE", "REL TO SGP"]


def test_a_folder_default_is_a_floor_that_the_text_can_raise():
    floor = [FolderDefault("minutes/_folder.meta.yaml", {"marking": "RESTRICTED"})]
    assert marking_of("Plain minutes.", folder_defaults=floor)[0] == "RESTRICTED"
    assert marking_of("SECRET\n\nMinutes.", folder_defaults=floor)[0] == "SECRET"
    m = build_metadata("a.md", "Plain minutes.", {}, {}, R, folder_defaults=floor)
    assert m["marking_evidence"][0]["kind"] == "folder default"


def test_nothing_found_says_so():
    m = build_metadata("a.md", "A public statement.", {}, {}, R)
    assert (m["marking"], m["marking_evidence"][0]["kind"]) == ("UNMARKED", "none found")


@pytest.mark.parametrize(
    "name,level",
    [
        ("SULIT", "CONFIDENTIAL"),
        ("top secret", "TOP SECRET"),
        ("OFFICIAL-SENSITIVE", "OFFICIAL-SENSITIVE"),
        ("Protected", "CONFIDENTIAL"),
        ("BANANA", None),
    ],
)
def test_clearance_names(name, level):
    assert R.level_named(name) == level
