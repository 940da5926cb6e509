"""Instruments on text the tests write (dates themselves: test_dates.py): entry into force,
terms, renewal, amendments, supersession, status on a date, unresolved references."""

from __future__ import annotations

from accord.instruments.registry import Registry, article_of, read_instrument


def inst(source, text, title="", date=None, extra=None):
    return read_instrument(
        source, text, {"title": title, "doc_type": "mou", "date": date, "extra": extra or {}}
    )


def test_entry_term_and_expiry():
    a = inst(
        "a.md",
        "1. This Agreement shall enter into force on 1 January 2020. 2. It shall "
        "remain in force for a period of three (3) years.",
        "Fisheries Agreement",
        "2019-12-01",
    )
    assert (a.entry_into_force, a.term_months, a.renews) == ("2020-01-01", 36, False)
    reg = Registry([a])
    assert reg.status("a.md", "2019-12-15").state == "not yet in force"
    assert reg.status("a.md", "2021-06-01").state == "in force"
    assert reg.status("a.md", "2023-06-01").state == "expired"


def test_a_five_year_term_from_the_30th_expires_on_the_30th_not_before():
    a = inst(
        "a.md",
        "1. This MoU shall enter into force on 30 November 2023. 2. It shall "
        "remain in force for a period of five (5) years.",
        "MoU",
        "2023-11-30",
    )
    reg = Registry([a])
    assert reg.status("a.md", "2028-11-29").state == "in force"
    assert reg.status("a.md", "2028-11-30").state == "expired"


def test_a_term_in_words_and_renewal_keep_it_in_force():
    b = inst(
        "b.md",
        "This Arrangement shall come into effect on the date of signature and "
        "shall remain in force for ten years, and shall be automatically renewed for "
        "further periods of five years.\n\nDONE at Canberra on 2 May 2001.",
        "Arrangement",
        "2001-05-02",
    )
    assert (b.signed, b.entry_into_force, b.term_months, b.renews) == (
        "2001-05-02",
        "2001-05-02",
        120,
        True,
    )
    assert Registry([b]).status("b.md", "2026-01-01").state == "in force"


def test_the_signing_block_dates_the_instrument_not_a_date_it_mentions():
    c = inst(
        "c.md",
        "Recalling the Joint Declaration of 5 June 2019, the Parties agree ...\n\n"
        "DONE at Kuala Lumpur on 26 October 2025, in duplicate.",
        "MoU",
        "2019-06-05",
    )
    assert c.signed == "2025-10-26" and "Kuala Lumpur" in c.signed_evidence.text


def test_amendment_clauses_and_the_defined_term_resolve_to_the_instrument():
    base = inst(
        "mou.md",
        "Article 4 - Duration\n1. This MoU shall remain in force for a period of two (2) years.",
        "Memorandum of Understanding on Customs Cooperation",
        "2018-04-10",
    )
    amending = inst(
        "prot.md",
        "RECALLING the Memorandum of Understanding on Customs Cooperation signed at "
        'Hanoi on 10 April 2018 (hereinafter referred to as "the Memorandum"),\n\n'
        'Paragraph 1 of Article 4 of the Memorandum shall be replaced by the following: "1. '
        'This MoU shall remain in force for a period of six (6) years."\n\n'
        "This Protocol shall enter into force on the date of its signature.\n\n"
        "DONE at Hanoi on 9 April 2020.",
        "Protocol to the MoU on Customs Cooperation",
    )
    reg = Registry([base, amending])
    [rel] = amending.relations
    assert (rel.kind, rel.target, rel.target_date) == ("amends", "mou.md", "2018-04-10")
    assert rel.changes[0].article == "4(1)" and "six (6) years" in rel.changes[0].new_text.text
    now = reg.status("mou.md", "2021-01-01")
    assert now.state == "in force" and now.term_months == 72  # as amended
    assert reg.status("mou.md", "2019-01-01").term_months == 24  # before the protocol
    assert reg.amendment_for("mou.md", "4(1)", "2021-01-01")[0] == "prot.md"
    assert reg.amendment_for("mou.md", "4(1)", "2019-06-01") is None


def test_supersession_and_unresolved_references():
    old = inst("old.md", "Text.", "Agreement on Maritime Search and Rescue", "2010-05-05")
    new = inst(
        "new.md",
        "This Agreement supersedes the Agreement on Maritime Search and Rescue "
        "signed on 5 May 2010. It replaces the Exchange of Letters of 1998 on Pilotage.",
        "Agreement on Maritime Search and Rescue Cooperation",
        "2021-02-01",
    )
    reg = Registry([old, new])
    assert reg.status("old.md", "2022-01-01").state == "superseded"
    assert reg.status("old.md", "2020-01-01").state != "superseded"
    assert [r.target_ref for _, r in reg.unresolved] == [
        "the Exchange of Letters of 1998 on Pilotage"
    ]


