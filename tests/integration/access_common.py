"""What the access-control tests share: the marked documents written for them, the index they
live in (samples plus tests/data/marked plus a Word file with TERHAD in its header), and CLI
helpers. ``tests/integration/conftest.py`` provides the index as the ``marked`` fixture, one per
test module."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from accord.cli import app as cli
from tests.conftest import REPO, SAMPLES, make_settings

MARKED = REPO / "tests" / "data" / "marked"
SECRET = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"

# source -> (marking, caveats, a question made from the document's own distinctive sentence)
EXPECTED: dict[str, tuple[str, list[str], str]] = {
    "marked/minit-jawatankuasa-sempadan-2026.md": (
        "CONFIDENTIAL",
        [],
        "Where will the joint patrol coordination centre be established?",
    ),
    "marked/au-brief-liaison-rotation.md": (
        "CONFIDENTIAL",
        ["AUSTEO"],
        "When will the police liaison officer in Port Aldric be rotated?",
    ),
    "marked/us-cable-maritime-pilot.txt": (
        "SECRET",
        ["NOFORN"],
        "How many vessels did the maritime surveillance data-sharing pilot track?",
    ),
    "marked/sg-note-rel-mys-sgp.md": (
        "CONFIDENTIAL",
        ["REL TO MYS/SGP"],
        "How many suspicious transaction reports on the Kestrel network were exchanged?",
    ),
    "marked/unknown-marking-memo.md": (
        "TOP SECRET",
        [],
        "When will the harbour radar upgrade at Sarapura be completed?",
    ),
    "marked/minutes/working-group-notes-2026-05.md": (
        "RESTRICTED",
        [],
        "Which hotline will scam-centre rescue referrals go through?",
    ),
    "marked/terhad-note.docx": (
        "RESTRICTED",
        [],
        "Where will the border liaison office open its second counter?",
    ),
    "marked/official-scam-bulletin.md": (
        "OFFICIAL",
        [],
        "How often will the joint scam-awareness bulletin be published?",
    ),
}


def write_terhad_docx(path: Path) -> None:
    """A Word file whose only marking is in its page header, as Malaysian documents carry it."""
    import docx

    d = docx.Document()
    d.core_properties.title = "Note on the Border Liaison Office"
    d.sections[0].header.paragraphs[0].text = "TERHAD"
    d.add_paragraph(
        "The border liaison office at Pekan Batu Lintang will open its second "
        "counter in September 2026."
    )
    d.save(str(path))


def build_marked_index(tmp_path_factory, embedder):
    from accord.runtime import Runtime

    root = tmp_path_factory.mktemp("marked")
    docs = root / "docs"
    shutil.copytree(SAMPLES, docs)
    shutil.copytree(MARKED, docs / "marked")
    write_terhad_docx(docs / "marked" / "terhad-note.docx")
    settings = make_settings(root / "data", clearance="OFFICIAL")
    rt = Runtime(settings, embedder=embedder)
    result = rt.syncer().run(docs)
    assert not result.failed, result.failed
    rt.docs_root = docs
    yield rt
    rt.close()


def run(rt, *args: str) -> Any:
    result = CliRunner().invoke(
        cli, list(args), env={"ACCORD_DATA_DIR": str(rt.settings.data_dir)}, catch_exceptions=False
    )
    return result


def ask_json(rt, question: str, *flags: str) -> tuple[dict, str]:
    r = run(rt, "ask", question, "--json", *flags)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout), r.stdout


def sources_in(ans: dict) -> set[str]:
    return {c["source"] for c in ans["citations"]} | {r["source"] for r in ans["retrieved"]}
