"""Pure rendering of the App Home tab: what the index holds for the viewer, the viewer's
clearance in words, how to ask, and (admins only) recent answer and feedback counts.

No I/O here: :func:`home_view` takes the overview, the audience and the counts and returns the
``views.publish`` view.
"""

from __future__ import annotations

import time
from typing import Any

from accord.access.audiences import Audience
from accord.access.markings import Rules
from accord.access.overview import IndexOverview, clearance_in_words
from bot.blocks import Block, context, escape_mrkdwn, section
from bot.suggestions import doc_type_label

FEEDBACK_DAYS = 30
HOW_TO_ASK = (
    "*How to ask*\n"
    "\u2022 Open Accord in Slack's assistant panel and ask; suggested questions are there.\n"
    "\u2022 Write to me in the *Messages* tab: answered from what you may read.\n"
    "\u2022 Mention @Accord in a channel: answered in a thread, from what everyone there may "
    "read.\n"
    "\u2022 `/accord your question` answers privately, with a button to share the answer.\n"
    "Ask follow-ups in the same thread; every answer quotes the sentences it rests on."
)


def home_view(
    view: IndexOverview, audience: Audience, rules: Rules, feedback: dict[str, int] | None = None
) -> dict[str, Any]:
    """The Home tab for a viewer who may see ``view``; ``feedback`` (``FeedbackStore.
    recent_counts``) is given for admins only, and then the whole index's size is shown too."""
    admin = feedback is not None
    held = f"You may read *{view.total:,}* document{'s' if view.total != 1 else ''}"
    if admin:
        held += f" of the *{view.indexed:,}* indexed"
    lines = [f"*What the index holds*\n{held}."]
    lines += [f"\u2022 {escape_mrkdwn(doc_type_label(t))}: {n:,}" for t, n in view.by_type.items()]
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Accord"}},
        section("\n".join(lines)),
        context(f"Last sync: {sync_time(view.last_sync)}"),
        {"type": "divider"},
        section(f"*Your clearance*\n{escape_mrkdwn(clearance_in_words(rules, audience))}"),
        context(f"Granted by: {escape_mrkdwn(audience.reason or 'the default clearance')}"),
        {"type": "divider"},
        section(HOW_TO_ASK),
    ]
    if admin:
        counts = feedback or {}
        blocks += [
            {"type": "divider"},
            section(
                f"*Last {FEEDBACK_DAYS} days* (shown to admins only)\n"
                f"Answers given: {counts.get('answers', 0):,}\n"
                f"Rated helpful: {counts.get('helpful', 0):,} \u00b7 not helpful: "
                f"{counts.get('not_helpful', 0):,} \u00b7 wrong source: "
                f"{counts.get('wrong_source', 0):,}"
            ),
            context(
                "`accord feedback export` writes every rating with its question and "
                "answer for evaluators."
            ),
        ]
    return {"type": "home", "blocks": blocks}


def sync_time(finished: float | None) -> str:
    """When the last sync finished, in the viewer's time zone (UTC as the fallback text)."""
    if not finished:
        return "never: the index has not been synced yet"
    utc = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(finished))
    return f"<!date^{int(finished)}^{{date_short_pretty}} at {{time}}|{utc}>"