def test_article_of_a_sentence():
    text = "Article 8 - Amendment\n1. Text.\nArticle 9 - Duration\n2. This MoU shall remain."
    start = text.index("2. This")
    assert article_of(text, start, text[start:]) == "9(2)"
    assert article_of("No articles here. 2. Text.", 18, "2. Text.") is None


def test_a_document_is_dated_by_its_own_date_not_a_date_it_mentions():
    from ingest.metadata import own_date

    statement = (
        "KUALA LUMPUR: The two countries held their first meeting.\nThe meeting operated "
        "under the MoU on transborder crime.\nThis MoU was signed in Singapore on "
        "November 14, 2024, by both home ministers."
    )
    assert own_date(statement, "statement") is None  # only another instrument's date
    assert own_date("Issued on 3 May 2024\n\nThe MoU was signed on 1 June 2020.") == "2024-05-03"
    assert (
        own_date("Cablegram, Washington, 20 July 1951\n\n1286. PRIORITY TOP SECRET") == "1951-07-20"
    )
    assert (
        own_date(
            "HAVING REGARD to the MoU signed at Port Aldric on 14 November 2023;\n\n"
            "DONE at Sarapura on 3 June 2025.",
            "mou",
        )
        == "2025-06-03"
    )


def test_signing_blocks_with_day_of_month_and_places_in_several_parts():
    a = inst(
        "a.md",
        "IN WITNESS WHEREOF the undersigned have signed this Accord.\n\nDone at "
        "Lakeport, Newland, this 4th day of March, 2019, in two originals.",
    )
    b = inst("b.md", "Signed at Riverton, on the 2nd of May 2020, in duplicate.")
    assert (a.signed, b.signed) == ("2019-03-04", "2020-05-02")
    assert "Lakeport, Newland" in a.signed_evidence.text


def test_taking_effect_on_signature_and_a_term_without_for():
    a = inst(
        "a.md",
        "1. This Arrangement is intended to take effect upon signature by both "
        "Participants.\n\n2. This Arrangement shall remain in force 15 years from its entry "
        "into force.\n\nSigned at Riverton on June 2, 2016.",
    )
    assert (a.signed, a.entry_into_force, a.term_months) == ("2016-06-02", "2016-06-02", 180)


def test_a_term_or_entry_into_force_reported_of_another_instrument_is_not_the_documents():
    letter = inst(
        "l.md",
        "We recall that Article 4 of the Convention provides that the Convention "
        "shall remain in force for eight years. The old treaty shall enter into force on "
        "1 May 1960 according to the minute.",
    )
    assert (letter.term_months, letter.entry_into_force) == (None, None)


def test_implementing_extending_and_amending_named_instruments():
    t = inst(
        "t.md",
        "The Participants commit to implementing the Action Plan Agreement on Water "
        "Security, signed 9 May 2017, in full. The two sides renewed the Memorandum of "
        "Understanding on Tourism for five more years.\n\nI transmit the text of an "
        'amendment (the "Amendment") to the Convention on Inland Fisheries of May 4, 1990, '
        "as amended.",
    )
    got = [(r.kind, r.target_ref, r.target_date) for r in t.relations]
    assert got == [
        ("amends", "the Convention on Inland Fisheries of May 4, 1990", "1990-05-04"),
        ("extends", "the Memorandum of Understanding on Tourism", None),
        ("implements", "the Action Plan Agreement on Water Security", "2017-05-09"),
    ]


def test_titles_recommendations_and_nouns_that_name_no_instrument_make_no_relation():
    t = inst(
        "t.md",
        "Recalling the Work Programme to Implement the Coastal Partnership Agreement. "
        "The report recommends that a new Treaty supersede the Treaty of Amity. The panel "
        "found that the new Agreement shall supersede the Agreement on Trade. Both sides "
        "will implement the Green Growth Deal.",
    )
    assert t.relations == []


def test_the_resolver_needs_the_same_head_noun_and_year():
    statement = inst(
        "js.md",
        "Text.",
        "Joint Statement on a Framework for an Agreement on Reciprocal Fisheries",
        "2024-05-01",
    )
    decl = inst("jd.md", "Text.", "Joint Declaration of the Harbour Summit", "2019-03-01")
    later = inst(
        "x.md",
        "Both leaders commit to implementing the Agreement on Reciprocal "
        "Fisheries. They will implement the Joint Declaration of the 2015 Harbour Summit.",
        "Readout",
        "2025-01-01",
    )
    reg = Registry([statement, decl, later])
    assert [r.target for r in later.relations] == [None, None]
    assert len(reg.unresolved) == 2


def test_a_short_memorandum_reference_resolves_to_the_memorandum_of_understanding():
    mou = inst("m.md", "Text.", "Memorandum of Understanding on Port Security", "2012-03-01")
    new = inst(
        "n.md",
        "This Agreement supersedes the Memorandum on Port Security signed on 1 March 2012.",
        "Agreement on Port Security",
        "2020-01-01",
    )
    Registry([mou, new])
    assert [(r.kind, r.target, r.target_date) for r in new.relations] == [
        ("supersedes", "m.md", "2012-03-01")
    ]
