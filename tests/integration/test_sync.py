"""The sync job against real Chroma (embedded and a `chroma run` server) and the real model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from accord.models import Filters
from accord.runtime import Runtime
from tests.conftest import CORPUS, SAMPLES, make_settings

UNIQUE = "Zanzibar heliotrope accord on migratory pelicans"


@pytest.fixture(params=["embedded", "server"])
def backend(request, tmp_path):
    """Settings factory for one backend; the server one uses a fresh collection per test."""
    if request.param == "embedded":
        return lambda data_dir: make_settings(data_dir)
    server = request.getfixturevalue("chroma_server")
    name = f"t{abs(hash(tmp_path)) % 10**8}"
    return lambda data_dir: make_settings(data_dir, chroma_url=server.url, collection=name)


def small_folder(root: Path) -> Path:
    docs = root / "docs"
    shutil.copytree(SAMPLES, docs)
    wh = sorted((CORPUS / "whitehouse" / "statements-releases").rglob("*.md"))[:4]
    for p in wh:
        shutil.copy(p, docs / p.name)
    (docs / "pelicans.txt").write_text(
        f"Joint Statement\n\nOn 3 March 2022 both ministries adopted the {UNIQUE}.\n"
    )
    return docs


def n_documents(folder: Path) -> int:
    return sum(1 for p in folder.iterdir() if not p.name.endswith(".meta.yaml"))


def answer_sources(rt: Runtime, question: str) -> set[str]:
    return {c.source for c in rt.qa.retrieve(question, Filters(), k=20)}


def test_edit_delete_add_resync(tmp_path, backend, embedder):
    docs = small_folder(tmp_path)
    rt = Runtime(backend(tmp_path / "data"), embedder=embedder)
    first = rt.syncer().run(docs)
    n_files = n_documents(docs)
    assert first.added == n_files and not first.failed
    store = rt.store()
    deleted_ids = set(store.ids_for_source("pelicans.txt"))
    assert deleted_ids and "pelicans.txt" in answer_sources(rt, UNIQUE)
    old_press_ids = set(store.ids_for_source("press-statement-jwc-2024-03.txt"))

    edited = docs / "press-statement-jwc-2024-03.txt"
    edited.write_text(
        edited.read_text() + "\n\nThe ministers also agreed to study quokka "
        "smuggling across the Strait of Kessel.\n"
    )
    (docs / "pelicans.txt").unlink()
    (docs / "new-note.md").write_text(
        "---\ntitle: Note on lighthouse keepers\ndate: 2025-02-01\n---\n\n"
        "The lighthouse keepers' exchange programme starts on 1 April 2025.\n"
    )

    second = rt.syncer().run(docs)
    assert (second.added, second.updated, second.removed) == (1, 1, 1)
    assert second.unchanged == n_files - 2
    assert second.embedded == len(store.ids_for_source("new-note.md")) + len(
        store.ids_for_source("press-statement-jwc-2024-03.txt")
    )
    # The deleted document is gone from Chroma, the manifest and the lexical index.
    remaining = set(store.all_ids())
    assert not deleted_ids & remaining
    assert "pelicans.txt" not in answer_sources(rt, UNIQUE)
    assert rt.manifest.document("pelicans.txt") is None
    # The edited file's old chunks were replaced, and its new text is retrievable.
    assert not old_press_ids & remaining
    assert "press-statement-jwc-2024-03.txt" in answer_sources(rt, "quokka smuggling")
    assert "new-note.md" in answer_sources(rt, "lighthouse keepers exchange programme")
    # Chroma and the manifest agree exactly.
    assert remaining == rt.manifest.chunk_ids()
    assert store.count() == rt.manifest.chunk_count()


def test_unchanged_resync_embeds_nothing(tmp_path, backend, embedder):
    docs = small_folder(tmp_path)
    settings = backend(tmp_path / "data")
    Runtime(settings, embedder=embedder).syncer().run(docs)
    from ingest.manifest import Manifest
    from ingest.sync import Syncer

    rt = Runtime(settings)
    loads: list[int] = []

    def factory():
        loads.append(1)
        return embedder

    result = Syncer(settings, rt.store(), Manifest(settings.manifest_path), factory).run(docs)
    assert result.embedded == 0 and result.unchanged == n_documents(docs)
    assert (result.added, result.updated, result.removed) == (0, 0, 0)
    assert loads == []  # the model was never even loaded


def test_full_rebuild_and_dry_run(tmp_path, embedder):
    docs = small_folder(tmp_path)
    settings = make_settings(tmp_path / "data")
    rt = Runtime(settings, embedder=embedder)
    rt.syncer().run(docs)
    ids = set(rt.store().all_ids())
    (docs / "pelicans.txt").unlink()
    from ingest.sync import plan_sync

    plan = plan_sync(docs, settings, rt.manifest)
    assert plan.remove == ["pelicans.txt"] and not plan.todo
    assert set(rt.store().all_ids()) == ids  # planning changed nothing
    full = rt.syncer().run(docs, full=True)
    assert full.added == n_documents(docs) and full.removed == 1  # the deleted file
    assert set(rt.store().all_ids()) == rt.manifest.chunk_ids()
    assert rt.store().ids_for_source("pelicans.txt") == []
    assert set(rt.store().all_ids()) < ids  # same content, same deterministic ids, minus one file
