"""What every ``accord`` subcommand shares: the consoles, settings loading, exits and exports.

The subcommands' modules (``accord.cli_ask``, ``accord.cli_access``, ``accord.cli_sources``,
``bot.cli``, ``evals.cli``) import these; ``accord.cli`` gathers them into one command.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

import typer
from rich.console import Console
from rich.markup import escape

from accord.errors import AccordError
from accord.settings import Settings, configure_quiet_hub


def plain_metavars() -> None:
    """Help in words an admin reads: typer 0.2x prints Python types as metavars ("<bool>",
    "<list[str]>", "{folder}"). Flags show no metavar, values a capitalised kind (TEXT, N,
    PATH, or the choices), arguments their NAME. tests/unit/test_cli_help.py checks every
    command's help, so a typer that changes these hooks fails there, not in front of a user."""
    from typer import core

    kinds = {
        "str": "TEXT",
        "int": "N",
        "float": "NUMBER",
        "path": "PATH",
        "int range": "N",
        "float range": "NUMBER",
        "datetime": "DATE",
        "file": "FILE",
        "directory": "FOLDER",
    }
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

    # Typer's rendering is patched on purpose (its methods replaced), hence the ignores.
    core.TyperOption.display_type_rich = option_metavar  # type: ignore[method-assign]
    core.TyperArgument.display_name_raw = property(  # type: ignore[method-assign,assignment]
        argument_name
    )  # also in "Missing argument"
    core.TyperArgument.display_type_rich = lambda self, ctx: None  # type: ignore[method-assign]
    core.TyperArgument._rich_display_name = argument_name  # type: ignore[method-assign]
    core.TyperArgument._usage_display_name = usage_name  # type: ignore[method-assign]


console = Console()
err = Console(stderr=True)


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment and .env, with command-line overrides; exit 2 if invalid."""
    from pydantic import ValidationError

    try:
        settings = Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:  # every bad setting at once, by its variable's name
        lines = [settings_problem(e) for e in exc.errors()]
        err.print(
            f"[red]error:[/red] {len(lines)} setting(s) cannot be used:\n"
            + "\n".join(f"  {escape(line)}" for line in lines),
            soft_wrap=True,
        )
        raise typer.Exit(2) from exc
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
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
THIRD_PARTY_LOGGERS = {
    "sentence_transformers": "WARNING",
    "transformers": "ERROR",
    "huggingface_hub": "ERROR",
    "httpx": "WARNING",
    "httpcore": "WARNING",
    "chromadb": "WARNING",
    "urllib3": "WARNING",
    "pypdf": "CRITICAL",
    "slack_bolt": "WARNING",
    "slack_sdk": "WARNING",
}


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
        self.out.print(
            f"ingest: {done}/{self.total} files ({share:.1f}%), {rate:.1f} files/s, ETA {eta_text}",
            highlight=False,
            soft_wrap=True,
        )


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
    err.print(
        f"[red]error:[/red] no index in {escape(str(settings.data_dir.resolve()))} (the "
        "data folder: --data-dir or ACCORD_DATA_DIR, default .accord under the current "
        f"folder): {then}",
        soft_wrap=True,
    )
    return typer.Exit(2)


def confirm(what: str, question: str, flag: str = "--prune") -> bool:
    """Ask ``question`` at a terminal (True when answered yes); without one, or on no, say that
    nothing changed and exit 2."""
    err.print(f"[yellow]{what}[/yellow]", highlight=False, soft_wrap=True)
    if sys.stdin.isatty() and err.is_terminal and typer.confirm(question, default=False):
        return True
    err.print(
        f"error: nothing was changed: confirm at a terminal, or run again with {flag}",
        highlight=False,
        soft_wrap=True,
    )
    raise typer.Exit(2)
