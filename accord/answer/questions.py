"""A question parsed once: its parts, the kind of answer each wants, its names and its words.

``parse(question)`` returns a ``ParsedQuestion`` whose ``parts`` are answered one by one:

- enumerated parts, as parliamentary questions write them: "To ask the Minister (a) whether ...;
  (b) if so, when ...; and (c) what ..." (the preamble says who is asked, not what);
- a trailing clause asking the same about another kind: "When was it signed, and by whom?";
- several questions in one message: "Who signed it? When?".

Each part has a kind (when, who, where, how_many, how_much, how_long, list, name, quantity,
yes_no, what), its informative words by stem (with the word as asked, whose rarity weighs it),
the first of them after its question word (its focus), the names it uses
(capitalised words and acronyms; never role words such as "Minister") and the figures it names.
All word lists come from ``accord/data/lexicon.yaml``; nothing here is specific to a question.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from accord.answer.question_kind import kind_of
from accord.errors import BadQuestion
from accord.language.lexicon import Lexicon, figure_of, lexicon, stem

_TOKEN = re.compile(r"[A-Za-z0-9\u00c0-\u024f][A-Za-z0-9\u00c0-\u024f'’.\-]*")
_ENUM = re.compile(r"(?:^|(?<=[\s;,:.]))\(\s*([a-h]|i{1,3}|iv|vi{0,3}|ix|x)\s*\)\s*", re.I)
_SENTENCES = re.compile(r"(?<=\?)\s+(?=[A-Z])")
_STATEMENT_END = re.compile(r"(?<=[a-z0-9)\]’'\"”])[.!]\s+(?=[A-Z])")


MAX_QUESTION_CHARS = 10_000  # parliamentary questions run long


def check_question(question: object) -> str:
    """Return the question stripped; raise BadQuestion saying why it cannot be answered."""
    if not isinstance(question, str) or not question.strip():
        raise BadQuestion("The question is empty: ask something about the indexed documents.")
    q = " ".join(question.split())
    if len(q) > MAX_QUESTION_CHARS:
        raise BadQuestion(
            f"The question is too long ({len(q):,} characters; the limit is "
            f"{MAX_QUESTION_CHARS:,}). Ask one question in a sentence or two."
        )
    if not re.search(r"\w", q):
        raise BadQuestion("The question has no words, only punctuation or symbols.")
    return q


@dataclass(frozen=True)
class Name:
    """A name the question uses: its words' stems, and its acronym or expansion."""

    text: str
    stems: tuple[str, ...]
    acronym: str  # "uae" for "United Arab Emirates"; the name itself lower-cased if it is one
    figure: str = ""  # the number the name ends on in the question ("Exercise Blue Heron 2023")


@dataclass
class Part:
    """One thing asked: what to search for, the kind of answer, and what it names."""

    text: str
    search: str
    kind: str
    terms: dict[str, str]  # stem -> the word as asked
    names: list[Name] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)
    negative: bool = False  # the part itself asks about an exclusion ("not covered")
    focus: list[str] = field(default_factory=list)  # stems of the first words after the ask
    counted: str = ""  # "how many *instructors*", "the number of *arrests*": its stem


@dataclass
class ParsedQuestion:
    text: str
    parts: list[Part]

    @property
    def multi(self) -> bool:
        return len(self.parts) > 1


def parse(question: str, lex: Lexicon | None = None) -> ParsedQuestion:
    """Split ``question`` into parts and read each one."""
    lex = lex or lexicon()
    q = " ".join(question.split())
    setting, asked = _setting(q, lex)
    body = _strip_preamble(asked, lex)
    pieces = _enumerated(body)
    if pieces is None:
        pieces = ("", [p for p in _SENTENCES.split(body) if p.strip()])
    lead, texts = pieces
    parts: list[Part] = []
    for i, text in enumerate(texts):
        # A later part often points back ("(b) if so, when was it published"): it is searched
        # with the first part's words too.
        context = (
            f"{lead} {texts[0]}".strip()
            if i
            and lead is not None
            and pieces[0] is not None
            and len(texts) > 1
            and _ENUM.search(body)
            else lead
        )
        for asked in _joined_asks(text, lex):
            parts.extend(_with_trailing(asked, context, lex))
    parts = [p for p in parts if p.terms or p.names or p.numbers] or [_part(body or q, "", lex)]
    if setting:
        # A briefing before the question is searched with it, but its words are not the
        # part's: a passage need not name whom the asker is briefing.
        parts = [dataclasses.replace(p, search=f"{setting} {p.search}") for p in parts]
    return ParsedQuestion(q, parts)


def _setting(q: str, lex: Lexicon) -> tuple[str, str]:
    """(statements, the ask): statements set before the question ("When the Lortan treaty
    lapsed, the two sides kept meeting. Who chairs the talks now?") are searched with it but say
    neither the kind of answer nor its focus. A statement ends with a full stop and is followed
    by a question that ends with "?" or opens with a preamble ("To ask the Minister, ...")."""
    for m in _STATEMENT_END.finditer(q):
        setting, rest = q[: m.start() + 1], q[m.end() :]
        if "?" in setting or _opens_with_preamble(setting, lex):
            return "", q
        if rest.rstrip().endswith("?") and _asks(rest, lex) or _opens_with_preamble(rest, lex):
            return setting, rest
    return "", q


