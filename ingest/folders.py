"""Folder defaults: a ``_folder.meta.yaml`` (the name is in the marking rules) gives every
document under its folder a floor ("marking: RESTRICTED", "caveats: [AUSTEO]") that what a
document says can raise and never lower. A defaults file that cannot be read keeps the documents
under it out of the index, reported by name, rather than indexed without their floor.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from accord.access.markings import Rules
from accord.errors import DocumentError
from ingest.metadata import FolderDefault


class FolderDefaults:
    """The ``_folder.meta.yaml`` floors above each document, read once per folder."""

    def __init__(self, root: Path, rules: Rules) -> None:
        self.root = root
        self.rules = rules
        self._cache: dict[Path, tuple[FolderDefault | None, bytes]] = {}

    def _read(self, folder: Path) -> tuple[FolderDefault | None, bytes]:
        if folder not in self._cache:
            path = folder / self.rules.folder_defaults_file
            if not path.is_file():
                self._cache[folder] = (None, b"")
            else:
                rel = path.relative_to(self.root).as_posix()
                raw = path.read_bytes()
                try:
                    values = yaml.safe_load(raw.decode("utf-8")) or {}
                except (yaml.YAMLError, UnicodeDecodeError) as exc:
                    raise DocumentError(
                        rel, f"invalid folder defaults: {exc}", "folder_defaults"
                    ) from exc
                if not isinstance(values, dict):
                    raise DocumentError(
                        rel, "folder defaults file is not a mapping", "folder_defaults"
                    )
                self._cache[folder] = (
                    FolderDefault(rel, {str(k): v for k, v in values.items()}),
                    raw,
                )
        return self._cache[folder]

    def above(self, path: Path, rel: str) -> tuple[list[FolderDefault], bytes]:
        """The folder defaults that apply to ``path`` (root first) and their raw bytes.

        Raises DocumentError naming ``rel`` and the bad defaults file when one cannot be read:
        the documents under it are not indexed rather than indexed without their floor.
        """
        out: list[FolderDefault] = []
        raw = b""
        folder = path.parent
        chain = [folder, *folder.parents]
        for f in reversed(chain):
            if f != self.root and self.root not in f.parents:
                continue
            try:
                fd, data = self._read(f)
            except DocumentError as exc:
                raise DocumentError(rel, f"{exc.path}: {exc.reason}", exc.code) from exc
            if fd is not None:
                out.append(fd)
                raw += b"\0" + fd.path.encode() + b"\0" + data
        return out, raw
