"""``accord ask``: answer one question in the terminal, with its sources (or as JSON)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from accord.errors import AccordError
from accord.models import DOC_TYPES

if TYPE_CHECKING:
    from accord.access.audiences import Audience
    from accord.settings import Settings


def ask(
    question: str = typer.Argument(..., help="The question, in quotes."),
    as_json: bool = typer.Option(False, "--json", help="Print the answer as JSON."),
    doc_type: list[str] = typer.Option(
        [], "--type", help="Only this document type (repeatable): " + ", ".join(DOC_TYPES) + "."
    ),
    since: str | None = typer.Option(None, "--since", help="Only documents dated on/after (ISO)."),
    until: str | None = typer.Option(None, "--until", help="Only documents dated on/before (ISO)."),
    party: list[str] = typer.Option([], "--party", help="Only documents naming this party."),
    clearance: str | None = typer.Option(
        None,
        help="Audience clearance (overrides ACCORD_CLEARANCE): a level of the markings "
        "ladder or a national name for one.",
    ),
    caveat: list[str] = typer.Option(
        [],
        "--caveat",
        help="A caveat the audience holds (repeatable; overrides "
        "ACCORD_CAVEATS): AUSTEO, NZEO, 'REL TO SGP' ...",
    ),
    k: int | None = typer.Option(None, "--k", help="Chunks to retrieve (default ACCORD_TOP_K)."),
    as_of: str | None = typer.Option(
        None,
        "--as-of",
        help="Answer as on this date (ISO): "
        "later documents are left out, amendments and status "
        "judged on it.",
    ),
    data_dir: Path | None = typer.Option(None, help="Overrides ACCORD_DATA_DIR."),
) -> None:
    """Answer QUESTION from the indexed documents, citing the passages it rests on.

    Example: accord ask "When was the MoU signed, and by whom?" --type mou
    """
    from accord.cli_common import console, err, fail

    settings, audience = _setup(question, data_dir, clearance, caveat)
    from accord.access.audit import Origin
    from accord.models import Filters
    from accord.runtime import Runtime
    from ingest.metadata import normalise_type

    types = []
    for t in doc_type:
        nt = normalise_type(t)
        if nt is None:
            err.print(
                f"[red]error:[/red] unknown document type {t!r} (mou, minutes, statement, "
                "readout, report, other)"
            )
            raise typer.Exit(2)
        types.append(nt)
    dates = {
        name: _iso(name, value)
        for name, value in (("--since", since), ("--until", until), ("--as-of", as_of))
        if value
    }
    filters = Filters(
        doc_types=types, since=dates.get("--since"), until=dates.get("--until"), parties=list(party)
    )
    rt = Runtime(settings)
    try:
        ans = rt.qa.answer(
            question,
            filters,
            k=k,
            audience=audience,
            origin=Origin("cli", _os_user(), None),
            as_of=dates.get("--as-of"),
        )
    except AccordError as exc:
        raise fail(exc) from exc
    if as_json:
        print(json.dumps(ans.to_dict(), ensure_ascii=False, indent=2))
        return
    console.print(escape(ans.text), highlight=False)
    if ans.notice:
        console.print(f"[yellow]note:[/yellow] {escape(ans.notice)}")
    if ans.citations:
        console.print("\n[bold]Sources[/bold]")
        for c in ans.citations:
            where = ", ".join(w for w in (c.pages(), c.section or "") if w)
            mark = (
                " ".join([c.marking] + list(c.caveats))
                if c.marking != "UNMARKED" or c.caveats
                else ""
            )
            console.print(
                f"[{c.n}] [bold]{escape(c.title)}[/bold] ({c.doc_type}, "
                f"{c.date or 'undated'}{', ' + escape(where) if where else ''}"
                f"{', ' + escape(mark) if mark else ''}) "
                f"{escape(c.source)}",
                highlight=False,
            )
            shown = ans.shown_quote(c)
            console.print(
                f"    \u201c{escape(shown)}\u201d"
                if shown is not None
                else "    (quoted in the answer above)",
                highlight=False,
            )
            note = c.ocr_note()
            if note:
                console.print(f"    [dim]({escape(note)})[/dim]", highlight=False)
    if ans.refused and ans.related:
        console.print("\n[bold]Possibly related[/bold]")
        for r in ans.related:
            console.print(f"  - {escape(r.title)} ({escape(r.source)})", highlight=False)


def _setup(
    question: str, data_dir: Path | None, clearance: str | None, caveats: list[str]
) -> tuple[Settings, Audience]:
    """The settings and the audience of one question: the question is checked before anything
    heavy loads, and the index must exist. Exits 2 with one line saying what is wrong."""
    from accord.answer.questions import check_question
    from accord.cli_common import err, fail, load_settings
    from accord.errors import BadQuestion

    try:
        check_question(question)
    except BadQuestion as exc:
        raise fail(exc) from exc
    settings = load_settings(data_dir=data_dir)
    try:
        audience = settings.cli_audience(clearance, list(caveats) if caveats else None)
    except ValueError as exc:
        err.print(f"[red]error:[/red] --clearance: {exc}")
        raise typer.Exit(2) from exc
    if not settings.has_manifest:
        from accord.cli_common import no_index

        raise no_index(settings)
    return settings, audience


def _iso(name: str, value: str) -> str:
    """``value`` as an ISO date; exits 2 naming the option when it is not a date."""
    from accord.cli_common import err
    from ingest.metadata import normalise_date

    iso = normalise_date(value)
    if iso is None:
        err.print(f"[red]error:[/red] {name} {value!r} is not a date (use YYYY-MM-DD)")
        raise typer.Exit(2)
    return iso


def _os_user() -> str | None:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no user name in a container without a passwd entry
        return None


def timeline_cmd(
    topic: str = typer.Argument(..., help="What the timeline is about, in quotes."),
    clearance: str | None = typer.Option(None, help="Audience clearance."),
    caveat: list[str] = typer.Option([], "--caveat", help="A caveat the audience holds."),
    since: str | None = typer.Option(None, "--since", help="Only documents dated on/after."),
    until: str | None = typer.Option(None, "--until", help="Only documents dated on/before."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    data_dir: Path | None = typer.Option(None, help="Overrides ACCORD_DATA_DIR."),
) -> None:
    """The signings, meetings, statements and amendments on TOPIC in date order, each entry a
    verbatim quote with its source.

    Example: accord timeline "transborder crime MoU" --since 2023-01-01
    """
    from accord.cli_common import console, fail

    settings, audience = _setup(topic, data_dir, clearance, caveat)
    from accord.answer.timeline import timeline
    from accord.runtime import Runtime

    rt = Runtime(settings)
    try:
        entries, undated = timeline(
            rt.qa,
            topic,
            audience,
            until=_iso("--until", until) if until else None,
            since=_iso("--since", since) if since else None,
        )
    except AccordError as exc:
        raise fail(exc) from exc
    if as_json:
        print(
            json.dumps(
                {
                    "topic": topic,
                    "undated_left_out": undated,
                    "entries": [
                        {
                            "date": e.date,
                            "n": e.citation.n,
                            "source": e.citation.source,
                            "title": e.citation.title,
                            "quote": e.citation.quote,
                            "char_start": e.citation.char_start,
                            "char_end": e.citation.char_end,
                        }
                        for e in entries
                    ],
                },
                ensure_ascii=False,
                indent=1,
            )
        )
        return
    for e in entries:
        console.print(
            f"{e.date}  {escape(' '.join(e.citation.quote.split()))} [{e.citation.n}]",
            highlight=False,
        )
    console.print("\n[bold]Sources[/bold]")
    for e in entries:
        console.print(
            f"[{e.citation.n}] {escape(e.citation.title)} ({e.citation.doc_type}, "
            f"{e.date}) {escape(e.citation.source)}",
            highlight=False,
        )
    if undated:
        console.print(f"({undated} undated document(s) left out)")


def register(app: typer.Typer) -> None:
    app.command("ask")(ask)
    app.command("timeline")(timeline_cmd)
