"""Prompt templates as files, loaded by name: ``load_prompt(name) -> (template, version)``.

Each ``prompts/<name>.md`` starts with a YAML front matter (``name``, ``version``), then notes on
why the prompt is worded as it is, then a line ``----- prompt -----``; the template is what follows.
A template is split into chat messages at ``### system`` and ``### user`` lines and filled with
``str.format`` fields (``{sources}``, ``{question}``, ``{history}``). The version is recorded on
every answer as ``name@version``, so a wording change is visible in evaluation reports.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

PROMPTS_DIR = Path(__file__).resolve().parent
TEMPLATE_MARK = "----- prompt -----"
_FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.S)
_ROLE = re.compile(r"^### (system|user)\s*$", re.M)


@lru_cache(maxsize=16)
def load_prompt(name: str) -> tuple[str, str]:
    """Return ``(template, version)`` of the prompt file ``prompts/<name>.md``.

    Raises FileNotFoundError for an unknown name and ValueError for a file without its front
    matter (name and version) or its template mark.
    """
    path = PROMPTS_DIR / f"{name}.md"
    raw = path.read_text(encoding="utf-8")
    m = _FRONT.match(raw)
    if not m:
        raise ValueError(f"{path.name}: missing front matter with name and version")
    meta = yaml.safe_load(m.group(1)) or {}
    if meta.get("name") != name or "version" not in meta:
        raise ValueError(f"{path.name}: front matter must give name: {name} and a version")
    if TEMPLATE_MARK not in raw:
        raise ValueError(f"{path.name}: no '{TEMPLATE_MARK}' line before the template")
    template = raw.split(TEMPLATE_MARK, 1)[1].strip("\n")
    return template, str(meta["version"])


def prompt_id(name: str) -> str:
    """``name@version`` of a prompt, as recorded on each answer."""
    return f"{name}@{load_prompt(name)[1]}"


def to_messages(template: str, **fields: str) -> list[tuple[str, str]]:
    """Fill ``template`` and split it into ``(role, text)`` chat messages.

    A template without role lines is one user message. Fields are filled after splitting, so a
    source passage that happens to contain ``### user`` cannot open a new message.
    """
    parts = _ROLE.split(template)
    if len(parts) == 1:
        return [("user", template.format(**fields).strip())]
    messages = []
    for role, body in zip(parts[1::2], parts[2::2], strict=True):
        text = body.strip().format(**fields)
        if text:
            messages.append((role, text))
    return messages
