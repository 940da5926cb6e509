"""The ``accord`` command: ingest, status, ask (and eval, bot, feedback from their packages).

Exit status: 0 success; 1 some files failed (ingest) or a threshold was missed (eval); 2 unusable
arguments, settings or store.
"""

from __future__ import annotations

import importlib
import logging
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

import typer
from rich.console import Console
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

from accord.errors import AccordError
from accord.settings import Settings, configure_quiet_hub


def plain_metavars() -> None:
    """Help in words an admin reads: typer 0.2x prints Python types as metavars ("<bool>",
    "<list[str]>", "{folder}"). Flags show no metavar, values a capitalised kind (TEXT, N,
    PATH, or the choices), arguments their NAME. tests/unit/test_cli_help.py checks every
    command's help, so a typer that changes these hooks fails there, not in front of a user."""
    from typer import core

    kinds = {"str": "TEXT", "int": "N", "float": "NUMBER", "path": "PATH", "int range": "N",
             "float range": "NUMBER", "datetime": "DATE", "file": "FILE", "directory": "FOLDER"}
    shown = core.TyperOption.display_type

    def option_metavar(self: Any, ctx: Any) -> str | None:
        if self.metavar is not None:
            return str(self.metavar)
        if self.is_flag:
            return None
        label = shown(self, ctx).strip("<>").removeprefix("list[").removesuffix("]")
        return kinds.get(label, label if "|" in label else label.upper())

    def argument_name(self: Any) -> str:
        return str(self.metavar or self.name).upper()

    def usage_name(self: Any) -> str:
        name = argument_name(self) + ("..." if self.nargs != 1 else "")
        return name if self.required else f"[{name}]"

    core.TyperOption.display_type_rich = option_metavar
    core.TyperArgument.display_name_raw = property(argument_name)  # also in "Missing argument"
    core.TyperArgument.display_type_rich = lambda self, ctx: None
    core.TyperArgument._rich_display_name = argument_name
    core.TyperArgument._usage_display_name = usage_name


