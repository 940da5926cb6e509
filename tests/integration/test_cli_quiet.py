"""The CLI as a new admin runs it on the samples (plus one broken PDF): Accord's own report and
nothing else: no library's log line, progress bar or timestamped warning."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

from tests.conftest import SAMPLES, SAMPLES_QA

ACCORD = [sys.executable, "-m", "accord.cli"]
# A logging line (Accord's format starts with a timestamp) or a library's own chatter.
NOISE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d|Loading weights|EOF marker|"
    r"sentence_transformers|huggingface|chromadb|pypdf|it/s\]",
    re.MULTILINE,
)


def test_ingest_ask_eval_print_only_accords_own_lines(tmp_path):
    docs = tmp_path / "docs"
    shutil.copytree(SAMPLES, docs)
    pdf = (SAMPLES / "mou-transborder-crime-2023.pdf").read_bytes()
    (docs / "truncated.pdf").write_bytes(pdf[:3000])  # pypdf logs "EOF marker not found"
    env = {**os.environ, "ACCORD_DATA_DIR": str(tmp_path / "data"), "HF_HUB_OFFLINE": "1"}
    env.pop("ACCORD_LOG_LEVEL", None)
    runs = [
        [*ACCORD, "ingest", str(docs)],
        [*ACCORD, "ask", "When was the MoU on transborder crime signed?"],
        [*ACCORD, "eval", str(SAMPLES_QA), "--out", str(tmp_path / "eval")],
    ]
    outputs = []
    for argv in runs:
        proc = subprocess.run(
            argv, env=env, capture_output=True, text=True, timeout=900, cwd=tmp_path
        )
        outputs.append(proc)
        found = NOISE.findall(proc.stdout + proc.stderr)
        assert not found, (argv[3], found, proc.stderr[-2000:])
    ingest = outputs[0]
    assert ingest.returncode == 1  # the broken file, reported by name with its reason
    assert re.search(r"failed\s+truncated\.pdf: \S", ingest.stdout), ingest.stdout
    assert outputs[1].returncode == 0 and outputs[2].returncode == 0
