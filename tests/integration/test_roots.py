"""Source roots: several folders in one index, bulk removals held for --prune, `accord remove`,
moved folders, and an index from before roots migrating (real Chroma, model and files)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from accord.errors import BulkRemoval, ConfigError
from accord.models import Filters
from accord.runtime import Runtime
from ingest.sync import Syncer
from tests.conftest import CORPUS, SAMPLES, SAMPLES_QA, make_settings

ACCORD = [sys.executable, "-m", "accord.cli"]


def corpus_folder(root: Path, n: int = 6) -> Path:
    folder = root / "statements"
    folder.mkdir(parents=True)
    for p in sorted((CORPUS / "whitehouse" / "statements-releases").rglob("*.md"))[:n]:
        shutil.copy(p, folder / p.name)
    return folder


def samples_folder(root: Path) -> Path:
    return Path(shutil.copytree(SAMPLES, root / "samples"))


def cli(data: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "ACCORD_DATA_DIR": str(data),
        "HF_HUB_OFFLINE": "1",
        "ACCORD_CLEARANCE": "TOP SECRET",
    }
    return subprocess.run(
        [*ACCORD, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )


def state(rt: Runtime) -> tuple[list[str], list[str]]:
    """(chunk ids in Chroma, documents in the manifest): what an unchanged index keeps."""
    return sorted(rt.store().all_ids()), sorted(rt.manifest.records())


def sources_found(rt: Runtime, question: str) -> set[str]:
    return {c.source for c in rt.qa.retrieve(question, Filters(), k=30)}


def test_two_roots_synced_in_turn_keep_each_others_documents(tmp_path, embedder):
    a, b = samples_folder(tmp_path), corpus_folder(tmp_path)
    rt = Runtime(make_settings(tmp_path / "data"), embedder=embedder)
    first = rt.syncer().run(a)
    second = rt.syncer().run(b)
    assert second.removed == 0 and second.added == 6
    again = rt.syncer().run(a)
    assert (again.added, again.removed, again.embedded) == (0, 0, 0)
    roots = {r["root"]: r["documents"] for r in rt.manifest.roots()}
    assert roots == {str(a.resolve()): first.added, str(b.resolve()): 6}
    assert "mou-transborder-crime-2023.pdf" in sources_found(rt, "transborder crime MoU signed")
    statement = sorted(p.name for p in b.iterdir())[0]
    assert statement in {s for s in rt.manifest.sources_in(str(b.resolve()))}
    # A file deleted from one root is removed from that root only.
    (a / "press-statement-jwc-2024-03.txt").unlink()
    third = rt.syncer().run(a)
    assert third.removed == 1
    assert len(rt.manifest.sources_in(str(b.resolve()))) == 6
    assert sorted(rt.store().all_ids()) == sorted(rt.manifest.chunk_ids())


def test_same_path_in_two_present_roots_is_a_conflict_not_a_replacement(tmp_path, embedder):
    a, b = samples_folder(tmp_path), tmp_path / "other"
    b.mkdir()
    shutil.copy(a / "press-statement-jwc-2024-03.txt", b / "press-statement-jwc-2024-03.txt")
    rt = Runtime(make_settings(tmp_path / "data"), embedder=embedder)
    rt.syncer().run(a)
    before = state(rt)
    res = rt.syncer().run(b)
    assert [(f.source, f.code) for f in res.failed] == [
        ("press-statement-jwc-2024-03.txt", "conflict")
    ]
    assert str(a.resolve()) in res.failed[0].reason
    assert state(rt) == before  # the first root's document is untouched


def test_a_folder_inside_a_synced_root_is_refused(tmp_path, embedder):
    a = samples_folder(tmp_path)
    (a / "sub").mkdir()
    rt = Runtime(make_settings(tmp_path / "data"), embedder=embedder)
    rt.syncer().run(a)
    with pytest.raises(ConfigError, match="inside"):
        rt.syncer().run(a / "sub")
    with pytest.raises(ConfigError, match="holds"):
        rt.syncer().run(tmp_path)


def test_bulk_removal_needs_prune_and_changes_nothing_without_it(tmp_path, embedder):
    b = corpus_folder(tmp_path, n=10)
    data = tmp_path / "data"
    rt = Runtime(make_settings(data), embedder=embedder)
    rt.syncer().run(b)
    gone = sorted(b.iterdir())[:3]  # 3 of 10: more than a fifth
    for p in gone:
        p.unlink()
    before = state(rt)
    with pytest.raises(BulkRemoval, match="3 of the 10"):
        rt.syncer().run(b)
    assert state(rt) == before
    rt.close()
    # The CLI without a terminal: exit 2, the plan printed, nothing changed.
    out = cli(data, "ingest", str(b))
    assert out.returncode == 2, out.stdout + out.stderr
    assert all(p.name in out.stdout for p in gone)
    assert "--prune" in out.stderr and "nothing was changed" in out.stderr
    rt = Runtime(make_settings(data), embedder=embedder)
    assert state(rt) == before
    rt.close()
    ok = cli(data, "ingest", str(b), "--prune")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "removed 3" in ok.stdout
    rt = Runtime(make_settings(data), embedder=embedder)
    assert len(rt.manifest.records()) == 7
    # One file of seven (under a fifth) goes without --prune.
    sorted(b.iterdir())[0].unlink()
    assert rt.syncer().run(b).removed == 1
    # --full would drop another root's documents: held like any bulk removal.
    other = corpus_folder(tmp_path / "more", n=2)
    rt.syncer().run(other)
    with pytest.raises(BulkRemoval, match="other folders"):
        rt.syncer().run(b, full=True)
    assert len(rt.manifest.sources_in(str(other.resolve()))) == 2


def test_accord_remove_a_file_and_a_root(tmp_path, embedder):
    a, b = samples_folder(tmp_path), corpus_folder(tmp_path, n=3)
    data = tmp_path / "data"
    rt = Runtime(make_settings(data), embedder=embedder)
    rt.syncer().run(a)
    rt.syncer().run(b)
    n_a = len(rt.manifest.sources_in(str(a.resolve())))
    rt.close()
    one = cli(data, "remove", str(a / "press-statement-jwc-2024-03.txt"))
    assert one.returncode == 0, one.stdout + one.stderr
    assert "removed 1 document" in one.stdout
    held = cli(data, "remove", str(b))  # a whole root, no terminal, no --yes
    assert held.returncode == 2 and "--yes" in held.stderr
    assert sum(1 for line in held.stdout.splitlines() if "remove  " in line) == 3
    missing = cli(data, "remove", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "neither a source root nor a document" in missing.stderr
    done = cli(data, "remove", str(b), "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    listed = json.loads(cli(data, "sources", "--json").stdout)
    assert [(r["root"], r["documents"]) for r in listed] == [(str(a.resolve()), n_a - 1)]
    rt = Runtime(make_settings(data), embedder=embedder)
    assert sorted(rt.store().all_ids()) == sorted(rt.manifest.chunk_ids())
    assert not sources_found(rt, "press statement joint working committee") & {
        "press-statement-jwc-2024-03.txt"
    }
    rt.close()


def test_a_moved_folder_re_embeds_nothing(tmp_path, embedder):
    a = samples_folder(tmp_path)
    settings = make_settings(tmp_path / "data")
    rt = Runtime(settings, embedder=embedder)
    rt.syncer().run(a)
    before = state(rt)
    moved = tmp_path / "moved" / "samples"
    moved.parent.mkdir()
    a.rename(moved)
    loads: list[int] = []

    def factory():
        loads.append(1)
        return embedder

    res = Syncer(settings, rt.store(), rt.manifest, factory).run(moved)
    assert (res.added, res.updated, res.removed, res.embedded) == (0, 0, 0, 0)
    assert loads == []  # the model was never loaded
    assert state(rt) == before
    assert [r["root"] for r in rt.manifest.roots()] == [str(moved.resolve())]


def _downgrade(manifest_path: Path) -> None:
    """Make the manifest what main before source roots wrote: no roots table, no root column
    (and no schema versions, which came later still)."""
    con = sqlite3.connect(manifest_path)
    con.execute("DROP TABLE accord_schema")
    con.execute("DROP TABLE roots")
    con.execute("ALTER TABLE documents DROP COLUMN root")
    con.commit()
    con.close()


def _said(answers) -> list[tuple]:
    return [
        (a.text, a.refused, a.weak, [(c.source, c.page, c.quote) for c in a.citations])
        for a in answers
    ]


def test_an_index_from_before_roots_migrates_and_answers_the_same(tmp_path, embedder):
    a = samples_folder(tmp_path)
    data = tmp_path / "data"
    built = cli(data, "ingest", str(a))
    assert built.returncode == 0, built.stdout + built.stderr
    questions = [json.loads(line)["question"] for line in SAMPLES_QA.open()][:8]
    rt = Runtime(make_settings(data), embedder=embedder)
    before = _said(rt.qa.answer(q) for q in questions)
    rt.close()
    _downgrade(data / "manifest.sqlite")
    con = sqlite3.connect(data / "manifest.sqlite")
    assert "root" not in {r[1] for r in con.execute("PRAGMA table_info(documents)")}
    con.close()
    rt = Runtime(make_settings(data), embedder=embedder)
    assert [(r["root"], r["documents"]) for r in rt.manifest.roots()] == [
        (str(a.resolve()), 6)
    ]  # the folder of its last recorded sync
    assert _said(rt.qa.answer(q) for q in questions) == before
    rt.close()
    # The migrated index syncs its folder without re-embedding or removing anything.
    settings = make_settings(data)
    rt = Runtime(settings)
    res = Syncer(settings, rt.store(), rt.manifest, lambda: embedder).run(a)
    assert (res.added, res.removed, res.embedded, res.unchanged) == (0, 0, 0, 6)
    rt.close()
