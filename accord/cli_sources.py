"""``accord sources`` and ``accord remove``: the folders an index is synced from (its source
roots), and taking a root or one document out of the index explicitly, with its plan."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from ingest.manifest import Manifest


UNATTRIBUTED = "(no recorded sync)"
SHOWN = 20  # documents listed in a removal plan before "... and N more"


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) if ts else "-"


def _state(root: str | None) -> str:
    if root is None:
        return "unattributed"
    return "present" if Path(root).is_dir() else "missing"


def sources(
    as_json: bool = typer.Option(
        False,
        "--json",
        help="Print a JSON list of objects with root, "
        "documents, chunks, last_sync, state and summary.",
    ),
    data_dir: Path | None = typer.Option(None, help="Overrides ACCORD_DATA_DIR."),
) -> None:
    """The folders this index is synced from (source roots): documents, chunks, last sync, and
    whether the folder is still there. `accord ingest ROOT` syncs one; `accord remove ROOT`
    takes one out.

    Example: accord sources --json
    """
    from accord.cli_common import console, err, load_settings, no_index
    from accord.runtime import Runtime

    settings = load_settings(data_dir=data_dir)
    if not settings.has_manifest:
        raise no_index(settings)
    rt = Runtime(settings)
    try:
        rows = rt.manifest.roots()
    finally:
        rt.close()
    if as_json:
        print(json.dumps([{**r, "state": _state(r["root"])} for r in rows], indent=1))
        return
    table = Table(title=f"source roots of the index in {settings.data_dir.resolve()}")
    for col in ("folder", "documents", "chunks", "last sync", "state"):
        table.add_column(col, justify="right" if col in ("documents", "chunks") else "left")
    for r in rows:
        table.add_row(
            escape(r["root"] or UNATTRIBUTED),
            str(r["documents"]),
            str(r["chunks"]),
            _when(r["last_sync"]),
            _state(r["root"]),
        )
    console.print(table)
    if any(_state(r["root"]) == "missing" and r["documents"] for r in rows):
        err.print(
            "[yellow]a folder is missing[/yellow]: if it moved, `accord ingest NEW_PATH` "
            "takes its documents along without re-embedding; if it is gone, `accord "
            "remove OLD_PATH` takes them out",
            highlight=False,
        )


def _target(target: str, manifest: Manifest) -> tuple[str | None, list[str], bool]:
    """(root, documents, whole root?) that TARGET names: a source root, an indexed document's
    source, or a file inside a root. Raises ValueError when it names nothing indexed."""
    roots = [r["root"] for r in manifest.roots()]
    key = str(Path(target).expanduser().resolve())
    if key in roots:
        return key, manifest.sources_in(key), True
    if target == UNATTRIBUTED and None in roots:
        return None, manifest.sources_in(None), True
    records = manifest.records()
    if target in records:
        return records[target].root, [target], False
    for root in roots:
        if root and key.startswith(root.rstrip(os.sep) + os.sep):
            rel = Path(key).relative_to(root).as_posix()
            if rel in records and records[rel].root == root:
                return root, [rel], False
    raise ValueError(
        f"{target} (that is, {key}) is neither a source root nor a document in "
        "the index: `accord sources` lists the roots, `accord documents` the "
        "documents"
    )


def remove(
    target: str = typer.Argument(
        ...,
        metavar="ROOT_OR_FILE",
        help="A source root (as `accord sources` lists it), a file in one, or a document's source.",
    ),
    yes: bool = typer.Option(
        False,
        "--yes",
        help="Remove without asking (a whole root, or "
        "more than one document, otherwise asks at a terminal).",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan; change nothing."),
    data_dir: Path | None = typer.Option(None, help="Overrides ACCORD_DATA_DIR."),
) -> None:
    """Take a source root, or one document, out of the index. The files stay where they are;
    `accord ingest ROOT` would add them again.

    Example: accord remove ./old-minutes --dry-run
    """
    from accord.cli_common import confirm, console, err, fail, load_settings, no_index
    from accord.errors import AccordError
    from accord.runtime import Runtime

    settings = load_settings(data_dir=data_dir)
    if not settings.has_manifest:
        raise no_index(settings, "nothing to remove")
    rt = Runtime(settings)
    try:
        root, docs, whole = _target(target, rt.manifest)
    except ValueError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from exc
    chunks = sum(len(rt.manifest.chunk_texts(s)) for s in docs)
    where = root or UNATTRIBUTED
    console.print(
        f"plan: remove {len(docs)} document(s), {chunks} chunk(s), synced from "
        f"{escape(where)}" + (" (the whole source root)" if whole else ""),
        highlight=False,
        soft_wrap=True,
    )
    for s in docs[:SHOWN]:
        console.print(f"  remove  {escape(s)}", highlight=False, soft_wrap=True)
    if len(docs) > SHOWN:
        console.print(f"  ... and {len(docs) - SHOWN} more", highlight=False)
    if dry_run:
        raise typer.Exit(0)
    if (whole or len(docs) > 1) and not yes:
        confirm(
            f"this removes {len(docs)} document(s) from the index.",
            f"Remove {len(docs)} document(s) synced from {where}?",
            "--yes",
        )
    try:
        store = rt.store()
        removed = 0
        with rt.manifest.writing():  # never beside a running ingest
            for s in docs:
                removed += store.delete_source(s)
                rt.manifest.remove(s)
            if whole and root is not None:
                rt.manifest.forget_root(root)
            rt.syncer().refresh_lexical()
    except AccordError as exc:
        raise fail(exc) from exc
    console.print(
        f"removed {len(docs)} document(s) ({removed} chunks) from the index; the files "
        f"stay on disk"
        + (f" (`accord ingest {escape(root)}` would add them again)" if root else ""),
        highlight=False,
    )
    rt.close()


def register(app: typer.Typer) -> None:
    """Add ``sources`` and ``remove`` to the ``accord`` command."""
    app.command("sources")(sources)
    app.command("remove")(remove)
