"""Pure rendering of an :class:`accord.models.Answer` into Slack Block Kit messages.

No I/O and no Slack client here: every function takes data and returns dicts, so the limits
below are checked by plain unit tests.

Slack's limits that shape the output:

- a section block's text holds at most 3,000 characters (``SECTION_LIMIT``);
- a message holds at most 50 blocks (``MESSAGE_BLOCK_LIMIT``);
- mrkdwn treats ``&``, ``<`` and ``>`` as control characters, so document text is escaped.

A long answer is split at sentence (then word) boundaries and never inside an ``[n]`` marker;
each cited source is one block, so a message split never cuts a citation in half.
"""

from __future__ import annotations

import re
from typing import Any

from accord.models import Answer, Citation, RetrievedSource

SECTION_LIMIT = 3000
MESSAGE_BLOCK_LIMIT = 50
FALLBACK_TEXT_LIMIT = 300
QUOTE_LIMIT = 2400  # a quote longer than this is shown shortened, so its source line still fits
PLACEHOLDER_TEXT = "Looking through the documents\u2026"

# action_id -> (button label, stored rating)
FEEDBACK_ACTIONS: dict[str, tuple[str, str]] = {
    "accord_feedback_helpful": ("Helpful", "helpful"),
    "accord_feedback_not_helpful": ("Not helpful", "not_helpful"),
    "accord_feedback_wrong_source": ("Wrong source", "wrong_source"),
}
SHARE_ACTION = "accord_share"

Block = dict[str, Any]


def escape_mrkdwn(text: str) -> str:
    """Escape the three characters Slack's mrkdwn reserves (``&`` first, so nothing doubles)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


# a sentence ends after its punctuation, or after the [n] markers that follow it
_SENTENCE_END = re.compile(r"(?:(?<=[.!?;:])|(?<=\d\]))\s+(?!\[\d+\])|\n+(?!\[\d+\])")
_MARKER = re.compile(r"\[\d+\]")
_ENTITY = re.compile(r"&(?:amp|lt|gt);")


def split_text(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` characters.

    Cuts fall between sentences where possible, else between words, else anywhere outside an
    ``[n]`` citation marker and outside an ``&amp;``-style escape. Returns [] for empty text.
    """
    text = text.strip()
    pieces: list[str] = []
    while len(text) > limit:
        cut = _best_cut(text, limit)
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        pieces.append(text)
    return pieces


