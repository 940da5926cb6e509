"""Document metadata: title, type, date, parties and security marking.

Front matter and a ``NAME.meta.yaml`` sidecar win over anything inferred from the text; the
sidecar wins over front matter.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from accord.access.marking_search import Evidence, MarkingResult, decide, find_markings
from accord.access.markings import Rules, load_rules
from accord.language.dates import MONTH_YEAR, first_date
from accord.language.lexicon import load_data
from accord.language.malay import type_patterns as malay_types
from accord.models import DOC_TYPES

# Document types (accord/data/doc_types.yaml): front-matter aliases, and the patterns of what a
# document calls itself, checked in order.
_DOC_TYPES = load_data("doc_types.yaml")
_TYPE_ALIASES: dict[str, str] = dict(_DOC_TYPES["aliases"])
_TYPE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (str(p["type"]), re.compile(p["pattern"], re.I)) for p in _DOC_TYPES["patterns"]
]


# The parties documents name (accord/data/parties.yaml): countries, demonyms and aliases, and
# the words of a state's style that name parties no list holds.
_PARTIES = load_data("parties.yaml")
_DEMONYMS: dict[str, str] = dict(_PARTIES["demonyms"])
_ALIASES: dict[str, str] = dict(_PARTIES["aliases"])
_COUNTRY_RE = re.compile(
    r"\b("
    + "|".join(
        re.escape(c)
        for c in sorted(
            _PARTIES["multi_word"] + _PARTIES["countries"] + list(_DEMONYMS), key=len, reverse=True
        )
    )
    + r")\b"
    r"|(?<![\w.])(" + "|".join(re.escape(a) for a in _PARTIES["abbreviations"]) + r")(?![\w])"
)
# "Republic of Meridia", "Kingdom of Sundara", "Government of X": parties not in any list.
_STATE_WORDS: tuple[str, ...] = tuple(_PARTIES["state_words"])
# A lookahead so that "Government of the Republic of Meridia" also yields "Republic of Meridia".
_STATE_RE = re.compile(
    r"(?=\b(?:" + "|".join(_STATE_WORDS) + r") of (?:the )?([A-Z][a-z]+(?: [A-Z][a-z]+)?))"
)


def normalise_type(value: Any) -> str | None:
    """Map a front-matter type ('MoU', 'joint statement') onto one of DOC_TYPES, or None."""
    if not value:
        return None
    key = re.sub(r"[\s\-/]+", "_", str(value).strip().lower())
    if key in DOC_TYPES:
        return key
    if key in _TYPE_ALIASES:
        return _TYPE_ALIASES[key]
    for dtype, pat in _TYPE_PATTERNS:
        if pat.search(str(value)):
            return dtype
    return None


def infer_type(title: str, text: str, source: str) -> str:
    """Document type from the title, else the first headings of the text, else the path."""
    head = "\n".join(text[:600].splitlines()[:6])
    malay = malay_types()
    for probe in (title, head, PurePosixPath(source).stem.replace("-", " ")):
        for dtype, pat in _TYPE_PATTERNS:
            if probe and (pat.search(probe) or (dtype in malay and malay[dtype].search(probe))):
                return dtype
    return "other"


def normalise_date(value: Any) -> str | None:
    """Return an ISO yyyy-mm-dd date from front matter (date, datetime, or a string), or None."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return first_date(str(value))