plain_metavars()
app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Accord: answers about cooperation documents, with sources.")
console = Console()
err = Console(stderr=True)


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment and .env, with command-line overrides; exit 2 if invalid."""
    from pydantic import ValidationError

    try:
        settings = Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:  # every bad setting at once, by its variable's name
        lines = [settings_problem(e) for e in exc.errors()]
        err.print(f"[red]error:[/red] {len(lines)} setting(s) cannot be used:\n"
                  + "\n".join(f"  {escape(line)}" for line in lines), soft_wrap=True)
        raise typer.Exit(2) from exc
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    quiet_third_parties(settings.log_level.upper())
    return settings


def settings_problem(error: Mapping[str, Any]) -> str:
    """One pydantic error as ``ACCORD_NAME: reason (got value)``; secrets are not echoed."""
    name = "ACCORD_" + "_".join(str(p) for p in error.get("loc", ())).upper()
    reason = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    if any(w in name for w in ("TOKEN", "SECRET", "KEY", "PASSWORD")) or "input" not in error:
        return f"{name}: {reason}"
    return f"{name}: {reason} (got {error['input']!r})"


# Libraries whose INFO lines, progress bars and recoverable-parse warnings would sit beside
# Accord's own report (which says what matters: a file that failed, and why).
THIRD_PARTY_LOGGERS = {"sentence_transformers": "WARNING", "transformers": "ERROR",
                       "huggingface_hub": "ERROR", "httpx": "WARNING", "httpcore": "WARNING",
                       "chromadb": "WARNING", "urllib3": "WARNING", "pypdf": "CRITICAL",
                       "slack_bolt": "WARNING", "slack_sdk": "WARNING"}


def quiet_third_parties(level: str) -> None:
    """Raise third-party loggers to at least their entry above (DEBUG shows everything)."""
    if level == "DEBUG":
        return
    configure_quiet_hub()
    for name, floor in THIRD_PARTY_LOGGERS.items():
        logger = logging.getLogger(name)
        logger.setLevel(max(logging.getLevelName(floor), logging.getLevelName(level)))


class ProgressLines:
    """Progress for logs: one plain line every ``every`` seconds (done / total, files per
    second, ETA) when the output is not a terminal, where a bar would draw nothing."""

    def __init__(self, total: int, out: Console, every: float = 5.0) -> None:
        self.total, self.out, self.every = total, out, every
        self.start = self.last = time.monotonic()

    def update(self, done: int, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self.last < self.every:
            return
        self.last = now
        rate = done / max(now - self.start, 1e-9)
        eta = (self.total - done) / rate if rate > 0 else float("inf")
        share = 100.0 * done / self.total if self.total else 100.0
        eta_text = f"{eta:.0f} s" if eta != float("inf") else "unknown"
        self.out.print(f"ingest: {done}/{self.total} files ({share:.1f}%), {rate:.1f} files/s, "
                       f"ETA {eta_text}", highlight=False, soft_wrap=True)


def write_export(out: Path | None, write: Callable[[IO[str]], int]) -> int:
    """Run ``write`` on ``out`` (opened for text, newline as written) or on stdout; return the
    number of rows it wrote."""
    if out is None:
        return write(sys.stdout)
    with out.open("w", encoding="utf-8", newline="") as fh:
        return write(fh)


def fail(exc: AccordError, code: int = 2) -> typer.Exit:
    err.print(f"[red]error:[/red] {escape(exc.message)}", soft_wrap=True)
    return typer.Exit(code)


def no_index(settings: Settings, then: str = "run `accord ingest FOLDER` first") -> typer.Exit:
    """The one message for a data folder without an index: its absolute path, where it came
    from, and what to do."""
    err.print(f"[red]error:[/red] no index in {escape(str(settings.data_dir.resolve()))} (the "
              "data folder: --data-dir or ACCORD_DATA_DIR, default .accord under the current "
              f"folder): {then}", soft_wrap=True)
    return typer.Exit(2)


@app.command()
def ingest(
    folder: Path = typer.Argument(..., help="Folder of documents to keep the index in step with."),
    full: bool = typer.Option(False, "--full", help="Rebuild the index from nothing (drops "
                              "other folders' documents: needs --prune)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan; change nothing."),
    prune: bool = typer.Option(False, "--prune", help="Allow a sync that removes more than a "
                               "fifth of FOLDER's documents, or more than 50."),
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
        err.print(f"[red]error:[/red] {escape(str(folder.resolve()))} is not a folder (or cannot "
                  "be read)", soft_wrap=True)
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
            prune = confirm(plan.bulk_reason() + ".",
                            f"Remove these {plan.removing} documents from the index?")
        lines = (ProgressLines(len(plan.todo), err, settings.progress_every_s)
                 if not err.is_terminal else None)
        with Progress(TextColumn("[bold]ingest[/bold]"), BarColumn(), MofNCompleteColumn(),
                      TaskProgressColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
                      TextColumn("{task.fields[current]}"),
                      console=err, transient=True, disable=not err.is_terminal) as bar:
            task = bar.add_task("files", total=len(plan.todo), current="")

            def progress(src: str, n: int) -> None:
                bar.update(task, completed=n, current=src[-50:])
                if lines is not None:
                    lines.update(n)

            result = rt.syncer(check_model=not full).run(folder, full=full, plan=plan,
                                                         progress=progress, prune=prune)
        if lines is not None:
            lines.update(len(plan.todo), final=True)
        del store
        rt.ensure_query_export()  # the fast question path for `accord ask` and the bot
    except AccordError as exc:
        raise fail(exc) from exc
    rt.manifest.record_run(started, str(folder.resolve()), rt.model_name, result.summary(),
                           [f.as_dict() for f in result.failed])
    _print_result(result)
    rt.close()
    raise typer.Exit(result.exit_code)


def confirm(what: str, question: str, flag: str = "--prune") -> bool:
    """Ask ``question`` at a terminal (True when answered yes); without one, or on no, say that
    nothing changed and exit 2."""
    err.print(f"[yellow]{what}[/yellow]", highlight=False, soft_wrap=True)
    if sys.stdin.isatty() and err.is_terminal and typer.confirm(question, default=False):
        return True
    err.print(f"error: nothing was changed: confirm at a terminal, or run again with {flag}",
              highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _print_plan(plan, title: str = "sync plan (dry run)") -> None:
    table = Table(title=title)
    for col in ("add", "update", "remove", "unchanged", "failed", "skipped"):
        table.add_column(col, justify="right")
    table.add_row(*(str(len(x)) for x in (plan.add, plan.update, plan.remove, plan.unchanged,
                                           plan.failed, plan.skipped)))
    console.print(table)
    for p in plan.todo:
        console.print(f"  {p.action:7} {p.source}", highlight=False, soft_wrap=True)
    for s in plan.remove:
        console.print(f"  remove  {s}", highlight=False, soft_wrap=True)
    if plan.elsewhere:
        console.print(f"  remove  {plan.elsewhere} document(s) synced from other folders")
    if plan.adopt:
        console.print(f"  {len(plan.adopt)} document(s) indexed from a folder that no longer "
                      f"exists are found here: they move to {plan.root} (no re-embedding)")
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
    for col in ("added", "updated", "removed", "unchanged", "failed", "skipped", "chunks",
                "embedded", "seconds"):
        table.add_column(col, justify="right")
    s = result.summary()
    table.add_row(*(str(s[c]) for c in ("added", "updated", "removed", "unchanged", "failed",
                                         "skipped", "chunks", "embedded", "seconds")))
    console.print(table)
    if result.ocr.read or result.ocr.cached:
        console.print(f"OCR: {result.ocr.read} page(s) read, {result.ocr.cached} from the cache",
                      highlight=False)
    for source, page, conf in result.ocr.low:
        console.print(f"[yellow]low OCR confidence[/yellow] {source} p. {page}: {conf:.0f}% "
                      "(check its quotes against the scan)", highlight=False)
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
        err.print(f"[yellow]warning:[/yellow] the index was marked by other marking rules than "
                  f"{rules.source}: it answers nothing until `accord ingest FOLDER` re-marks it")
    problems = [r["source"] for r in rt.manifest.markings()
                if any(e.get("problem") for e in r["evidence"])]
    if problems:
        err.print(f"[yellow]{len(problems)} document(s) carry a marking nobody could map and sit "
                  f"at {rules.top}[/yellow]: see `accord markings --problems`")
    console.print(f"embedding model: {rt.model_name}")
    where = (f"PostgreSQL {rt.manifest.db.where}" if settings.database_url
             else f"SQLite files in {settings.data_dir}")
    console.print(f"state (manifest, audit log, feedback): {where}")
    last = rt.manifest.last_run()
    if last:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(last["finished"]))
        console.print(f"last sync: {when} of {last['root']}: " + ", ".join(
            f"{k} {v}" for k, v in last["summary"].items()))
        for f in last["failures"]:
            console.print(f"  [red]failed[/red] {f['source']}: {f['reason']}")
    rt.close()


for _module in ("accord.cli_ask", "accord.cli_access", "accord.cli_sources", "evals.cli",
                "bot.cli"):
    try:
        importlib.import_module(_module).register(app)
    except ModuleNotFoundError as _exc:  # a front end not installed in this checkout
        if _exc.name != _module:
            raise


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