def split_sentences(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """The sentences of ``text`` in order, each with the ``[n]`` markers and the white space
    that follow it, so that joined they give ``text`` back (a sentence longer than ``limit`` is
    cut as ``split_text`` cuts). Returns [] for empty text."""
    text = text.strip()
    out: list[str] = []
    start = 0
    for end in [m.end() for m in _SENTENCE_END.finditer(text)] + [len(text)]:
        piece = text[start:end]
        start = end
        if len(piece) > limit:
            gap = piece[len(piece.rstrip()) :]
            cut = split_text(piece, limit)
            out.extend(c + " " for c in cut[:-1])
            out.append(cut[-1] + gap)
        elif piece:
            out.append(piece)
    return out


def _best_cut(text: str, limit: int) -> int:
    window = text[: limit + 1]
    around = text[: limit + 16]  # a marker or an escape may straddle the limit
    ends = [m.end() for m in _SENTENCE_END.finditer(around) if m.end() <= limit]
    if ends and ends[-1] > limit // 3:
        return ends[-1]
    space = window.rfind(" ", 0, limit)
    if space > limit // 3:
        return space + 1
    cut = limit
    for m in list(_MARKER.finditer(around)) + list(_ENTITY.finditer(around)):
        if m.start() < cut < m.end():
            cut = m.start()
    return cut


def source_line(c: Citation, shown: str | None = "") -> str:
    """``*[n] Title* · type · date · p. 5 · MARKING`` then the quoted sentence and the file,
    escaped, as one block's text. ``shown``: the quote as printed (``Answer.shown_quote``:
    reflowed, or None when the answer already printed it whole); "" prints ``c.quote``."""
    # Page and section both: "p. 4 · Article 9 - Entry into Force".
    meta = [c.doc_type, c.date or "undated"] + [w for w in (c.pages(), c.section or "") if w]
    if c.marking and c.marking.upper() != "UNMARKED":
        meta.append(c.marking.upper())  # officers must see a document's protective marking
    if c.caveats:
        meta.append(" ".join(c.caveats))
    if c.ocr_note():  # the words were read from an image: the officer should know
        meta.append(c.ocr_note() or "")
    title = c.title or c.source
    head = f"*[{c.n}] {escape_mrkdwn(title)}* \u00b7 " + " \u00b7 ".join(
        escape_mrkdwn(m) for m in meta
    )
    if shown is None:
        return f"{head}\n_(quoted in the answer above)_\n_{escape_mrkdwn(c.source)}_"
    quote = " ".join((shown or c.quote).split())
    if len(quote) > QUOTE_LIMIT:
        quote = quote[:QUOTE_LIMIT].rsplit(" ", 1)[0] + " \u2026"
    return f"{head}\n> \u201c{escape_mrkdwn(quote)}\u201d\n_{escape_mrkdwn(c.source)}_"


def related_line(r: RetrievedSource) -> str:
    where = f", p. {r.page}" if r.page else ""
    return f"\u2022 *{escape_mrkdwn(r.title or r.source)}* ({escape_mrkdwn(r.source)}{where})"


def feedback_block(answer_id: str, share: bool = False) -> Block:
    """The buttons under an answer: share (ephemeral answers only), then the three ratings."""
    elements: list[Block] = []
    if share:
        elements.append(
            {
                "type": "button",
                "action_id": SHARE_ACTION,
                "style": "primary",
                "text": {"type": "plain_text", "text": "Share in channel"},
                "value": answer_id,
            }
        )
    for action_id, (label, _) in FEEDBACK_ACTIONS.items():
        elements.append(
            {
                "type": "button",
                "action_id": action_id,
                "value": answer_id,
                "text": {"type": "plain_text", "text": label},
            }
        )
    return {
        "type": "actions",
        "block_id": f"accord_feedback:{answer_id}"[:255],
        "elements": elements,
    }


def answer_blocks(
    answer: Answer,
    answer_id: str | None = None,
    share: bool = False,
    header: str | None = None,
    with_text: bool = True,
) -> list[Block]:
    """All blocks for ``answer`` in reading order (may exceed one message; see ``paginate``).

    ``header`` is already-escaped mrkdwn shown first (e.g. who shared the answer).
    ``with_text=False`` leaves out the answer's text (it was streamed) and keeps the rest.
    """
    blocks: list[Block] = []
    if header:
        blocks.append(context(header))
    if with_text:
        blocks.extend(section(p) for p in split_text(escape_mrkdwn(answer.text)))
    if answer.notice:
        blocks.append(context(f":information_source: {escape_mrkdwn(answer.notice)}"))
    if answer.citations:
        blocks.append({"type": "divider"})
        blocks.append(context("*Sources*"))
        blocks.extend(section(source_line(c, answer.shown_quote(c))) for c in answer.citations)
    elif answer.refused and answer.related:
        blocks.append(context("*Possibly related documents*"))
        lines = [related_line(r) for r in answer.related]
        blocks.extend(section(p) for p in _group_lines(lines))
    if answer_id:
        blocks.append(feedback_block(answer_id, share=share))
    return blocks


def _group_lines(lines: list[str], limit: int = SECTION_LIMIT) -> list[str]:
    """Join whole lines into texts of at most ``limit`` characters (never splitting a line)."""
    out: list[str] = []
    for line in lines:
        line = line[:limit]
        if out and len(out[-1]) + 1 + len(line) <= limit:
            out[-1] += "\n" + line
        else:
            out.append(line)
    return out


def paginate(blocks: list[Block], limit: int = MESSAGE_BLOCK_LIMIT) -> list[list[Block]]:
    """Cut a block list into messages of at most ``limit`` blocks, at block boundaries.

    A trailing actions block (the feedback buttons) stays with the last message.
    """
    pages = [blocks[i : i + limit] for i in range(0, len(blocks), limit)] or [[]]
    return pages


def render_answer(
    answer: Answer, answer_id: str | None = None, share: bool = False, header: str | None = None
) -> list[list[Block]]:
    """The Slack messages (each a list of blocks) showing ``answer``; usually just one."""
    return paginate(answer_blocks(answer, answer_id, share=share, header=header))


def fallback_text(answer: Answer) -> str:
    """Plain text for notifications and clients that cannot show blocks."""
    text = " ".join(answer.text.split())
    if len(text) > FALLBACK_TEXT_LIMIT:
        text = text[:FALLBACK_TEXT_LIMIT].rsplit(" ", 1)[0] + "\u2026"
    return escape_mrkdwn(text)


def placeholder_blocks(question: str | None = None) -> list[Block]:
    text = f":hourglass_flowing_sand: {PLACEHOLDER_TEXT}"
    if question:
        text += f"\n_{escape_mrkdwn(question[:500])}_"
    return [section(text)]


def apology_text(error_id: str) -> str:
    return (
        f":warning: Sorry, something went wrong while answering. Please try again; if it "
        f"keeps happening, give your admin this error id: `{error_id}`."
    )


def notice_text(message: str) -> str:
    """A short reply for a question that cannot be answered as asked (bad question, no index)."""
    return f":information_source: {escape_mrkdwn(message)}"


def reindex_summary_text(summary: dict[str, Any], failures: list[tuple[str, str]]) -> str:
    """The message posted when a re-index ends: counts, then each failed file and why."""
    counts = ", ".join(f"{k} {v}" for k, v in summary.items())
    lines = [f":white_check_mark: Re-index finished: {escape_mrkdwn(counts)}."]
    for source, reason in failures[:20]:
        lines.append(f"\u2022 failed `{escape_mrkdwn(source)}`: {escape_mrkdwn(reason)}")
    if len(failures) > 20:
        lines.append(f"\u2026 and {len(failures) - 20} more failures.")
    return "\n".join(lines)[:SECTION_LIMIT]
