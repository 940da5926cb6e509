"""`accord ingest` as a process: killed part-way, bad input files, exit codes."""

from __future__ import annotations

import ctypes
import io
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import CORPUS, SAMPLES

ACCORD = [sys.executable, "-m", "accord.cli"]


def run_ingest(
    folder: Path, data: Path, *extra: str, env: dict | None = None, **kw
) -> subprocess.CompletedProcess:
    e = {**os.environ, "ACCORD_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1", **(env or {})}
    return subprocess.run(
        [*ACCORD, "ingest", str(folder), *extra],
        env=e,
        capture_output=True,
        text=True,
        timeout=900,
        **kw,
    )


def chroma_ids(data: Path) -> list[str]:
    from accord.runtime import Runtime
    from tests.conftest import make_settings

    rt = Runtime(make_settings(data))
    try:
        return sorted(rt.store().all_ids())
    finally:
        rt.close()


def done_count(data: Path) -> int:
    db = data / "manifest.sqlite"
    if not db.exists():
        return 0
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        n = con.execute("SELECT COUNT(*) FROM documents WHERE status='done'").fetchone()[0]
        con.close()
        return int(n)
    except sqlite3.Error:
        return 0


def test_sigkill_then_resync_equals_clean_run(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for p in sorted((CORPUS / "whitehouse" / "briefings-statements").rglob("*.md"))[:40]:
        shutil.copy(p, docs / p.name)
    # Small batches so the kill lands between batches, with work both done and pending.
    env = {"ACCORD_INGEST_BATCH_CHUNKS": "4"}
    killed = tmp_path / "killed"
    e = {**os.environ, "ACCORD_DATA_DIR": str(killed), "HF_HUB_OFFLINE": "1", **env}
    proc = subprocess.Popen(
        [*ACCORD, "ingest", str(docs)], env=e, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 600
    while done_count(killed) < 8 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, "ingest finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = done_count(killed)
    assert 8 <= partial < 40
    again = run_ingest(docs, killed, env=env)
    assert again.returncode == 0, again.stdout + again.stderr

    clean = tmp_path / "clean"
    first = run_ingest(docs, clean)
    assert first.returncode == 0, first.stdout + first.stderr
    ids_killed, ids_clean = chroma_ids(killed), chroma_ids(clean)
    assert ids_killed == ids_clean  # same ids: no duplicates, no orphans
    assert len(ids_killed) == len(set(ids_killed))
    assert done_count(killed) == 40
    # A third run finds nothing to do.
    third = run_ingest(docs, killed)
    assert third.returncode == 0 and "unchanged 40" in third.stdout
    assert "embedded 0," in third.stdout


def _encrypted_pdf(path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(SAMPLES / "mou-transborder-crime-2023.pdf"))
    writer.encrypt(user_password="s3cret", owner_password="owner", algorithm="AES-128")
    buf = io.BytesIO()
    writer.write(buf)
    path.write_bytes(buf.getvalue())


def _drop_dac_override() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP: gone after exec
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def _world_dir() -> Path:
    d = Path(tempfile.mkdtemp(prefix="accord-bad-"))
    d.chmod(0o777)
    return d


def test_bad_inputs_each_reported_rest_indexed():
    root = _world_dir()
    try:
        docs = root / "docs"
        docs.mkdir()
        shutil.copy(SAMPLES / "press-statement-jwc-2024-03.txt", docs / "good.txt")
        shutil.copy(SAMPLES / "mou-transborder-crime-2023.pdf", docs / "good.pdf")
        (docs / "corrupt.pdf").write_bytes(b"%PDF-1.7\n" + os.urandom(3000))
        _encrypted_pdf(docs / "encrypted.pdf")
        (docs / "empty.txt").write_bytes(b"")
        (docs / "garbage.txt").write_bytes(bytes(range(256)) * 40)
        (docs / "latin1.txt").write_bytes(
            "Communiqué conjoint\n\nLe ministre a signé l'accord à Genève le 3 mai 2021.\n".encode(
                "latin-1"
            )
        )
        (docs / "huge.txt").write_text("The committee met again. " * 250_000)  # ~6 MB
        (docs / "slides.pptx").write_bytes(b"PK\x03\x04 not really")
        locked = docs / "locked.md"
        locked.write_text("---\ntitle: Locked\n---\n\nA document nobody may read.\n")
        locked.chmod(0o000)
        shutil.copy(
            CORPUS / "pdf" / "PostOfficeHorizon-IT-Inquiry-Response.pdf", docs / "scanned.pdf"
        )
        for p in [docs, *docs.iterdir()]:
            if p != locked:
                p.chmod(0o755 if p.is_dir() else 0o644)
        data = root / "data"
        data.mkdir(mode=0o777)
        # Root reads any file whatever its mode: drop the capabilities that let it, so the
        # permission check is real.
        # Without OCR (ACCORD_OCR=off, as on a machine without Tesseract) a scan is reported
        # with the install hint; tests/integration/test_ocr.py indexes it with OCR.
        res = run_ingest(
            docs,
            data,
            env={"ACCORD_MAX_FILE_MB": "5", "ACCORD_OCR": "off"},
            preexec_fn=_drop_dac_override if os.geteuid() == 0 else None,
        )
        out = " ".join((res.stdout + res.stderr).split())
        assert res.returncode == 1, out
        expected = {
            "corrupt.pdf": "corrupt or unreadable PDF",
            "encrypted.pdf": "encrypted PDF (password required)",
            "empty.txt": "empty file",
            "garbage.txt": "binary content",
            "huge.txt": "file too large",
            "slides.pptx": "unsupported file type '.pptx'",
            "locked.md": "unreadable: permission denied",
            "scanned.pdf": "scanned PDF",
        }
        for name, reason in expected.items():
            assert f"{name}: {reason}" in out, (name, out)
        assert "scanned.pdf: scanned PDF: 16 pages and no text layer; install Tesseract" in out
        assert "apt-get install tesseract-ocr tesseract-ocr-msa" in out
        ids = chroma_ids(data)
        sources = {i for i in ids}
        assert sources
        from accord.runtime import Runtime
        from tests.conftest import make_settings

        rt = Runtime(make_settings(data))
        indexed = {
            s for s in ("good.txt", "good.pdf", "latin1.txt") if rt.manifest.document(s) is not None
        }
        assert indexed == {"good.txt", "good.pdf", "latin1.txt"}
        assert "signé l'accord à Genève" in rt.manifest.document("latin1.txt").text
        assert rt.manifest.document("good.pdf").page_starts  # pages kept
        for bad in expected:
            assert rt.manifest.document(bad) is None
        rt.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize(
    "args,needle",
    [
        (["/nonexistent/folder"], "is not a folder"),
    ],
)
def test_unusable_arguments_exit_2(tmp_path, args, needle):
    res = subprocess.run(
        [*ACCORD, "ingest", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "ACCORD_DATA_DIR": str(tmp_path)},
        timeout=120,
    )
    assert res.returncode == 2 and needle in res.stderr


def test_unreachable_server_exit_2(tmp_path):
    from tests.integration.chroma_server import free_port

    res = subprocess.run(
        [*ACCORD, "ingest", str(SAMPLES)],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "ACCORD_DATA_DIR": str(tmp_path),
            "ACCORD_CHROMA_URL": f"http://127.0.0.1:{free_port()}",
        },
    )
    assert res.returncode == 2, res.stdout + res.stderr
    assert "cannot reach the Chroma server" in " ".join(res.stderr.split())


def test_a_logged_ingest_prints_progress_lines_before_it_finishes(tmp_path):
    """stdout and stderr are pipes here, as in a log file: no bar, plain lines as it goes."""
    docs = tmp_path / "docs"
    src = sorted((CORPUS / "dfat").rglob("*.md"))[:60]
    if len(src) < 60:
        pytest.skip(f"{CORPUS / 'dfat'} is not there")
    docs.mkdir()
    for p in src:
        shutil.copy(p, docs / p.name)
    env = {
        **os.environ,
        "ACCORD_DATA_DIR": str(tmp_path / "data"),
        "HF_HUB_OFFLINE": "1",
        "ACCORD_PROGRESS_EVERY_S": "0.2",
    }
    proc = subprocess.Popen(
        [*ACCORD, "ingest", str(docs)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = []
    for line in proc.stderr:
        if line.startswith("ingest: "):
            lines.append((line.strip(), proc.poll()))
    proc.wait(timeout=600)
    assert proc.returncode == 0
    partial = [(text, rc) for text, rc in lines if not text.startswith("ingest: 60/60")]
    assert partial, lines  # lines came while files were still being indexed ...
    assert all(rc is None for _, rc in partial)  # ... while the process was running
    assert "files/s" in partial[0][0] and "ETA" in partial[0][0]
    assert lines[-1][0].startswith("ingest: 60/60 files (100.0%)")
