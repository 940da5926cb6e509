"""Files for the recording Slack server (``tests.mock_slack_api.MockSlackAPI`` mixes this in):
``files.info`` and the download from ``url_private``, which, as on Slack, needs the bot token.

``add_file(name, data)`` registers an upload and returns its id; its ``url_private`` points back
at the server. A download without ``Authorization: Bearer <file_token>`` gets Slack's answer to
that: a sign-in web page, not the file.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

SIGN_IN_PAGE = b"<!DOCTYPE html><html><body>Sign in to Slack</body></html>"


class SlackFiles:
    """The files a test uploaded, as Slack holds them. Needs ``port`` and ``_lock``."""

    port: int
    _lock: threading.Lock

    def init_files(self) -> None:
        self.files: dict[str, dict[str, Any]] = {}  # files.info: file id -> file object
        self.file_bytes: dict[str, bytes] = {}  # what each file's url_private serves
        self.file_token = "xoxb-accord-test"  # the bearer token a download must carry

    def add_file(
        self,
        name: str,
        data: bytes,
        user: str = "UOFFICER",
        mimetype: str = "application/octet-stream",
        size: int | None = None,
    ) -> str:
        """Register an uploaded file; returns its id. ``size`` overrides the size files.info
        reports (a file too large to fetch, without the bytes)."""
        with self._lock:
            fid = f"F{len(self.files) + 1:08d}"
            url = f"http://127.0.0.1:{self.port}/files-pri/{fid}/{quote(name)}"
            self.files[fid] = {
                "id": fid,
                "name": name,
                "title": name,
                "user": user,
                "mimetype": mimetype,
                "filetype": name.rsplit(".", 1)[-1].lower() if "." in name else "",
                "size": len(data) if size is None else size,
                "url_private": url,
                "url_private_download": url + "?download=1",
                "mode": "hosted",
            }
            self.file_bytes[fid] = data
        return fid

    def files_info(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            info = self.files.get(str(params.get("file")))
        return {"ok": True, "file": info} if info else {"ok": False, "error": "file_not_found"}

    def download(self, path: str, headers: Iterable[tuple[str, str]]) -> tuple[int, bytes, str]:
        """(status, body, content type) for a GET of ``path`` (``/files-pri/FID/name``)."""
        fid = path.split("/")[2]
        auth = {k.lower(): v for k, v in headers}.get("authorization")
        if auth != f"Bearer {self.file_token}":
            return 403, SIGN_IN_PAGE, "text/html"
        with self._lock:
            data = self.file_bytes.get(fid)
            mimetype = (self.files.get(fid) or {}).get("mimetype") or "application/octet-stream"
        if data is None:
            return 404, SIGN_IN_PAGE, "text/html"
        return 200, data, mimetype