def _opens_with_preamble(text: str, lex: Lexicon) -> bool:
    return any(pat.match(text) for pat in lex.preambles)


def _asks(text: str, lex: Lexicon) -> bool:
    """``text`` opens as a question: a question word, or a yes/no opening ("Has the ...")."""
    first = text.split(maxsplit=1)[0].lower().strip("(,") if text.strip() else ""
    return first in lex.interrogatives or any(o == (first,) for o, _kind in lex.kinds)


def _strip_preamble(q: str, lex: Lexicon) -> str:
    for pat in lex.preambles:
        m = pat.match(q)
        if m and m.end() < len(q) - 3:
            return q[m.end() :].lstrip(" ,:;-")
    return q


def _enumerated(body: str) -> tuple[str, list[str]] | None:
    marks = list(_ENUM.finditer(body))
    if len(marks) < 2:
        return None
    lead = body[: marks[0].start()].strip(" ,;:")
    texts = []
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(body)
        texts.append(re.sub(r"[\s,;:.]+(?:and|or)?[\s,;:.]*$", "", body[m.end() : end]).strip())
    return lead, [t for t in texts if t]


def _joined_asks(text: str, lex: Lexicon) -> list[str]:
    """ "When and where did the Committee first meet?" asks two things of one clause: "When did
    the Committee first meet?" and "where did the Committee first meet?". Other texts are
    returned as they are."""
    m = re.match(r"\s*(\w+)\s*(?:,\s*)?and\s+(\w+)\s+(\S.*)$", text)
    if (
        not m
        or m.group(1).lower() not in lex.interrogatives
        or m.group(2).lower() not in lex.interrogatives
        or m.group(1).lower() == m.group(2).lower()
    ):
        return [text]
    second, rest = m.group(2), m.group(3)
    # "What and how much was agreed?": a two-word opening of the lexicon's kinds stays whole
    head, _, tail = rest.partition(" ")
    if tail and (second.lower(), head.lower()) in {o[:2] for o, _kind in lex.kinds}:
        second, rest = f"{second} {head}", tail
    return [f"{m.group(1)} {rest}", f"{second} {rest}"]


def _with_trailing(text: str, lead: str, lex: Lexicon) -> list[Part]:
    """A part, and another when it ends by asking the same about another kind ("..., and by
    whom?")."""
    kinds = "|".join(re.escape(k) for k in sorted(lex.trailing_kinds, key=len, reverse=True))
    # "..., and if so, how much?": the lexicon's part openers may stand between
    fill = "|".join(re.escape(w) for w in sorted(lex.part_openers - {"and"}))
    marks = [
        m
        for m in re.finditer(rf",?\s+and\s+(?:(?:{fill})\b[\s,]*)*({kinds})\b", text, re.I)
        if m.start() > 10
    ]
    if not marks:
        return [_part(text, lead, lex)]
    m = marks[-1]  # the last one; what comes before it may end with another
    base, tail = text[: m.start()], text[m.end() :].strip(" ?")
    if len(tail.split()) >= 2:
        # "..., and where was it signed": a whole clause, searched with what came before,
        # unless it names its own subject ("..., and how long does the MoU now remain in force")
        own = [
            w
            for w in _TOKEN.findall(tail)
            if w.lower() not in lex.stopwords and w.lower() not in lex.question_words and len(w) > 1
        ]
        context = lead if len(own) >= 3 else f"{lead} {base}".strip()
        extra = _part(f"{m.group(1)} {tail}", context, lex)
    else:
        # "..., and by whom?": the same question about another kind
        first = text[: marks[0].start()]
        extra = _part(f"{m.group(1)} {_strip_kind_words(first, lex)} {tail}".strip(), lead, lex)
    return [*_with_trailing(base, lead, lex), extra]


def _strip_kind_words(text: str, lex: Lexicon) -> str:
    toks = text.split()
    low = [t.lower().strip("?,.") for t in toks]
    for opening, _kind in lex.kinds:
        n = len(opening)
        if tuple(low[:n]) == opening:
            return " ".join(toks[n:])
    return text


