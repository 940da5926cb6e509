"""bot.blocks: pure rendering within Slack's limits, with mrkdwn escaped."""

from __future__ import annotations

import re

from accord.models import Answer, Citation, RetrievedSource
from bot.blocks import (
    MESSAGE_BLOCK_LIMIT,
    SECTION_LIMIT,
    SHARE_ACTION,
    answer_blocks,
    escape_mrkdwn,
    fallback_text,
    render_answer,
    source_line,
    split_text,
)

MARKER = re.compile(r"\[\d+\]")


def cite(n: int, title: str = "MoU on Transborder Crime", quote: str | None = None) -> Citation:
    return Citation(
        n=n,
        source=f"docs/doc-{n}.pdf",
        title=title,
        doc_type="mou",
        date="2023-11-14",
        page=n % 7 + 1,
        section=None,
        chunk_id=f"c{n}",
        quote=quote or f"Sentence number {n} of the agreement, quoted verbatim.",
        char_start=0,
        char_end=10,
        content_hash="h",
        score=0.9,
    )


def long_answer(n_cites: int = 60, sentences: int = 400) -> Answer:
    text = " ".join(
        f"Finding {i} is stated in the record of the meeting [{i % n_cites + 1}]."
        for i in range(sentences)
    )
    return Answer(
        question="q", text=text, refused=False, citations=[cite(i) for i in range(1, n_cites + 1)]
    )


def all_texts(blocks: list[dict]) -> list[str]:
    out = []
    for b in blocks:
        if "text" in b:
            out.append(b["text"]["text"])
        out += [e.get("text", "") for e in b.get("elements", []) if isinstance(e.get("text"), str)]
    return out


def test_long_answer_is_split_into_messages_within_slack_limits():
    ans = long_answer()
    assert len(ans.text) > 3 * SECTION_LIMIT
    pages = render_answer(ans, answer_id="a1")
    assert len(pages) > 1
    for page in pages:
        assert 0 < len(page) <= MESSAGE_BLOCK_LIMIT
        for text in all_texts(page):
            assert len(text) <= SECTION_LIMIT
    flat = [b for page in pages for b in page]
    sections = [b["text"]["text"] for b in flat if b["type"] == "section"]
    answer_parts = sections[: len(sections) - len(ans.citations)]
    # nothing lost or cut: the parts rejoin into the answer, with every [n] marker whole
    assert " ".join(answer_parts) == ans.text
    for part in answer_parts:
        assert MARKER.sub("", part).count("[") == 0 and MARKER.sub("", part).count("]") == 0
    # every citation is one whole block, in order, and the buttons close the last message
    for c in ans.citations:
        assert sum(1 for s in sections if s == source_line(c)) == 1
    assert pages[-1][-1]["type"] == "actions"


def test_markers_after_a_sentence_stay_with_it():
    text = " ".join(f"Clause {i} of the MoU says so. [{i}] [{i + 1}]" for i in range(300))
    pieces = split_text(text)
    assert len(pieces) > 1 and " ".join(pieces) == text
    for p in pieces:
        assert not p.startswith("[") and p.endswith("]")


def test_text_without_spaces_is_cut_outside_markers_and_escapes():
    text = ("&<>" * 400) + "".join(f"[{i}]" for i in range(1000)) + "x" * 5000
    pieces = split_text(escape_mrkdwn(text))
    assert all(len(p) <= SECTION_LIMIT for p in pieces)
    assert "".join(pieces) == escape_mrkdwn(text)
    for p in pieces:
        assert not re.search(r"\[\d*$", p) and not re.match(r"^\d*\]", p)
        assert not re.search(r"&\w{0,4}$", p)  # no half of an &amp; / &lt; / &gt;


def test_ampersand_and_angle_brackets_are_escaped_everywhere():
    tricky = "R&D <Annex A> & B>C"
    ans = Answer(
        question=tricky,
        text=f"The {tricky} clause applies [1].",
        refused=False,
        notice="LLM <timeout> & fallback",
        citations=[cite(1, title=tricky, quote=f"Quoted: {tricky}.")],
    )
    texts = all_texts(answer_blocks(ans, answer_id="a1"))
    joined = "\n".join(texts)
    assert "<" not in joined and ">" not in joined.replace("\n> ", "\n")  # only quote markup
    assert "R&amp;D &lt;Annex A&gt; &amp; B&gt;C" in joined
    assert "LLM &lt;timeout&gt; &amp; fallback" in joined
    assert escape_mrkdwn("&amp;") == "&amp;amp;"  # literal text stays literal
    assert "&lt;" in fallback_text(ans)


def test_sources_show_title_type_date_page_and_quote():
    line = source_line(cite(3))
    head = "*[3] MoU on Transborder Crime* \u00b7 mou \u00b7 2023-11-14 \u00b7 p. 4"
    assert line.startswith(head)
    assert "\u201cSentence number 3 of the agreement, quoted verbatim.\u201d" in line
    assert "RESTRICTED" not in line
    marked = cite(5)
    marked.marking = "restricted"
    assert "\u00b7 p. 6 \u00b7 RESTRICTED\n" in source_line(marked)
    long_quote = cite(4, quote="word " * 2000)
    assert len(source_line(long_quote)) <= SECTION_LIMIT


def test_a_quote_read_by_ocr_says_so_beside_its_source():
    scanned = cite(3)
    scanned.ocr_confidence = 91.6
    line = source_line(scanned)
    assert "\u00b7 p. 4 \u00b7 quoted from an OCR'd scan, p. 4; OCR confidence 92%" in line
    assert "OCR" not in source_line(cite(3))


def test_refusal_lists_possibly_related_documents():
    ans = Answer(
        question="capital of France?",
        refused=True,
        text="The indexed documents do not answer this question.",
        related=[
            RetrievedSource("minutes.md", 0.2, title="JWC Minutes <1st>"),
            RetrievedSource("mou.pdf", 0.1, title="", page=3),
        ],
    )
    joined = "\n".join(all_texts(answer_blocks(ans)))
    assert "Possibly related documents" in joined
    assert "JWC Minutes &lt;1st&gt;" in joined and "mou.pdf" in joined and "p. 3" in joined
    assert "Sources" not in joined


def test_share_button_only_on_private_answers():
    ans = Answer(question="q", text="An answer [1].", refused=False, citations=[cite(1)])
    public = render_answer(ans, "id1")[-1][-1]
    private = render_answer(ans, "id1", share=True)[-1][-1]
    assert SHARE_ACTION not in [e["action_id"] for e in public["elements"]]
    assert private["elements"][0]["action_id"] == SHARE_ACTION
    assert all(e["value"] == "id1" for e in private["elements"])
    assert render_answer(ans)[-1][-1]["type"] != "actions"