def own_date(text: str, doc_type: str = "other") -> str | None:
    """The date a document states as its own, or None: an instrument's signing block ("DONE at
    Sarapura on 3 June 2025"); a date introduced as the document's ("Issued on", "Date:"); a
    dateline in its first lines; else the first date not in a sentence reporting another
    instrument's event ("This MoU was signed in Singapore on 14 November 2024")."""
    from accord.instruments.terms import signing_date
    from accord.language.lexicon import lexicon

    lex = lexicon()
    if doc_type == "mou":
        signed = signing_date(text)
        if signed:
            return signed
    own = "|".join(sorted(lex.own_date_words))
    m = re.search(rf"\b(?:{own})\b\s*(?:on\s*|:\s*)?", text[:3000], re.I)
    if m:
        d = first_date(text[m.end() : m.end() + 40])
        if d:
            return d
    reported = lex.reported_event_words
    for line in [ln for ln in text[:1500].splitlines() if ln.strip()][:4]:
        said = re.findall(r"[a-z]+", line.lower())
        # A dateline: "Cablegram, Washington, 20 July 1951"; "Adopted at Port Aldric on 12 March
        # 2025" is one too (the event opens the line: nothing else did it), where "The MoU was
        # signed on ..." reports another instrument's event.
        if len(line) < 80 and said and (said[0] in reported or not set(said) & reported):
            d = first_date(line)
            if d:
                return d
    from accord.language.text import sentence_spans

    opening = [ln.strip() for ln in text[:3000].splitlines() if ln.strip()][:12]
    if any(MONTH_YEAR.fullmatch(ln) for ln in opening):
        return None  # dated "January 2026" only: no day, and no date the body mentions is its own
    for s, e in sentence_spans(text):
        sent = text[s:e]
        d = first_date(sent)
        if d and not (set(re.findall(r"[a-z]+", sent.lower())) & reported):
            return d
    return None


def message_subject(text: str) -> str | None:
    """The subject line of a text in message form (a cable, a record: address fields such as
    "FROM:" and "TO:" among its opening lines), "" when it has none; None when the text is not
    in message form."""
    from accord.language.lexicon import lexicon

    lex = lexicon()
    fields: dict[str, str] = {}
    for line in text[:3000].splitlines()[:40]:
        m = re.match(r"\s*([A-Za-z]+)\s*:\s*(.*)", line)
        if m and m.group(1).lower() in lex.message_senders | lex.message_subjects:
            fields.setdefault(m.group(1).lower(), m.group(2).strip())
    if len(fields.keys() & lex.message_senders) < 2 and not (
        fields.keys() & lex.message_senders and fields.keys() & lex.message_subjects
    ):
        return None
    return next((fields[k] for k in sorted(lex.message_subjects) if fields.get(k)), "")


def find_parties(text: str, limit: int = 12) -> list[str]:
    """Countries and states named in ``text``, in order of first mention."""
    seen: list[str] = []
    for m in _COUNTRY_RE.finditer(text):
        name = m.group(1) or m.group(2)
        name = _DEMONYMS.get(name, name)
        name = _ALIASES.get(name, name)
        if name not in seen:
            seen.append(name)
    for m in _STATE_RE.finditer(text):
        name = _ALIASES.get(m.group(1), m.group(1))
        if name.split()[0] in _STATE_WORDS:
            continue
        if name not in seen and name not in ("America",):
            seen.append(name)
    return seen[:limit]


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [p.strip() for p in re.split(r"[,;|]", value) if p.strip()]
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [str(value)]


def _title_from_text(text: str, source: str, rules: Rules | None = None) -> str:
    for line in text.splitlines():
        line = line.strip(" #*\t")
        if rules is not None and rules.read_line(line) is not None:
            continue  # "TERHAD / RESTRICTED" heads the page; it is not the title
        if 4 <= len(line) <= 200 and re.search(r"[A-Za-z]", line):
            return line
    return PurePosixPath(source).stem.replace("-", " ").replace("_", " ")