def _part(text: str, lead: str, lex: Lexicon) -> Part:
    text = re.sub(r"^(?:and|or)\s+", "", text.strip(), flags=re.I)
    text = re.sub(r"^if so,?\s*", "", text, flags=re.I)
    kind = kind_of(text, lex)
    search = f"{lead} {text}".strip() if lead else text
    terms: dict[str, str] = {}
    numbers: list[str] = []
    for w in _TOKEN.findall(search):
        low = w.lower().strip(".'’-")
        # "U.S." -> "u", "s": a dotted acronym is a name (Name.acronym), not a word to find
        for piece in re.split(r"[-’'.]", low):
            if not piece or piece in lex.stopwords or piece in lex.question_words:
                continue
            piece = figure_of(piece) or piece  # "the 12th" -> 12, as documents date
            if piece.isdigit() or piece in lex.ordinals:
                numbers.append(piece)  # a year or an ordinal: the answer must be about that one
                terms.setdefault(piece if piece.isdigit() else stem(piece), piece)
            elif len(piece) > 1 and piece not in lex.generic:
                terms.setdefault(stem(piece), piece)
    negative = any(w.lower() in lex.negation for w in _TOKEN.findall(text))
    return Part(
        text=text,
        search=search,
        kind=kind,
        terms=terms,
        names=names_in(search, lex),
        numbers=list(dict.fromkeys(numbers)),
        negative=negative,
        focus=focus_of(text, lex),
        counted=counted_of(text, lex) if kind == "how_many" else "",
    )


def counted_of(text: str, lex: Lexicon) -> str:
    """What a "how many" part counts: the stem of the first informative word after "how many"
    or after a count noun and "of" ("the number of arrests"); "" when none is found."""
    toks = [t.lower().strip(".'’-") for t in _TOKEN.findall(text)]
    for i, t in enumerate(toks):
        after = None
        if t == "many" and i and toks[i - 1] == "how":
            after = i + 1
        elif lex.kind_nouns.get(t) == "how_many" and i + 1 < len(toks) and toks[i + 1] == "of":
            after = i + 2
        if after is None:
            continue
        for w in toks[after : after + 3]:
            if w not in lex.stopwords and w not in lex.generic and not w.isdigit():
                return stem(w)
    return ""


def focus_of(text: str, lex: Lexicon, n: int = 3) -> list[str]:
    """The stems of the first ``n`` informative words after the part's question word: what the
    answer is about ("how many *instructors* ...", "who *chairs* the ...", "on what date did
    the council *ratify* ..."), as against the setting the rest of the question gives."""
    toks = [t.lower().strip(".'’-") for t in _TOKEN.findall(text)]
    start = next((i for i, t in enumerate(toks) if t in lex.interrogatives), 0)
    out: list[str] = []
    pieces = [p for t in toks[start:] for p in re.split(r"[-’'.]", t) if p]
    for t in pieces:
        if (
            t in lex.stopwords
            or t in lex.question_words
            or t in lex.generic
            or t in lex.phrase_ends
            or t in lex.kind_nouns
            or len(t) < 2
            or t.isdigit()
        ):
            continue
        out.append(stem(t))
        if len(out) >= n:
            break
    return out


def names_in(text: str, lex: Lexicon | None = None) -> list[Name]:
    """The names ``text`` uses: runs of capitalised words that are not its first word, role
    or question words, months or weekdays ("Joint Working Committee", "Anwar Ibrahim"), and
    acronyms anywhere ("ICAO")."""
    lex = lex or lexicon()
    toks = [
        (re.sub(r"['’]s$", "", m.group(0)).rstrip(".’'"), m.start()) for m in _TOKEN.finditer(text)
    ]
    runs: list[list[str]] = []
    figures: list[str] = []  # per run, the figure right after it ("... Heron 2023")
    current: list[str] = []
    for i, (tok, start) in enumerate(toks):
        low = tok.lower()
        acronym = _is_acronym(tok)
        sentence_start = i == 0 or text[:start].rstrip()[-1:] in ".?!:;("
        capital = tok[:1].isupper() and not sentence_start
        plain = (
            low in lex.stopwords
            or low in lex.question_words
            or low in lex.months
            or low in lex.weekdays
            or low in lex.roles
            or low in lex.titles
        )
        if acronym or (capital and not plain):
            current.append(tok)
        elif (
            current
            and low in lex.name_connectors
            and i + 1 < len(toks)
            and toks[i + 1][0][:1].isupper()
        ):
            current.append(tok)
        else:
            if current:
                runs.append(current)
                figures.append(tok if tok.isdigit() and text[start - 1 : start] == " " else "")
            current = []
    if current:
        runs.append(current)
        figures.append("")
    out: list[Name] = []
    for run, figure in zip(runs, figures, strict=True):
        if run and run[-1].lower() in lex.name_connectors:
            figure = ""
        while run and run[-1].lower() in lex.name_connectors:
            run = run[:-1]
        content = [t for t in run if t.lower() not in lex.name_connectors]
        if not content or all(t.lower() in lex.bodies or t.lower() in lex.roles for t in content):
            continue  # "the Ministry", "the Committee": a body, not a name
        stems = tuple(stem(p) for t in content for p in re.split(r"[-’']", t) if p)
        if len(content) == 1 and _is_acronym(content[0]):
            acr = content[0].replace(".", "").lower()
        elif len(content) > 1 and not any(_is_acronym(t) for t in content):
            acr = "".join(t[0] for t in content).lower()
        else:
            acr = ""
        out.append(Name(" ".join(run), stems, acr, figure))
    return out


def _is_acronym(tok: str) -> bool:
    t = tok.replace(".", "")
    return 2 <= len(t) <= 6 and t.isupper() and t.isalpha()
