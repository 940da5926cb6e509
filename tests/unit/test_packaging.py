"""The installed package carries its data: `pip install .` (the Dockerfile's install) copies only
the package data pyproject.toml declares, so every data file the code reads must match it."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_data_file_is_declared_package_data():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]
    files = [
        p
        for pkg in ("accord", "bot", "prompts")
        for p in (ROOT / pkg).rglob("*")
        if p.is_file()
        and p.suffix in (".yaml", ".yml", ".json", ".md", ".txt")
        and "__pycache__" not in p.parts
        and p.name != "README.md"
    ]
    assert files
    missing = []
    for f in files:
        pkg = f.relative_to(ROOT).parts[0]
        rel = f.relative_to(ROOT / pkg).as_posix()
        if not any(fnmatch.fnmatch(rel, pat) for pat in declared.get(pkg, [])):
            missing.append(f.relative_to(ROOT).as_posix())
    assert not missing, f"not in [tool.setuptools.package-data]: {missing}"
