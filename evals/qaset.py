"""QA test sets: loading JSONL and CSV files into questions, with a message per bad line.

One question a line: ``id``, ``question``, ``answers`` (list), ``sources`` (list of paths relative
to the ingested root), ``pages`` (list of 1-based physical PDF pages), ``answerable`` (default
true), ``tags`` (list). In CSV the list cells hold a JSON list (``["a", "b"]``) or values separated
by ``|``.

What happens to a bad line (evaluators rely on this):

- malformed JSON, not an object, a missing or empty question, a field of the wrong type, a
  duplicate id: an **error** naming the line; the line is skipped, the rest run (the first line
  with an id wins; the duplicate is skipped).
- a missing id: a **warning**; the question is named ``line-N`` and evaluated.
- an unanswerable question that lists answers or sources: a **warning**; they are ignored.
- a gold source that is not in the index (:func:`check_sources`): a **warning** per line; the
  question is still evaluated with that source kept as gold, so the scores show the miss, and
  it is flagged ``unknown_sources`` in results.json and the report. Dropping the source would
  silently inflate the scores of a run against the wrong or a half-built index.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FIELDS = ("id", "question", "answers", "sources", "pages", "answerable", "tags")


@dataclass
class QAItem:
    """One question of a QA set, as loaded."""

    id: str
    question: str
    answers: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    pages: list[int] = field(default_factory=list)
    answerable: bool = True
    tags: list[str] = field(default_factory=list)
    line: int = 0
    unknown_sources: list[str] = field(default_factory=list)


@dataclass
class Problem:
    """A message about one line of a QA set."""

    line: int
    level: str  # "error" (line skipped) or "warning" (line evaluated)
    message: str
    id: str | None = None

    def format(self, path: str | Path) -> str:
        action = "line skipped" if self.level == "error" else "still evaluated"
        who = f" [{self.id}]" if self.id else ""
        return f"{path}:{self.line}: {self.level}{who}: {self.message} ({action})"

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "level": self.level, "message": self.message, "id": self.id}


@dataclass
class QASet:
    """The questions of a file that could be used, and the problems found in it."""

    path: Path
    items: list[QAItem]
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]


class QASetError(Exception):
    """The QA set cannot be read at all (missing file, unknown format, no usable line)."""


def load_qaset(path: Path) -> QASet:
    """Load a ``.jsonl`` / ``.json`` (one object a line) or ``.csv`` QA set.

    Returns the usable questions and the per-line problems. Raises QASetError when the file
    cannot be read or its format is unknown.
    """
    if not path.is_file():
        raise QASetError(f"{path}: no such file")
    suffix = path.suffix.lower()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise QASetError(f"{path}: cannot be read ({exc})") from exc
    if suffix in (".jsonl", ".json", ".ndjson"):
        rows = _jsonl_rows(text)
    elif suffix == ".csv":
        rows = _csv_rows(text)
    else:
        raise QASetError(f"{path}: unknown QA set format {suffix!r} (use .jsonl or .csv)")
    items: list[QAItem] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for line, row, error in rows:
        if error:
            problems.append(Problem(line, "error", error))
            continue
        item = _parse_row(line, row, problems)
        if item is None:
            continue
        if item.id in seen:
            problems.append(
                Problem(
                    line,
                    "error",
                    f"duplicate id {item.id!r} (first used on line {seen[item.id]})",
                    item.id,
                )
            )
            continue
        seen[item.id] = line
        items.append(item)
    return QASet(path, items, problems)


def _jsonl_rows(text: str) -> Iterable[tuple[int, Any, str | None]]:
    for n, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("//"):
            continue
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield n, None, f"malformed JSON: {exc.msg} at column {exc.colno}"
            continue
        if not isinstance(row, dict):
            yield n, None, f"expected a JSON object, got {type(row).__name__}"
            continue
        yield n, row, None


def _csv_rows(text: str) -> Iterable[tuple[int, Any, str | None]]:
    reader = csv.DictReader(text.splitlines())
    header = reader.fieldnames or []
    if "question" not in header:
        yield 1, None, "the CSV header has no 'question' column"
        return
    for row in reader:
        line = reader.line_num
        if None in row:
            yield line, None, "more cells than header columns"
            continue
        if not any((v or "").strip() for v in row.values()):
            continue
        yield line, {k: _csv_cell(k, v) for k, v in row.items() if k}, None


def _csv_cell(key: str, value: str | None) -> Any:
    value = (value or "").strip()
    if key in ("answers", "sources", "pages", "tags"):
        if value.startswith("["):
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                return value  # reported as a wrong type by _parse_row
        return [v.strip() for v in value.split("|") if v.strip()]
    if key == "answerable":
        return {
            "": True,
            "true": True,
            "yes": True,
            "1": True,
            "false": False,
            "no": False,
            "0": False,
        }.get(value.lower(), value)
    return value


def _str_list(row: dict[str, Any], key: str) -> list[str]:
    value = row.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v for v in value if v.strip()]
    raise ValueError(f"'{key}' must be a list of strings")


def _pages(value: Any) -> list[int]:
    if value is None or value == "":
        return []
    values = value if isinstance(value, list) else [value]
    try:
        pages = [int(p) for p in values if not isinstance(p, bool | float)]
    except (TypeError, ValueError):
        pages = []
    if len(pages) != len(values) or any(p < 1 for p in pages):
        raise ValueError(f"'pages' must be a list of 1-based page numbers, got {value!r}")
    return pages


def _norm_source(source: str) -> str:
    source = source.strip().replace("\\", "/")
    return source[2:] if source.startswith("./") else source


def _parse_row(line: int, row: dict[str, Any], problems: list[Problem]) -> QAItem | None:
    raw_id = row.get("id")
    qid = str(raw_id).strip() if raw_id is not None else ""
    question = row.get("question")
    if not isinstance(question, str) or not question.strip():
        why = "missing 'question'" if question is None else "empty or non-text 'question'"
        problems.append(Problem(line, "error", why, qid or None))
        return None
    try:
        answers = _str_list(row, "answers")
        sources = [_norm_source(s) for s in _str_list(row, "sources")]
        tags = _str_list(row, "tags")
        pages = _pages(row.get("pages"))
        answerable = row.get("answerable", True)
        if not isinstance(answerable, bool):
            raise ValueError(f"'answerable' must be true or false, got {answerable!r}")
    except ValueError as exc:
        problems.append(Problem(line, "error", str(exc), qid or None))
        return None
    if not qid:
        qid = f"line-{line}"
        problems.append(Problem(line, "warning", f"no 'id'; named {qid!r}", qid))
    if not answerable and (answers or sources):
        problems.append(
            Problem(
                line,
                "warning",
                "unanswerable question lists answers or sources; they are ignored",
                qid,
            )
        )
        answers, sources, pages = [], [], []
    unknown = sorted(set(row) - set(FIELDS) - {"notes", "note", "comment"})
    if unknown:
        problems.append(
            Problem(line, "warning", "unknown field(s) ignored: " + ", ".join(unknown), qid)
        )
    return QAItem(qid, " ".join(question.split()), answers, sources, pages, answerable, tags, line)


def check_sources(qaset: QASet, indexed: set[str]) -> list[Problem]:
    """Flag gold sources missing from the index (``indexed``: its source paths).

    Marks each item's ``unknown_sources``, appends one warning per affected line to the set's
    problems and returns those warnings.
    """
    found: list[Problem] = []
    for item in qaset.items:
        item.unknown_sources = [s for s in item.sources if s not in indexed]
        if item.unknown_sources:
            found.append(
                Problem(
                    item.line,
                    "warning",
                    "gold source(s) not in the index: " + ", ".join(item.unknown_sources),
                    item.id,
                )
            )
    qaset.problems.extend(found)
    qaset.problems.sort(key=lambda p: p.line)
    return found
