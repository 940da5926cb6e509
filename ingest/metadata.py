"""Document metadata: title, type, date, parties and security marking.

Front matter and a ``NAME.meta.yaml`` sidecar win over anything inferred from the text; the
sidecar wins over front matter.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import PurePosixPath
from typing import Any

from accord.models import DOC_TYPES
from accord.settings import MARKINGS, UNMARKED

_TYPE_ALIASES = {
    "mou": "mou", "mou_agreement": "mou", "agreement": "mou", "treaty": "mou", "protocol": "mou",
    "memorandum": "mou", "minutes": "minutes", "record": "minutes",
    "record_of_conversation": "minutes", "cablegram": "minutes", "statement": "statement",
    "joint_statement": "statement", "press_statement": "statement", "press_release": "statement",
    "readout": "readout", "report": "report", "other": "other",
}

# Checked in order: a "Readout of ..." or "Joint Statement on the MoU" is not itself an MoU.
_TYPE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("readout", re.compile(r"\bread-?out\b", re.I)),
    ("statement", re.compile(
        r"\b(joint|press|leaders'?|ministerial)\s+(statement|release|declaration|communiqu[eé])"
        r"|\bcommuniqu[eé]\b|\bjoint declaration\b|\bstatement\b", re.I)),
    ("mou", re.compile(
        r"\bmemorandum of understanding\b|\bmou\b|\bagreement\b|\btreaty\b|\bprotocol\b"
        r"|\bconvention\b|\barrangement\b", re.I)),
    ("minutes", re.compile(
        r"\bminutes\b|\brecord of (conversation|meeting|discussion)s?\b|\bcablegram\b"
        r"|\bnote (for|of) (file|meeting)\b|\bnotes of\b|\bsummary record\b|\bdespatch\b"
        r"|\bletter from\b|\bsubmission\b|\bdecision\b|\bmemorandum\b", re.I)),
    ("report", re.compile(r"\breport\b|\bresponse\b|\breview\b|\binquiry\b|\bfact sheet\b", re.I)),
]

_MONTHS = ("january february march april may june july august september october november "
           "december").split()
_MON = r"(January|February|March|April|May|June|July|August|September|October|November|December)"
_DATE_PATTERNS = [
    re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+" + _MON + r",?\s+(\d{4})\b"),  # 14 November 2024
    re.compile(r"\b" + _MON + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b"),  # November 14, 2024
    re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"),
]

# A marking line: the marking in capitals or title case ("SECRET", "Top Secret"), optionally
# with capitalised qualifiers ("Secret and Personal", "SECRET AUSTEO", "OFFICIAL-SENSITIVE"),
# and nothing else on the line. Lower-case prose ("official state visit") never matches.
_MARKING_LINE = re.compile(
    r"^[ \t*_#>]*(TOP[ \t]+SECRET|Top[ \t]+Secret|SECRET|Secret|CONFIDENTIAL|Confidential|"
    r"RESTRICTED|Restricted|OFFICIAL|Official)"
    r"(?:(?:[ \t]*[\-:/]+[ \t]*|[ \t]+)(?:and|And|AND|[A-Z][A-Za-z]*)){0,5}[ \t*_.]*$",
    re.M,
)

# Countries and their demonyms as they appear in cooperation documents. Not exhaustive: front
# matter or a sidecar can name the parties exactly.
_COUNTRIES = """Afghanistan Albania Algeria Angola Argentina Armenia Australia Austria Azerbaijan
Bahrain Bangladesh Belarus Belgium Bhutan Bolivia Botswana Brazil Brunei Bulgaria Cambodia
Cameroon Canada Chile China Colombia Croatia Cuba Cyprus Czechia Denmark Ecuador Egypt Estonia
Ethiopia Fiji Finland France Georgia Germany Ghana Greece Guatemala Guyana Haiti Honduras Hungary
Iceland India Indonesia Iran Iraq Ireland Israel Italy Jamaica Japan Jordan Kazakhstan Kenya
Korea Kuwait Laos Latvia Lebanon Libya Lithuania Luxembourg Malaya Malaysia Maldives Mali Malta
Mexico Moldova Mongolia Montenegro Morocco Mozambique Myanmar Burma Namibia Nepal Netherlands
Nigeria Norway Oman Pakistan Palau Panama Paraguay Peru Philippines Poland Portugal Qatar Romania
Russia Rwanda Samoa Senegal Serbia Singapore Slovakia Slovenia Somalia Spain Sudan Sweden
Switzerland Syria Taiwan Tanzania Thailand Tonga Tunisia Turkey Türkiye Uganda Ukraine Uruguay
Uzbekistan Vanuatu Venezuela Vietnam Zambia Zimbabwe Sarawak Sabah Sumatra""".split()
_MULTI = ["United States", "United Kingdom", "New Zealand", "Papua New Guinea", "South Africa",
          "Saudi Arabia", "Sri Lanka", "Timor-Leste", "East Timor", "North Borneo",
          "United Arab Emirates", "Solomon Islands", "Marshall Islands", "Costa Rica",
          "Dominican Republic", "El Salvador", "Viet Nam", "Republic of Korea", "South Korea"]
_DEMONYMS = {"American": "United States", "Australian": "Australia", "British": "United Kingdom",
             "Malaysian": "Malaysia", "Malayan": "Malaya", "Singaporean": "Singapore",
             "Indonesian": "Indonesia", "Japanese": "Japan", "Chinese": "China",
             "Indian": "India", "Filipino": "Philippines", "Vietnamese": "Vietnam",
             "Thai": "Thailand", "Korean": "Korea", "French": "France", "German": "Germany",
             "Canadian": "Canada", "Brazilian": "Brazil", "Mexican": "Mexico"}
_ALIASES = {"U.S.": "United States", "USA": "United States", "UK": "United Kingdom",
            "Viet Nam": "Vietnam", "South Korea": "Korea", "Republic of Korea": "Korea",
            "Türkiye": "Turkey", "Burma": "Myanmar", "East Timor": "Timor-Leste"}
_COUNTRY_RE = re.compile(
    r"\b(" + "|".join(re.escape(c) for c in sorted(_MULTI + _COUNTRIES + list(_DEMONYMS),
                                                     key=len, reverse=True)) + r")\b"
    r"|(?<![\w.])(U\.S\.|USA|UK)(?![\w])"
)
# "Republic of Meridia", "Kingdom of Sundara", "Government of X": parties not in any list.
_STATE_WORDS = ("Republic", "Kingdom", "Federation", "Commonwealth", "State", "Sultanate",
                "Principality", "Government", "People")
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
    for probe in (title, head, PurePosixPath(source).stem.replace("-", " ")):
        for dtype, pat in _TYPE_PATTERNS:
            if probe and pat.search(probe):
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


def first_date(text: str) -> str | None:
    """The first full date (day, month and year) written in ``text``, as ISO, or None."""
    best: tuple[int, str] | None = None
    for i, pat in enumerate(_DATE_PATTERNS):
        for m in pat.finditer(text):
            try:
                if i == 0:
                    d = dt.date(int(m.group(3)), _MONTHS.index(m.group(2).lower()) + 1,
                                int(m.group(1)))
                elif i == 1:
                    d = dt.date(int(m.group(3)), _MONTHS.index(m.group(1).lower()) + 1,
                                int(m.group(2)))
                else:
                    d = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                continue
            if best is None or m.start() < best[0]:
                best = (m.start(), d.isoformat())
            break
    return best[1] if best else None


def find_marking(text: str) -> str:
    """The highest security marking written on its own line in the document's head or foot.

    Markings sit at the top (and often the bottom) of a page; a line that is only a marking is
    required so that "the Secretary" or "confidential talks" in prose never mark a document.
    """
    probe = text[:800] + "\n" + text[-400:]
    found = {re.sub(r"\s+", " ", m.group(1)).upper() for m in _MARKING_LINE.finditer(probe)}
    for marking in MARKINGS:
        if marking in found:
            return marking
    return UNMARKED


def normalise_marking(value: Any) -> str:
    v = re.sub(r"\s+", " ", str(value or "").strip()).upper()
    if not v or v in ("NONE", "UNCLASSIFIED", "UNMARKED", "PUBLIC"):
        return UNMARKED
    for marking in MARKINGS:
        if v.startswith(marking):
            return marking
    return UNMARKED


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


def _title_from_text(text: str, source: str) -> str:
    for line in text.splitlines():
        line = line.strip(" #*\t")
        if 4 <= len(line) <= 200 and re.search(r"[A-Za-z]", line):
            return line
    return PurePosixPath(source).stem.replace("-", " ").replace("_", " ")


def build_metadata(source: str, text: str, meta: dict[str, Any], sidecar: dict[str, Any]) -> dict:
    """Combine what the loader found with inference from the text; the sidecar overrides all.

    Returns a dict with title, doc_type, date, parties, marking and extra (remaining scalars).
    """
    merged = {**meta, **sidecar}
    title = str(merged.get("title") or merged.get("pdf_title") or merged.get("html_title")
                or merged.get("docx_title") or "").strip()
    title = " ".join(title.split()) or _title_from_text(text, source)
    dtype = (normalise_type(merged.get("doc_type") or merged.get("type") or merged.get("category"))
             or infer_type(title, text, source))
    date = None
    for key in ("date", "doc_date", "signed", "date_signed"):
        date = normalise_date(merged.get(key))
        if date:
            break
    date = date or first_date(text[:20000])
    parties = _as_list(merged.get("parties") or merged.get("countries")) or find_parties(
        title + "\n" + text[:20000])
    if "marking" in merged or "classification" in merged:
        marking = normalise_marking(merged.get("marking") or merged.get("classification"))
        if "marking" not in sidecar:  # a marking in the text is never lowered by front matter
            marking = max(marking, find_marking(text), key=_rank)
    else:
        marking = find_marking(text)
    extra = {k: v for k, v in merged.items()
             if isinstance(v, (str, int, float, bool)) and k not in
             ("title", "doc_type", "type", "date", "doc_date", "marking", "classification")}
    return {"title": title, "doc_type": dtype, "date": date, "parties": parties,
            "marking": marking, "extra": extra}


def _rank(marking: str) -> int:
    from accord.settings import marking_rank

    return marking_rank(marking)