def read_marking(
    rules: Rules,
    text: str,
    front: dict[str, Any],
    sidecar: dict[str, Any],
    page_starts: Sequence[int] = (),
    folder_defaults: Sequence[FolderDefault] = (),
    extra_zones: Sequence[tuple[str, str]] = (),
) -> MarkingResult:
    """The document's marking and caveats from its text, front matter, sidecar and folders.

    The highest level found wins and caveats add up (fail closed); a value that cannot be mapped
    is the top of the ladder, with a problem in its evidence. A sidecar may lower the marking
    only by saying so (``marking_override: true``).
    """
    declared: list[Evidence] = []
    for kind, values in (("front matter", front), ("sidecar", sidecar)):
        declared.extend(_declared(rules, kind, values))
    for fd in folder_defaults:
        declared.extend(_declared(rules, "folder default", fd.values, where=fd.path))
    if sidecar.get("marking_override") is True:
        found = _declared(rules, "sidecar override", sidecar)
        level = rules.highest(e.marking for e in found)
        caveats = sorted({c for e in found for c in e.caveats})
        return decide(
            rules,
            [],
            [],
            Evidence(
                "sidecar override",
                "marking_override: true",
                "; ".join(e.line for e in found),
                level,
                caveats,
            ),
        )
    text_evidence = find_markings(rules, text, page_starts, extra_zones)
    return decide(rules, text_evidence, declared)


@dataclass
class FolderDefault:
    """A folder's floor for the documents under it (``_folder.meta.yaml``)."""

    path: str  # the defaults file, relative to the ingested root
    values: dict[str, Any]


def _declared(rules: Rules, kind: str, values: dict[str, Any], where: str = "") -> list[Evidence]:
    out: list[Evidence] = []
    for key in rules.marking_keys:
        if key in values and values[key] not in (None, ""):
            level, caveats, problem = rules.read_value(values[key])
            out.append(
                Evidence(kind, where or f"key {key!r}", str(values[key]), level, caveats, problem)
            )
    for key in rules.caveat_keys:
        if key in values and values[key] not in (None, ""):
            caveats, problems = rules.normalise_caveats(values[key])
            out.append(
                Evidence(
                    kind,
                    where or f"key {key!r}",
                    str(values[key]),
                    rules.bottom,
                    caveats,
                    "; ".join(problems) or None,
                )
            )
    return out


def build_metadata(
    source: str,
    text: str,
    meta: dict[str, Any],
    sidecar: dict[str, Any],
    rules: Rules | None = None,
    page_starts: Sequence[int] = (),
    folder_defaults: Sequence[FolderDefault] = (),
    extra_zones: Sequence[tuple[str, str]] = (),
) -> dict:
    """Combine what the loader found with inference from the text; the sidecar overrides all
    but the marking, which only rises (see :func:`read_marking`).

    Returns a dict with title, doc_type, date, parties, marking, caveats, marking_rank,
    marking_evidence and extra (remaining scalars).
    """
    rules = rules or load_rules()
    merged = {**meta, **sidecar}
    title = str(
        merged.get("title")
        or merged.get("pdf_title")
        or merged.get("html_title")
        or merged.get("docx_title")
        or ""
    ).strip()
    subject = message_subject(text)
    title = " ".join(title.split()) or subject or _title_from_text(text, source, rules)
    # A message's form decides its type: a cable that mentions a treaty is still a record.
    dtype = (
        normalise_type(merged.get("doc_type") or merged.get("type") or merged.get("category"))
        or ("minutes" if subject is not None else None)
        or infer_type(title, text, source)
    )
    date = None
    for key in ("date", "doc_date", "signed", "date_signed"):
        date = normalise_date(merged.get(key))
        if date:
            break
    date = date or own_date(text[:20000], dtype)
    parties = _as_list(merged.get("parties") or merged.get("countries")) or find_parties(
        title + "\n" + text[:20000]
    )
    marking = read_marking(rules, text, meta, sidecar, page_starts, folder_defaults, extra_zones)
    reserved = {
        "title",
        "doc_type",
        "type",
        "date",
        "doc_date",
        "marking_override",
        *rules.marking_keys,
        *rules.caveat_keys,
    }
    extra = {
        k: v
        for k, v in merged.items()
        if isinstance(v, (str, int, float, bool)) and k not in reserved
    }
    return {
        "title": title,
        "doc_type": dtype,
        "date": date,
        "parties": parties,
        "marking": marking.marking,
        "caveats": marking.caveats,
        "marking_rank": rules.rank(marking.marking),
        "marking_evidence": [e.as_dict() for e in marking.evidence],
        "extra": extra,
    }
