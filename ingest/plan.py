"""Planning a sync: what a folder (a source root) holds against what the index holds from it.

Only the folder's own documents are compared: other roots are left alone. A document found here
whose root folder no longer exists (a moved folder) is adopted without re-embedding; a path that
another existing root already holds is a conflict, reported and never removed. A plan that
removes much (``SyncPlan.bulk``) is not carried out without ``prune``.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from accord.errors import ConfigError, DocumentError
from accord.settings import Settings
from ingest.folders import FolderDefaults
from ingest.loaders import SUPPORTED_SUFFIXES, is_sidecar, load_sidecar
from ingest.manifest import Manifest

PRUNE_SHARE = 0.2  # a sync removing more than this share of a root's documents needs --prune
PRUNE_MAX = 50  # ... or more than this many documents


@dataclass
class FileIssue:
    source: str
    reason: str
    code: str

    def as_dict(self) -> dict[str, str]:
        return {"source": self.source, "reason": self.reason, "code": self.code}


@dataclass
class Planned:
    source: str
    path: Path
    fingerprint: str
    action: str  # "add" or "update"


@dataclass
class SyncPlan:
    root: str = ""  # the source root: the folder's absolute path
    todo: list[Planned] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[FileIssue] = field(default_factory=list)
    skipped: list[FileIssue] = field(default_factory=list)
    adopt: list[str] = field(default_factory=list)  # found here, indexed from a moved folder
    owned: int = 0  # documents the index held from this root before the sync
    elsewhere: int = 0  # documents of other roots that a full rebuild drops

    @property
    def removing(self) -> int:
        return len(self.remove) + self.elsewhere

    @property
    def bulk(self) -> bool:
        """Whether the sync removes much: any other root's documents, more than a fifth of this
        root's, or more than 50."""
        n = self.removing
        return self.elsewhere > 0 or n > PRUNE_MAX or n > PRUNE_SHARE * self.owned

    def bulk_reason(self) -> str:
        if self.elsewhere:
            what = (
                f"--full rebuilds the index from {self.root} alone: it would remove the "
                f"{self.elsewhere} document(s) synced from other folders (see `accord "
                f"sources`) and {len(self.remove)} no longer in this folder"
            )
        else:
            what = (
                f"this sync would remove {len(self.remove)} of the {self.owned} documents "
                f"synced from {self.root} (more than a fifth, or more than {PRUNE_MAX})"
            )
        return what

    def bulk_message(self) -> str:
        return (
            f"{self.bulk_reason()}. Nothing was changed. Check the plan with `accord ingest "
            f"{self.root} --dry-run`; to go ahead, run it again with --prune."
        )

    @property
    def add(self) -> list[Planned]:
        return [p for p in self.todo if p.action == "add"]

    @property
    def update(self) -> list[Planned]:
        return [p for p in self.todo if p.action == "update"]


# How documents are read into entries (metadata, headings, chunks). Raised when that changes,
# so the next sync re-reads every document (vectors are kept where a chunk's text is the same).
# 3: sections from HTML/Word headings, PDF heading type and article lines, Markdown "#" lines, never
# a marking or a dateline; own dates (adoption datelines, month-only datelines); message form.
INDEX_FORMAT = b"3"


def _fingerprint(data: bytes, sidecar: bytes, context: bytes = b"") -> tuple[str, str]:
    """(sha256 of the file, fingerprint of everything its index entry depends on: the file,
    its sidecar, the folder defaults above it, the marking rules and the index format)."""
    sha = hashlib.sha256(data).hexdigest()
    return sha, hashlib.sha256(
        data + b"\0sidecar\0" + sidecar + b"\0context\0" + context + b"\0format\0" + INDEX_FORMAT
    ).hexdigest()


def walk_folder(root: Path) -> list[Path]:
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=None):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                out.append(Path(dirpath) / name)
    return out


def _check_overlap(root: str, manifest: Manifest) -> None:
    """A folder inside a synced root (or holding one) would index the same files twice."""
    for other in (r["root"] for r in manifest.roots()):
        if not other or other == root or not Path(other).is_dir():
            continue
        if root.startswith(other.rstrip(os.sep) + os.sep):
            raise ConfigError(
                f"{root} is inside {other}, which this index already syncs: sync "
                f"{other} instead, or `accord remove {other}` first"
            )
        if other.startswith(root.rstrip(os.sep) + os.sep):
            raise ConfigError(
                f"{root} holds {other}, which this index already syncs as a "
                f"folder of its own: `accord remove {other}` first"
            )


def plan_sync(root: Path, settings: Settings, manifest: Manifest, full: bool = False) -> SyncPlan:
    """Compare the folder with what the index holds from it (its source root). Reads and
    hashes every candidate file. Documents of other roots are left alone; one found here whose
    root folder no longer exists (a moved folder) is adopted without re-embedding; a path that
    another existing root already holds is reported as a conflict."""
    key = str(root.resolve())
    _check_overlap(key, manifest)
    plan = SyncPlan(root=key)
    every = manifest.records()
    records = {} if full else every
    plan.owned = sum(1 for r in every.values() if r.root == key)
    if full:
        plan.elsewhere = sum(1 for r in every.values() if r.root != key)
    seen: set[str] = set()
    limit = int(settings.max_file_mb * 1024 * 1024)
    rules = settings.rules()
    folders = FolderDefaults(root, rules)
    for path in walk_folder(root):
        rel = path.relative_to(root).as_posix()
        if is_sidecar(path):
            continue
        suffix = path.suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            what = f"file type {suffix!r}" if suffix else "file type (no extension)"
            plan.skipped.append(FileIssue(rel, f"unsupported {what}", "unsupported"))
            continue
        try:
            size = path.stat().st_size
            if size > limit:
                plan.failed.append(
                    FileIssue(
                        rel,
                        f"file too large: {size / 1048576:.1f} MB exceeds the limit of "
                        f"{settings.max_file_mb:g} MB (ACCORD_MAX_FILE_MB)",
                        "too_large",
                    )
                )
                continue
            data = path.read_bytes()
        except PermissionError:
            plan.failed.append(FileIssue(rel, "unreadable: permission denied", "unreadable"))
            continue
        except OSError as exc:
            plan.failed.append(FileIssue(rel, f"unreadable: {exc.strerror or exc}", "unreadable"))
            continue
        try:
            _, side_raw = load_sidecar(path, rel)
            _, folder_raw = folders.above(path, rel)
        except DocumentError as exc:
            plan.failed.append(FileIssue(rel, exc.reason, exc.code))
            continue
        rec = records.get(rel)
        if rec and rec.root != key:
            if rec.root is not None and Path(rec.root).is_dir():
                plan.failed.append(
                    FileIssue(
                        rel,
                        f"the index already holds {rel} from {rec.root}: rename one of them, "
                        f"or `accord remove {rec.root}` first",
                        "conflict",
                    )
                )
                continue
            plan.adopt.append(rel)  # its folder moved here (or no recorded sync brought it)
        seen.add(rel)
        _, fp = _fingerprint(data, side_raw, rules.digest.encode() + folder_raw)
        if rec and rec.status == "done" and rec.fingerprint == fp:
            plan.unchanged.append(rel)
        else:
            plan.todo.append(Planned(rel, path, fp, "update" if rec else "add"))
    plan.remove = sorted(s for s, r in every.items() if r.root == key and s not in seen)
    return plan
