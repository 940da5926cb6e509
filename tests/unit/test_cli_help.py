"""Every `accord` command's help as an admin reads it: no Python types as metavars, an example,
and the values an option takes where it takes a fixed set."""

from __future__ import annotations

import re

import pytest
import typer
from typer.testing import CliRunner

from accord.cli import app
from accord.models import DOC_TYPES


def commands() -> list[list[str]]:
    root = typer.main.get_command(app)
    out = []
    for name, cmd in root.commands.items():
        if hasattr(cmd, "commands"):  # a group (typer may vendor its own click)
            out += [[name, sub] for sub in cmd.commands]
        else:
            out.append([name])
    return out


ALL = commands()


def test_every_front_end_registered():
    names = {" ".join(c) for c in ALL}
    assert {
        "ingest",
        "ask",
        "eval",
        "bot",
        "status",
        "sources",
        "remove",
        "markings",
        "documents",
        "timeline",
        "audit export",
        "feedback export",
    } <= names


@pytest.mark.parametrize("argv", ALL, ids=[" ".join(c) for c in ALL])
def test_help_reads_in_words_and_shows_an_example(argv):
    res = CliRunner().invoke(app, [*argv, "--help"], env={"COLUMNS": "120"})
    assert res.exit_code == 0, res.output
    text = res.output
    assert not re.search(r"<(bool|str|int|float|path|list\[[^\]]*\])>", text), text
    usage = next(line for line in text.splitlines() if "Usage:" in line)
    assert "{" not in usage, usage
    assert "Example: accord " + " ".join(argv) in " ".join(text.split()), text


def test_type_lists_its_values():
    text = " ".join(
        CliRunner().invoke(app, ["ask", "--help"], env={"COLUMNS": "200"}).output.split()
    )
    assert ", ".join(DOC_TYPES) in text
