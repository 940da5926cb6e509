"""Button clicks under an answer: feedback (helpful / not helpful / wrong source) and share.

A feedback click is stored with the answer it rates (``bot.feedback``) and thanked privately.
"Share in channel" posts a private ``/accord`` answer for everyone in the conversation, once
every document it cites or lists is visible to all of them (``bot.audience``), then removes the
private copy; follow-ups in the shared answer's thread work like any other.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import TYPE_CHECKING, Any, cast

from slack_bolt import App

from accord.access.audit import Origin
from bot.blocks import FEEDBACK_ACTIONS, SHARE_ACTION, escape_mrkdwn, fallback_text, render_answer
from bot.deps import BotDeps

if TYPE_CHECKING:
    from slack_bolt import Respond
    from slack_sdk import WebClient

    from accord.access.audiences import Audience
    from accord.models import Answer


log = logging.getLogger(__name__)
FEEDBACK_PATTERN = re.compile(r"^accord_feedback_")


def register(app: App, deps: BotDeps) -> None:
    """Attach the feedback and share action listeners to ``app``."""

    def ack_action(ack: Any) -> None:
        ack()

    def store_feedback(body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        label, rating = FEEDBACK_ACTIONS.get(action.get("action_id", ""), ("", ""))
        if not rating:
            return
        user = (body.get("user") or {}).get("id")
        container = body.get("container") or {}
        channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
        try:
            deps.feedback.add_feedback(action.get("value", ""), rating, user, channel)
        except Exception:
            log.exception("could not store feedback %s from %s", rating, user)
            return
        if channel and user:
            try:
                client.chat_postEphemeral(
                    channel=channel,
                    user=user,
                    thread_ts=container.get("thread_ts"),
                    text=f"Thanks \u2014 your feedback ({label.lower()}) is recorded.",
                )
            except Exception:
                log.warning("could not thank %s for feedback", user, exc_info=True)

    def share_answer(
        body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        share_in_channel(deps, body, action, client, respond)

    app.action(FEEDBACK_PATTERN)(ack=ack_action, lazy=[store_feedback])
    app.action(SHARE_ACTION)(ack=ack_action, lazy=[share_answer])


def share_blocked(deps: BotDeps, ans: Answer, audience: Audience) -> list[tuple[str, str]]:
    """(source, marking) of every cited or listed document ``audience`` may not see, as the
    index holds it now (a document no longer indexed counts as not visible)."""
    shown = [(c.source, c.marking) for c in ans.citations] + [
        (r.source, r.marking) for r in ans.related
    ]
    out: list[tuple[str, str]] = []
    for source, marking in shown:
        if (source, marking) not in out and not deps.qa.visible(source, audience):
            out.append((source, marking))
    return out


def share_refused_text(blocked: list[tuple[str, str]], audience: Audience) -> str:
    marks = sorted({m for _, m in blocked})
    return (
        ":no_entry: Not shared: this answer rests on "
        f"{len(blocked)} document{'s' if len(blocked) != 1 else ''} marked "
        f"{', '.join(marks)} that not everyone in this conversation may read (it is "
        f"cleared for {audience.describe()}). Ask there to get an answer from what it may "
        "see."
    )


UNESTABLISHED_TEXT = (
    ":no_entry: Not shared: Slack could not tell who is in this conversation, "
    "so the answer stays with you. Ask in a channel the bot is a member of."
)


def share_in_channel(
    deps: BotDeps, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
) -> None:
    """Post the stored answer for everyone in the conversation and delete the private copy.

    The conversation's audience is ``AudienceResolver.reading`` (for a DM or group DM between
    people, the lowest of its members). The Share is refused, privately and audited with the
    reason, when Slack cannot establish who is there or any cited or listed document is above
    them; the ``response_url`` fallback (the bot is not in the conversation) posts for everyone
    only into a conversation whose audience was established. Never raises.
    """
    user = (body.get("user") or {}).get("id")
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    ans = deps.feedback.answer(action.get("value", ""))
    audit = getattr(deps.qa, "audit", None)
    try:
        if ans is None:
            respond(
                text="Sorry, that answer is no longer available; please ask again.",
                response_type="ephemeral",
                replace_original=False,
            )
            return
        reading = deps.audiences.reading(user, channel)
        audience = reading.audience
        blocked = share_blocked(deps, ans, audience)
        if not reading.established or blocked:
            why = (
                f"audience not established: {audience.reason}"
                if not reading.established
                else f"{len(blocked)} document(s) above {audience.describe()}"
            )
            log.info("share of %s in %s refused: %s", action.get("value"), channel, why)
            if audit is not None:
                shown = blocked or [(c.source, c.marking) for c in ans.citations]
                audit.record_event(
                    "share_refused",
                    Origin("slack", user, channel),
                    audience,
                    ans.question,
                    [{"source": s, "marking": m} for s, m in shown],
                    note=f"answer {action.get('value')}: {why}",
                )
            respond(
                text=(
                    share_refused_text(blocked, audience)
                    if reading.established
                    else UNESTABLISHED_TEXT
                ),
                response_type="ephemeral",
                replace_original=False,
            )
            return
        # What the conversation may not see stays out of the shared copy, listed or not.
        ans.retrieved = [r for r in ans.retrieved if deps.qa.visible(r.source, audience)]
        if audit is not None:
            audit.record_event(
                "share",
                Origin("slack", user, channel),
                audience,
                ans.question,
                [{"source": c.source, "marking": c.marking} for c in ans.citations],
                note=f"answer {action.get('value')} ({reading.kind})",
            )
        new_id = uuid.uuid4().hex[:16]
        header = f"<@{user}> shared an answer to: _{escape_mrkdwn(ans.question)}_"
        pages = render_answer(ans, new_id, header=header)
        text = fallback_text(ans)
        try:
            # (a channel Slack did not send fails at the API, and the answer goes through respond)
            resp = client.chat_postMessage(channel=cast(str, channel), text=text, blocks=pages[0])
        except Exception:
            log.warning(
                "could not post in %s; sharing through response_url (%s, established)",
                channel,
                reading.kind,
                exc_info=True,
            )
            for page in pages:
                respond(text=text, blocks=page, response_type="in_channel", replace_original=False)
            return
        ts = resp["ts"]
        for page in pages[1:]:
            client.chat_postMessage(
                channel=cast(str, channel), thread_ts=ts, text=text, blocks=page
            )
        deps.feedback.record_answer(ans, user, channel, thread_ts=ts, ts=ts, answer_id=new_id)
        respond(delete_original=True)
    except Exception:
        log.exception("sharing answer %s in %s failed", action.get("value"), channel)
