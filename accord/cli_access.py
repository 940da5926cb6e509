"""``accord markings`` and ``accord audit export``: what each document is marked, and why; what
was answered, to whom."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

audit_app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="The audit record of every answer given."
)


def markings(
    as_json: bool = typer.Option(
        False,
        "--json",
        help="Print a JSON list of objects with "
        "source, title, marking, caveats, evidence and problems.",
    ),
    folder: Path | None = typer.Option(
        None,
        "--dir",
        help="Read the markings of the files in "
        "this folder as the next ingest would, without an index.",
    ),
    problems_only: bool = typer.Option(
        False,
        "--problems",
        help="Only documents whose marking could not be mapped (placed at the top of the ladder).",
    ),
    data_dir: Path | None = typer.Option(None, help="Overrides ACCORD_DATA_DIR."),
) -> None:
    """Every document with its marking, caveats and the evidence (the line and where it was
    found, or front matter, sidecar, folder default, none found). Exit 1 when a marking could not
    be mapped.

    Example: accord markings --problems
    """
    from accord.cli_common import console, err, load_settings

    settings = load_settings(data_dir=data_dir)
    if folder is not None:
        if not folder.is_dir():
            err.print(f"[red]error:[/red] {folder} is not a folder (or cannot be read)")
            raise typer.Exit(2)
        rows = _read_folder(folder, settings, err)
    else:
        if not settings.has_manifest:
            from accord.cli_common import no_index

            raise no_index(
                settings, "run `accord ingest FOLDER` first, or read a folder with --dir"
            )
        from accord.runtime import Runtime

        rt = Runtime(settings)
        try:
            rows = rt.manifest.markings()
        finally:
            rt.close()
    for row in rows:
        row["problems"] = [
            f"{e['line']!r}: {e['problem']}" for e in row["evidence"] if e.get("problem")
        ]
    if problems_only:
        rows = [r for r in rows if r["problems"]]
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
    else:
        table = Table(title="markings")
        for col in ("source", "marking", "caveats", "evidence"):
            table.add_column(col, overflow="fold")
        for r in rows:
            table.add_row(
                escape(r["source"]),
                r["marking"],
                ", ".join(r["caveats"]),
                escape("\n".join(_describe(e) for e in r["evidence"])),
            )
        console.print(table)
        counts: dict[str, int] = {}
        for r in rows:
            counts[r["marking"]] = counts.get(r["marking"], 0) + 1
        console.print(
            "summary: "
            + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            + f", unmappable {sum(bool(r['problems']) for r in rows)}",
            highlight=False,
        )
    for r in rows:
        for p in r["problems"]:
            err.print(
                f"[yellow]unmappable marking[/yellow] {escape(r['source'])}: {escape(p)}",
                highlight=False,
                soft_wrap=True,
            )
    raise typer.Exit(1 if any(r["problems"] for r in rows) else 0)


def _describe(e: dict[str, Any]) -> str:
    if e["kind"] == "none found":
        return "none found"
    text = f"{e['kind']} ({e['where']}): {e['line']}"
    return text + (f" [{e['problem']}]" if e.get("problem") else "")


def _read_folder(folder: Path, settings: Any, err: Any) -> list[dict[str, Any]]:
    from accord.errors import DocumentError
    from ingest.folders import FolderDefaults
    from ingest.loaders import SUPPORTED_SUFFIXES, is_sidecar
    from ingest.sync import load_document, page_ocr, walk_folder

    rules = settings.rules()
    folders = FolderDefaults(folder, rules)
    ocr = page_ocr(settings)  # a scan's marking is read from its OCR'd text (cached)
    rows = []
    for path in walk_folder(folder):
        if is_sidecar(path) or path.suffix.lower() not in SUPPORTED_SUFFIXES:
            continue
        rel = path.relative_to(folder).as_posix()
        try:
            doc, _ = load_document(path, rel, rules, folders, ocr)
        except DocumentError as exc:
            err.print(f"[red]failed[/red] {escape(rel)}: {escape(exc.reason)}", highlight=False)
            continue
        rows.append(
            {
                "source": rel,
                "title": doc.title,
                "marking": doc.marking,
                "caveats": doc.caveats,
                "evidence": doc.marking_evidence,
            }
        )
    return rows


@audit_app.command("export")
def audit_export(
    fmt: str = typer.Option("jsonl", "--format", help="jsonl or csv."),
    since: str | None = typer.Option(
        None, "--since", help="Only rows at or after this ISO date or date-time (UTC)."
    ),
    out: Path | None = typer.Option(None, "--out", help="File to write (default: stdout)."),
    data_dir: Path | None = typer.Option(None, help="Overrides ACCORD_DATA_DIR."),
) -> None:
    """Write the audit record: one row per answer (and per Slack share).

    Example: accord audit export --format csv --since 2026-01-01 --out audit.csv
    """
    from accord.access.audit import DB_NAME
    from accord.cli_common import err, load_settings, write_export
    from accord.runtime import Runtime
    from ingest.metadata import normalise_date

    settings = load_settings(data_dir=data_dir)
    if fmt not in ("jsonl", "csv"):
        err.print(f"[red]error:[/red] unknown format {fmt!r}: use jsonl or csv")
        raise typer.Exit(2)
    if since is not None and normalise_date(since[:10]) is None:
        err.print(f"[red]error:[/red] --since {since!r} is not a date (use YYYY-MM-DD)")
        raise typer.Exit(2)
    if not settings.state_exists(DB_NAME):
        err.print(f"[red]error:[/red] no audit record in {settings.data_dir} yet")
        raise typer.Exit(2)
    rt = Runtime(settings)
    try:
        n = write_export(out, lambda fh: rt.audit.export(fh, fmt, since))
    finally:
        rt.close()
    err.print(f"{n} audit rows written" + (f" to {out}" if out else ""))


def register(app: typer.Typer) -> None:
    """Add ``markings``, ``documents`` and ``audit`` to the ``accord`` command."""
    app.command("markings")(markings)
    app.add_typer(audit_app, name="audit")
    register_documents(app)


def documents(
    as_of: str | None = typer.Option(
        None, "--as-of", help="Status on this date (ISO); default today."
    ),
    in_force: bool = typer.Option(False, "--in-force", help="Only instruments in force."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    data_dir: Path | None = typer.Option(None, help="Overrides ACCORD_DATA_DIR."),
) -> None:
    """The instruments in the index (MoUs, agreements, protocols): signed, in force, term,
    status on a date, and what amends, supersedes or terminates what, with the evidence.

    Example: accord documents --in-force --as-of 2025-06-30
    """
    from accord.cli_common import console, err, load_settings
    from accord.instruments.registry import registry_of
    from accord.runtime import Runtime
    from ingest.metadata import normalise_date

    settings = load_settings(data_dir=data_dir)
    if as_of is not None and normalise_date(as_of) is None:
        err.print(f"[red]error:[/red] --as-of {as_of!r} is not a date (use YYYY-MM-DD)")
        raise typer.Exit(2)
    day = normalise_date(as_of) if as_of else None
    if not settings.has_manifest:
        from accord.cli_common import no_index

        raise no_index(settings)
    rt = Runtime(settings)
    try:
        reg = registry_of(rt.manifest)
    finally:
        rt.close()
    rows = []
    for inst in reg.items.values():
        st = reg.status(inst.source, day)
        if in_force and st.state != "in force":
            continue
        row = inst.as_dict()
        row["status"] = st.state
        row["term_months_now"] = st.term_months
        row["amended_by"] = [
            {"source": s, "articles": [c.article for c in r.changes]} for s, r in st.amended_by
        ]
        row["superseded_by"] = st.superseded_by
        rows.append(row)
    unresolved = [
        {"source": s, "kind": r.kind, "reference": r.target_ref} for s, r in reg.unresolved
    ]
    if as_json:
        print(
            json.dumps(
                {"as_of": day, "instruments": rows, "unresolved": unresolved},
                ensure_ascii=False,
                indent=1,
            )
        )
        return
    table = Table(title=f"instruments as of {day or 'today'}")
    for col in ("source", "signed", "status", "term", "lineage and evidence"):
        table.add_column(col, overflow="fold")
    for r in rows:
        lineage = []
        for a in r["amended_by"]:
            lineage.append(f"amended by {a['source']} (Article {', '.join(a['articles'])})")
        for rel in r["relations"]:
            ev = rel["evidence"]["text"] if rel["evidence"] else "(front matter)"
            lineage.append(
                f"{rel['kind']} {rel['target'] or 'UNRESOLVED ' + rel['target_ref']}"
                f": {' '.join(ev.split())[:200]}"
            )
        if r["term_evidence"]:
            lineage.append("term: " + " ".join(r["term_evidence"]["text"].split())[:160])
        term = f"{r['term_months_now'] // 12} years" if r["term_months_now"] else ""
        table.add_row(
            escape(r["source"]), r["signed"] or "", r["status"], term, escape("\n".join(lineage))
        )
    console.print(table)
    for u in unresolved:
        console.print(
            f"unresolved: {escape(u['source'])} {u['kind']} {escape(u['reference'])}",
            highlight=False,
        )


def register_documents(app: typer.Typer) -> None:
    app.command("documents")(documents)
