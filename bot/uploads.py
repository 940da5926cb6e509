"""Documents an admin sends the bot: fetched from Slack, held for confirmation, then filed.

The steps, each failing with a ``DocumentError`` naming the file and the reason:

1. :func:`fetch`: ``files.info``, the checks that need no bytes (a type the loaders read, the size
   limit ``ACCORD_MAX_FILE_MB``), then the download from ``url_private`` with the bot token.
2. :func:`stage`: the bytes are written to the documents folder under a hidden name (the sync
   skips names starting with a dot, so nothing is indexed before the admin confirms), under the
   name they will get: the file's own, or, when a different file already has it, the first free
   ``stem-2.ext``, ``stem-3.ext``... (never overwriting). The same bytes under the same name are
   reported as already there.
3. :func:`read_marking`: the document is loaded as the sync will load it (``accord markings``'s
   reading: text, front matter, the folder's defaults) so the admin sees its marking and why.
4. :func:`commit` (the admin confirmed) or :func:`discard` (cancelled). Both work from the names
   alone, so any replica sharing the folder can finish what another started.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from accord.access.markings import Rules
from accord.errors import DocumentError
from accord.models import Document
from ingest.folders import FolderDefaults
from ingest.loaders import SUPPORTED_SUFFIXES, is_sidecar
from ingest.sync import load_document

if TYPE_CHECKING:
    from slack_sdk import WebClient


PENDING_PREFIX = ".accord-upload-"
_PENDING = re.compile(r"^\.accord-upload-[0-9a-f]{16}-[^/\\]+$")
# Hosts that may receive the bot token with a download: Slack's own, and the Web API's host.
_SLACK_FILE_HOSTS = ("slack.com", "slack-files.com", "slack-edge.com")


@dataclass
class Fetched:
    """A file fetched from Slack: its name as uploaded and its bytes."""

    file_id: str
    name: str
    data: bytes


@dataclass
class Staged:
    """A file waiting for the admin's word: the hidden copy and the name it will be filed as.

    ``same_as`` is set instead when the folder already holds these bytes under this name."""

    name: str  # the name as uploaded
    final_name: str  # the name it will have in the folder (differs when the name is taken)
    pending: str | None  # the hidden file's name in the documents folder
    same_as: str | None = None


def safe_name(name: str) -> str:
    """The file's own name, made safe to file: no folders, no leading dot, no control
    characters. Raises DocumentError when nothing usable is left."""
    base = PurePosixPath(name.replace("\\", "/")).name
    base = "".join(ch for ch in base if ch.isprintable()).strip().lstrip(".").strip()
    if not base or not PurePosixPath(base).stem:
        raise DocumentError(name or "(no name)", "the file has no usable name", "bad_name")
    return base


def check_info(info: dict[str, Any], max_mb: float) -> str:
    """Check what files.info says before downloading; returns the file's safe name.

    Raises DocumentError naming the file: a type the loaders do not read, a sidecar, too large,
    or a file Slack does not host (an external link)."""
    name = safe_name(str(info.get("name") or info.get("title") or ""))
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES or is_sidecar(Path(name)):
        what = f"file type {suffix!r}" if suffix else "file type (no extension)"
        raise DocumentError(
            name, f"unsupported {what}: Accord reads {', '.join(SUPPORTED_SUFFIXES)}", "unsupported"
        )
    size = int(info.get("size") or 0)
    if size > max_mb * 1024 * 1024:
        raise DocumentError(
            name,
            f"file too large: {size / 1048576:.1f} MB exceeds the limit "
            f"of {max_mb:g} MB (ACCORD_MAX_FILE_MB)",
            "too_large",
        )
    if info.get("mode") in ("external", "snippet", "post") or not (
        info.get("url_private_download") or info.get("url_private")
    ):
        raise DocumentError(
            name,
            "not a file Slack holds (an external link or a snippet): upload the document itself",
            "unsupported",
        )
    return name


def fetch(client: WebClient, file_id: str, max_mb: float, timeout: float = 60.0) -> Fetched:
    """``files.info`` then the download with the client's bot token.

    Raises DocumentError naming the file and the reason (Slack refused, unsupported, too large,
    the download failed)."""
    try:
        info = client.files_info(file=file_id).get("file") or {}
    except Exception as exc:
        resp = getattr(exc, "response", None)
        error = resp.get("error") if resp is not None else None
        raise DocumentError(
            file_id,
            f"Slack would not describe the file ({error or exc}); "
            "does the app have the files:read scope?",
            "unreadable",
        ) from exc
    name = check_info(info, max_mb)
    url = str(info.get("url_private_download") or info.get("url_private"))
    if not _may_send_token(url, str(client.base_url)):
        raise DocumentError(
            name,
            f"the file's address {urlparse(url).hostname} is not Slack's: not downloaded",
            "unreadable",
        )
    limit = int(max_mb * 1024 * 1024)
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {client.token}"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (Slack's URL)
            ctype = resp.headers.get("Content-Type") or ""
            data = resp.read(limit + 1)
    except urllib.error.HTTPError as exc:
        raise DocumentError(
            name,
            f"download refused by Slack (HTTP {exc.code}); does the app have the files:read scope?",
            "unreadable",
        ) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise DocumentError(
            name, f"download failed: {getattr(exc, 'reason', exc)}", "unreadable"
        ) from exc
    if len(data) > limit:
        raise DocumentError(
            name,
            f"file too large: exceeds the limit of {max_mb:g} MB (ACCORD_MAX_FILE_MB)",
            "too_large",
        )
    if ctype.startswith("text/html") and PurePosixPath(name).suffix.lower() not in (
        ".html",
        ".htm",
    ):
        # Slack serves its sign-in page, not the file, when the token is not accepted
        raise DocumentError(
            name,
            "Slack sent a web page instead of the file (the token was not accepted for downloads)",
            "unreadable",
        )
    return Fetched(file_id, name, data)


def _may_send_token(url: str, api_url: str) -> bool:
    host = (urlparse(url).hostname or "").lower()
    api_host = (urlparse(api_url).hostname or "").lower()
    return bool(host) and (
        host == api_host or any(host == h or host.endswith("." + h) for h in _SLACK_FILE_HOSTS)
    )


def stage(docs_dir: Path, fetched: Fetched) -> Staged:
    """Write the bytes under a hidden name in ``docs_dir`` and choose the name to file them as.

    Returns a Staged with ``same_as`` set (and nothing written) when ``docs_dir`` already holds
    the same bytes under the same name (or one of its numbered variants)."""
    docs_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(fetched.data).hexdigest()
    final = None
    for candidate in _candidates(fetched.name):
        path = docs_dir / candidate
        if not path.exists():
            final = candidate
            break
        if path.is_file() and _sha256(path) == digest:
            return Staged(fetched.name, candidate, None, same_as=candidate)
    assert final is not None
    pending = f"{PENDING_PREFIX}{secrets.token_hex(8)}-{final}"
    fd = os.open(docs_dir / pending, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    with os.fdopen(fd, "wb") as fh:
        fh.write(fetched.data)
    return Staged(fetched.name, final, pending)


def _candidates(name: str, most: int = 1000) -> Any:
    p = PurePosixPath(name)
    yield name
    for n in range(2, most):
        yield f"{p.stem}-{n}{p.suffix}"
    raise DocumentError(name, f"{most} files with this name already: rename it", "name_taken")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def pending_path(docs_dir: Path, pending: str) -> Path:
    """The hidden file ``pending`` names; raises DocumentError for a name that is not one."""
    if not _PENDING.match(pending):
        raise DocumentError(pending, "not an upload waiting for confirmation", "bad_name")
    return docs_dir / pending


def read_marking(docs_dir: Path, staged: Staged, rules: Rules) -> Document:
    """Load the staged file as the sync will (its text, front matter and the folder's defaults)
    and return the Document, with its marking, caveats and the evidence.

    Raises DocumentError naming the file when it cannot be read."""
    assert staged.pending is not None
    path = pending_path(docs_dir, staged.pending)
    doc, _ = load_document(path, staged.final_name, rules, FolderDefaults(docs_dir, rules))
    return doc


def commit(docs_dir: Path, pending: str, final_name: str, uploaded_name: str | None = None) -> str:
    """File the staged copy under ``final_name``, or, if a file took that name meanwhile, the
    next free numbered variant of ``uploaded_name``; returns the name used. Raises
    DocumentError when the staged copy is gone (already filed or cancelled)."""
    src = pending_path(docs_dir, pending)
    final_name = safe_name(final_name)
    if not src.is_file():
        raise DocumentError(final_name, "this upload was already added or cancelled", "gone")
    names = _candidates(safe_name(uploaded_name or final_name))
    for candidate in itertools.chain([final_name], (n for n in names if n != final_name)):
        try:
            os.link(src, docs_dir / candidate)  # fails if the name exists: never overwrites
        except FileExistsError:
            continue
        src.unlink()
        return candidate
    raise AssertionError("unreachable")  # _candidates raises when it runs out


def discard(docs_dir: Path, pending: str) -> bool:
    """Delete the staged copy; False when it was already gone."""
    try:
        pending_path(docs_dir, pending).unlink()
        return True
    except FileNotFoundError:
        return False
