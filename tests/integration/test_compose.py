"""docker-compose.yml: no Docker engine runs here, so parse it and run its services' commands."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml

from tests.conftest import REPO, SAMPLES
from tests.integration.chroma_server import chroma_command, free_port

COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())


def test_every_service_runs_a_real_command():
    from typer.testing import CliRunner

    from accord.cli import app

    services = COMPOSE["services"]
    assert {"postgres", "chroma", "bot", "bot-2", "ingest"} <= set(services)
    assert services["ingest"]["profiles"] == ["ingest"]
    assert services["postgres"]["image"].startswith("postgres:")
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"]
    for name, svc in services.items():
        if name == "postgres":
            continue  # the image's own entrypoint
        cmd = svc["command"]
        assert cmd[0] in ("accord", "chroma"), name
        if cmd[0] == "accord":
            res = CliRunner().invoke(app, [cmd[1], "--help"])
            assert res.exit_code == 0, (name, res.output)
    for svc in ("bot", "bot-2", "ingest"):
        assert (REPO / services[svc]["build"] / "Dockerfile").exists()
        env = services[svc]["environment"]
        assert env["ACCORD_CHROMA_URL"] == "http://chroma:8000"
        url = env["ACCORD_DATABASE_URL"]
        assert url.startswith("postgresql://accord:${POSTGRES_PASSWORD:?")
        assert url.endswith("@postgres:5432/accord")
        for dep in ("chroma", "postgres"):
            assert services[svc]["depends_on"][dep]["condition"] == "service_healthy"
    # the two replicas: the same command, a data dir each (as on two hosts)
    assert services["bot-2"]["command"] == services["bot"]["command"]
    data = {
        svc: next(v.split(":")[0] for v in services[svc]["volumes"] if v.endswith(":/data"))
        for svc in ("bot", "bot-2")
    }
    assert data["bot"] != data["bot-2"]
    # The bot's health check asks the readiness endpoint its command serves.
    bot = services["bot"]
    port = bot["command"][bot["command"].index("--health-port") + 1]
    assert f"127.0.0.1:{port}/readyz" in " ".join(bot["healthcheck"]["test"])
    # Every variable the compose file sets is a real setting.
    from accord.settings import Settings

    fields = {f"ACCORD_{k.upper()}" for k in Settings.model_fields}
    for svc in ("bot", "bot-2", "ingest"):
        assert set(services[svc]["environment"]) <= fields


def chroma_probe(port: int) -> subprocess.CompletedProcess:
    """The chroma service's healthcheck as compose runs it ($$ is compose's literal $)."""
    test = COMPOSE["services"]["chroma"]["healthcheck"]["test"]
    assert test[0] == "CMD" and test[1] == "/bin/bash"
    argv = [a.replace("$$", "$").replace("8000", str(port)) for a in test[1:]]
    return subprocess.run(argv, capture_output=True, text=True, timeout=10)


def test_install_script_is_the_one_both_ci_and_the_image_run():
    script = REPO / ".ci" / "install-system"
    assert "bash .ci/install-system --tests" in (REPO / ".ci" / "run").read_text()
    docker = (REPO / "Dockerfile").read_text()
    assert "COPY .ci/install-system" in docker and "install-system --strict" in docker
    assert "apt-get" not in (REPO / ".ci" / "run").read_text() and "apt-get" not in docker
    check = subprocess.run(
        ["bash", str(script), "--check", "--tests"], capture_output=True, text=True, timeout=60
    )
    assert check.returncode == 0, check.stderr
    packages = ["tesseract-ocr", "tesseract-ocr-eng", "tesseract-ocr-msa", "chromium"]
    have = {
        p
        for p in packages
        if subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", p], capture_output=True, text=True
        ).stdout.endswith("install ok installed")
    }
    out = check.stdout.strip()
    if have == set(packages):
        assert out == "nothing to install"
    else:
        assert out.startswith("would install: ")
        assert out.removeprefix("would install: ").split() == [p for p in packages if p not in have]
    runtime = subprocess.run(["bash", str(script), "--check"], capture_output=True, text=True)
    assert "chromium" not in runtime.stdout  # the image gets no browser
    bad = subprocess.run(["bash", str(script), "--bogus"], capture_output=True, text=True)
    assert bad.returncode == 2 and "--bogus" in bad.stderr


def test_compose_config_is_valid_when_docker_is_here(tmp_path):
    import shutil

    import pytest

    docker = shutil.which("docker")
    if (
        not docker
        or subprocess.run([docker, "compose", "version"], capture_output=True).returncode != 0
    ):
        pytest.skip(
            "Docker (with the compose plugin) is not installed on this machine: the "
            "compose file is checked by parsing it and running its commands instead"
        )
    (tmp_path / ".env").write_text("")
    res = subprocess.run(
        [
            docker,
            "compose",
            "-f",
            str(REPO / "docker-compose.yml"),
            "--env-file",
            str(tmp_path / ".env"),
            "config",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert res.returncode == 0, res.stderr


def test_chroma_and_ingest_services_commands_work_together(tmp_path, pg_url):
    """Run the chroma service's command (on loopback) and the ingest job's command against it,
    its state in a real PostgreSQL database."""
    chroma = list(COMPOSE["services"]["chroma"]["command"])
    port = free_port()
    subst = {"/chroma-data": str(tmp_path / "chroma"), "0.0.0.0": "127.0.0.1", "8000": str(port)}
    chroma = [subst.get(a, a) for a in chroma]
    chroma[0] = chroma_command()
    server = subprocess.Popen(
        chroma,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None
                time.sleep(0.2)
        # The chroma healthcheck (bash only: the image has no curl or python) passes against the
        # live server and fails against a closed port.
        assert chroma_probe(port).returncode == 0
        assert chroma_probe(free_port()).returncode != 0
        ingest = COMPOSE["services"]["ingest"]
        env = {
            **os.environ,
            **ingest["environment"],
            "ACCORD_CHROMA_URL": f"http://127.0.0.1:{port}",
            "ACCORD_DATABASE_URL": pg_url,
            "ACCORD_DATA_DIR": str(tmp_path / "data"),
            "HF_HUB_OFFLINE": "1",
        }
        cmd = [str(SAMPLES) if a == "/docs" else a for a in ingest["command"]]
        exe = Path(sys.executable).with_name("accord")
        res = subprocess.run(
            [str(exe), *cmd[1:]], env=env, capture_output=True, text=True, timeout=600
        )
        assert res.returncode == 0, res.stdout + res.stderr
        assert "added 6" in " ".join(res.stdout.split())
        assert not (tmp_path / "data" / "manifest.sqlite").exists()  # the state is in PostgreSQL
    finally:
        server.terminate()
        server.wait(10)
