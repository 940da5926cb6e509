"""Suggested prompts for Slack's assistant container, and the names the Slack front end gives
document types; both read from ``accord/data/slack.yaml`` (loaded once).

The prompts are the admin's list (``ACCORD_ASSISTANT_PROMPTS``) when there is one; otherwise
one question per title among the index's most frequent titles, worded for the title's document
type. Only titles of documents the officer may read are used (``accord.access.overview``): a title
shown as a prompt would otherwise tell an officer what a document they may not read is about.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

from accord.access.overview import IndexOverview

SLACK_TEXT_FILE = Path(__file__).resolve().parents[1] / "accord" / "data" / "slack.yaml"
MAX_PROMPTS = 4  # Slack shows at most four suggested prompts
TITLE_CHARS = 75  # a prompt's label; the full question is sent when clicked


@functools.lru_cache(maxsize=1)
def slack_text() -> dict[str, Any]:
    """The contents of ``accord/data/slack.yaml``."""
    return yaml.safe_load(SLACK_TEXT_FILE.read_text(encoding="utf-8"))


def doc_type_label(doc_type: str) -> str:
    return str(slack_text()["doc_type_labels"].get(doc_type, doc_type))


def suggested_prompts(admin_prompts: list[str], view: IndexOverview) -> list[dict[str, str]]:
    """Up to four ``{"title", "message"}`` prompts: the admin's, else made from ``view.titles``.
    Returns [] when the officer may read no titled document."""
    if admin_prompts:
        return [{"title": _label(p), "message": p} for p in admin_prompts[:MAX_PROMPTS]]
    templates = slack_text()["prompt_templates"]
    out: list[dict[str, str]] = []
    for t in view.titles[:MAX_PROMPTS]:
        title = t.title
        if title.lower().startswith("the "):  # the templates say "the {title}" already
            title = title[4:]
        template = templates.get(t.doc_type) or templates["other"]
        out.append({"title": _label(t.title), "message": template.format(title=title)})
    return out


def prompts_title() -> str:
    return str(slack_text()["prompts_title"])


def _label(text: str) -> str:
    text = " ".join(text.split())
    return (
        text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1].rsplit(" ", 1)[0] + "\u2026"
    )
