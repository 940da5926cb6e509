"""The ``accord`` command: ingest, status, ask (and eval, bot, feedback from their packages).

Exit status: 0 success; 1 some files failed (ingest) or a threshold was missed (eval); 2 unusable
arguments, settings or store.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from accord import cli_access, cli_ask, cli_sources
from accord.cli_common import (
    ProgressLines,
    confirm,
    console,
    err,
    fail,
    load_settings,
    no_index,
    plain_metavars,
)
from accord.errors import AccordError
from bot import cli as bot_cli
from evals import cli as evals_cli

plain_metavars()
app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Accord: answers about cooperation documents, with sources.",
)


@app.command()
def ingest(
    folder: Path = typer.Argument(..., help="Folder of documents to keep the index in step with."),
    full: bool = typer.Option(
        False,
        "--full",
        help="Rebuild the index from nothing (drops other folders' documents: needs --prune).",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan; change nothing."),
    prune: bool = typer.Option(
        False,
        "--prune",
        help="Allow a sync that removes more than a fifth of FOLDER's documents, or more than 50.",
    ),
    data_dir: Path | None = typer.Option(None, help="Overrides ACCORD_DATA_DIR."),
) -> None:
    """Sync the index with FOLDER: add new, replace changed, remove deleted, skip unchanged.

    Only FOLDER's documents change: each folder synced is a source root of its own (see
    `accord sources`). A sync that would remove much shows its plan and asks (without a
    terminal it exits 2, changing nothing, unless --prune).

    Example: accord ingest samples/docs --dry-run
    """
    from accord.runtime import Runtime
    from ingest.sync import plan_sync

    settings = load_settings(data_dir=data_dir)
    if not folder.is_dir():
        err.print(
            f"[red]error:[/red] {escape(str(folder.resolve()))} is not a folder (or cannot "
            "be read)",
            soft_wrap=True,
        )
        raise typer.Exit(2)
    rt = Runtime(settings)
    started = time.time()
    try:
        store = rt.store(check_model=not full)
        plan = plan_sync(folder, settings, rt.manifest, full=full)
        if dry_run:
            _print_plan(plan)
            raise typer.Exit(0)
        if plan.bulk and not prune:
            _print_plan(plan, f"sync plan for {plan.root}: it removes {plan.removing} documents")
            prune = confirm(
                plan.bulk_reason() + ".", f"Remove these {plan.removing} documents from the index?"
            )
        lines = (
            ProgressLines(len(plan.todo), err, settings.progress_every_s)
            if not err.is_terminal
            else None
        )
        with Progress(
            TextColumn("[bold]ingest[/bold]"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[current]}"),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        ) as bar:
            task = bar.add_task("files", total=len(plan.todo), current="")

            def progress(src: str, n: int) -> None:
                bar.update(task, completed=n, current=src[-50:])
                if lines is not None:
                    lines.update(n)

            result = rt.syncer(check_model=not full).run(
                folder, full=full, plan=plan, progress=progress, prune=prune
            )
        if lines is not None:
            lines.update(len(plan.todo), final=True)
        del store
        rt.ensure_query_export()  # the fast question path for `accord ask` and the bot
    except AccordError as exc:
        raise fail(exc) from exc
    rt.manifest.record_run(
        started,
        str(folder.resolve()),
        rt.model_name,
        result.summary(),
        [f.as_dict() for f in result.failed],
    )
    _print_result(result)
    rt.close()
    raise typer.Exit(result.exit_code)


def _print_plan(plan, title: str = "sync plan (dry run)") -> None:
    table = Table(title=title)
    for col in ("add", "update", "remove", "unchanged", "failed", "skipped"):
        table.add_column(col, justify="right")
    table.add_row(
        *(
            str(len(x))
            for x in (plan.add, plan.update, plan.remove, plan.unchanged, plan.failed, plan.skipped)
        )
    )
    console.print(table)
    for p in plan.todo:
        console.print(f"  {p.action:7} {p.source}", highlight=False, soft_wrap=True)
    for s in plan.remove:
        console.print(f"  remove  {s}", highlight=False, soft_wrap=True)
    if plan.elsewhere:
        console.print(f"  remove  {plan.elsewhere} document(s) synced from other folders")
    if plan.adopt:
        console.print(
            f"  {len(plan.adopt)} document(s) indexed from a folder that no longer "
            f"exists are found here: they move to {plan.root} (no re-embedding)"
        )
    for f in plan.failed:
        console.print(f"  [red]fail[/red]    {f.source}: {f.reason}")
    for f in plan.skipped:
        console.print(f"  skip    {f.source}: {f.reason}")


def _print_result(result) -> None:
    for f in result.skipped:
        console.print(f"[yellow]skipped[/yellow] {f.source}: {f.reason}")
    for f in result.failed:
        console.print(f"[red]failed[/red]  {f.source}: {f.reason}")
    table = Table(title="ingest summary")
    columns = "added updated removed unchanged failed skipped chunks embedded seconds".split()
    for col in columns:
        table.add_column(col, justify="right")
    s = result.summary()
    table.add_row(*(str(s[c]) for c in columns))
    console.print(table)
    if result.ocr.read or result.ocr.cached:
        console.print(
            f"OCR: {result.ocr.read} page(s) read, {result.ocr.cached} from the cache",
            highlight=False,
        )
    for source, page, conf in result.ocr.low:
        console.print(
            f"[yellow]low OCR confidence[/yellow] {source} p. {page}: {conf:.0f}% "
            "(check its quotes against the scan)",
            highlight=False,
        )
    # One plain line as well, for logs and scripts that cannot read a table.
    console.print("summary: " + ", ".join(f"{k} {v}" for k, v in s.items()), highlight=False)


@app.command()
def status(data_dir: Path | None = typer.Option(None, help="Overrides ACCORD_DATA_DIR.")) -> None:
    """What the index holds: documents and chunks by type and marking, model, last sync.

    Example: accord status --data-dir /srv/accord
    """
    from accord.runtime import Runtime

    settings = load_settings(data_dir=data_dir)
    if not settings.has_manifest:
        raise no_index(settings)
    rt = Runtime(settings)
    try:
        chunks_in_store = rt.store().count()
    except AccordError as exc:
        raise fail(exc) from exc
    table = Table(title=f"index in {settings.chroma_url or settings.chroma_dir}")
    for col in ("type", "marking", "documents", "chunks"):
        table.add_column(col, justify="right" if col in ("documents", "chunks") else "left")
    docs = chunks = 0
    for dtype, marking, n_docs, n_chunks in rt.manifest.document_stats():
        table.add_row(dtype, marking, str(n_docs), str(n_chunks))
        docs, chunks = docs + n_docs, chunks + n_chunks
    table.add_row("[bold]total[/bold]", "", str(docs), str(chunks))
    console.print(table)
    console.print(f"chunks in the vector store: {chunks_in_store}")
    from accord.state import RULES_STATE

    rules = settings.rules()
    if rt.manifest.get_state(RULES_STATE) != rules.digest:
        err.print(
            f"[yellow]warning:[/yellow] the index was marked by other marking rules than "
            f"{rules.source}: it answers nothing until `accord ingest FOLDER` re-marks it"
        )
    problems = [
        r["source"] for r in rt.manifest.markings() if any(e.get("problem") for e in r["evidence"])
    ]
    if problems:
        err.print(
            f"[yellow]{len(problems)} document(s) carry a marking nobody could map and sit "
            f"at {rules.top}[/yellow]: see `accord markings --problems`"
        )
    console.print(f"embedding model: {rt.model_name}")
    where = (
        f"PostgreSQL {rt.manifest.db.where}"
        if settings.database_url
        else f"SQLite files in {settings.data_dir}"
    )
    console.print(f"state (manifest, audit log, feedback): {where}")
    last = rt.manifest.last_run()
    if last:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(last["finished"]))
        console.print(
            f"last sync: {when} of {last['root']}: "
            + ", ".join(f"{k} {v}" for k, v in last["summary"].items())
        )
        for f in last["failures"]:
            console.print(f"  [red]failed[/red] {f['source']}: {f['reason']}")
    rt.close()


for _front_end in (cli_ask, cli_access, cli_sources, evals_cli, bot_cli):
    _front_end.register(app)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
