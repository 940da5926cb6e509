"""A local stand-in for Slack's Web API that records every call (like bolt-python's
tests/mock_web_api_server); the signed requests into an app are in tests/slack_requests.py.

``MockSlackAPI`` is a real HTTP server on 127.0.0.1, port 0. Point a ``WebClient`` at
``api.url`` and it answers auth.test, chat.postMessage, chat.update, chat.postEphemeral,
conversations.replies, conversations.info (``shared_channels`` are Slack Connect, ``group_dms``
are group DMs, ``D…`` ids DMs), conversations.members (``members``, paged; unset: the bot and
everyone who wrote in the conversation), usergroups.users.list (``usergroups``), views.* and
any other method with plausible JSON;
``response_url`` posts (``api.response_url(...)``) are recorded too. It keeps the messages posted
and seeded per channel so conversations.replies returns a real-looking thread.
``rate_limit_once(method)`` makes the next call of a method get 429 with Retry-After.

Slack's AI-app surfaces are kept as Slack keeps them: ``chat.startStream`` posts a message in
streaming state, ``chat.appendStream`` adds to its text (refused once the stream stopped, as
Slack refuses it), ``chat.stopStream`` adds the last text and the blocks; assistant.threads.*
(setStatus, setTitle, setSuggestedPrompts) are kept per thread in ``assistant_threads``;
``views.publish`` keeps the last Home view per user in ``home_views``. ``fail_always(method,
error)`` makes every call of a method fail (a workspace without streaming answers
``not_allowed``) until ``stop_failing(method)``; ``with api.failing(method, error):`` for a block.
Files: ``add_file(name, data)`` registers an upload for files.info; its ``url_private`` points
back at this server, which serves the bytes only to a request carrying the bot token
(``file_token``) as a bearer token, as Slack does, and records each download as
"file_download". ``not_in_channels``: chat.* calls there fail with ``not_in_channel``.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlparse

from tests.mock_slack_files import SlackFiles
from tests.slack_requests import BOT_ID, BOT_USER_ID, TEAM_ID


@dataclass
class Call:
    method: str  # Web API method name, or "response_url"
    params: dict[str, Any]
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)
    status: int = 200
    error: str | None = None  # the error this call was answered with, if any
    response: dict[str, Any] = field(default_factory=dict)  # the JSON answered


class MockSlackAPI(SlackFiles):
    """Start with ``MockSlackAPI().start()``; stop with ``.stop()``."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.messages: dict[str, list[dict[str, Any]]] = {}  # channel -> messages
        self.shared_channels: set[str] = set()  # Slack Connect: conversations.info says shared
        self.usergroups: dict[str, list[str]] = {}  # usergroups.users.list: group -> members
        # conversations.members: channel -> everyone in it (unset: the bot and who wrote there)
        self.members: dict[str, list[str]] = {}
        self.group_dms: set[str] = set()  # conversations.info says is_mpim
        self.init_files()
        self.not_in_channels: set[str] = set()  # chat.* there fails with not_in_channel
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._rate_limits: dict[str, tuple[int, str | None]] = {}
        self._errors: dict[str, tuple[str, str | None]] = {}
        self._always: dict[str, tuple[str, str | None]] = {}
        # (channel_id, thread_ts) -> {"status": ..., "title": ..., "prompts": [...]}
        self.assistant_threads: dict[tuple[str, str], dict[str, Any]] = {}
        self.home_views: dict[str, dict[str, Any]] = {}  # user id -> last published Home view
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # ---- lifecycle -------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The Web API base URL (with the trailing slash WebClient expects)."""
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/response_url/{name}"

    def start(self) -> MockSlackAPI:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # ---- test controls ---------------------------------------------------------------------
    def rate_limit_once(
        self, method: str, retry_after: int = 1, channel: str | None = None
    ) -> None:
        """The next call of ``method`` (in ``channel``, if given) gets HTTP 429 with
        ``Retry-After: retry_after``."""
        with self._lock:
            self._rate_limits[method] = (retry_after, channel)

    def fail_once(self, method: str, error: str, channel: str | None = None) -> None:
        """The next call of ``method`` (in ``channel``, if given) gets
        ``{"ok": false, "error": error}``."""
        with self._lock:
            self._errors[method] = (error, channel)

    def fail_always(self, method: str, error: str, channel: str | None = None) -> None:
        """Every call of ``method`` (in ``channel``, if given) gets ``{"ok": false, "error":
        error}`` until ``stop_failing(method)``."""
        with self._lock:
            self._always[method] = (error, channel)

    def stop_failing(self, method: str) -> None:
        with self._lock:
            self._always.pop(method, None)

    @contextlib.contextmanager
    def failing(self, method: str, error: str, channel: str | None = None) -> Iterator[None]:
        """``fail_always`` for the duration of a ``with`` block."""
        self.fail_always(method, error, channel)
        try:
            yield
        finally:
            self.stop_failing(method)

    def wait_until(
        self, predicate: Callable[[], Any], timeout: float = 30.0, what: str = "condition"
    ) -> Any:
        """Poll ``predicate`` until it returns something truthy; return that, or fail."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}")
            time.sleep(0.02)

    def next_ts(self) -> str:
        return f"{1_700_000_000 + next(self._ts)}.000100"

    def add_message(
        self,
        channel: str,
        text: str,
        user: str = "UOFFICER",
        thread_ts: str | None = None,
        ts: str | None = None,
    ) -> str:
        """Seed a message (as if a person wrote it); returns its ts."""
        ts = ts or self.next_ts()
        msg = {"type": "message", "user": user, "text": text, "ts": ts}
        if thread_ts:
            msg["thread_ts"] = thread_ts
        with self._lock:
            self.messages.setdefault(channel, []).append(msg)
        return ts

    def calls_to(self, method: str, where: Callable[[Call], bool] | None = None) -> list[Call]:
        with self._lock:
            return [
                c
                for c in self.calls
                if c.method == method
                and c.status == 200
                and not c.error
                and (where is None or where(c))
            ]

    def wait_for(
        self,
        method: str,
        count: int = 1,
        where: Callable[[Call], bool] | None = None,
        timeout: float = 30.0,
    ) -> list[Call]:
        """Poll until ``count`` successful calls of ``method`` (matching ``where``) arrived.

        Returns them; raises AssertionError with the calls seen so far after ``timeout``.
        """
        deadline = time.monotonic() + timeout
        while True:
            found = self.calls_to(method, where)
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                seen = [
                    (c.method, c.params.get("channel"), c.params.get("thread_ts"))
                    for c in self.calls
                ]
                raise AssertionError(
                    f"expected {count} {method} calls, got {len(found)}; all calls: {seen}"
                )
            time.sleep(0.02)

    # ---- the API -----------------------------------------------------------------------------
    def _answer(self, method: str, p: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://accord-test.slack.com/",
                "team": "Accord Test",
                "user": "accord",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method == "chat.postMessage":
            ts = self.next_ts()
            msg = {
                "type": "message",
                "user": BOT_USER_ID,
                "bot_id": BOT_ID,
                "ts": ts,
                "text": p.get("text", ""),
                "blocks": p.get("blocks") or [],
            }
            if p.get("thread_ts"):
                msg["thread_ts"] = p["thread_ts"]
            with self._lock:
                self.messages.setdefault(str(p.get("channel")), []).append(msg)
            return {"ok": True, "channel": p.get("channel"), "ts": ts, "message": msg}
        if method == "chat.update":
            with self._lock:
                for msg in self.messages.get(str(p.get("channel")), []):
                    if msg["ts"] == p.get("ts"):
                        msg.update(text=p.get("text", ""), blocks=p.get("blocks") or [])
            return {
                "ok": True,
                "channel": p.get("channel"),
                "ts": p.get("ts"),
                "text": p.get("text", ""),
            }
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self.next_ts()}
        if method == "conversations.replies":
            root = str(p.get("ts"))
            with self._lock:
                msgs = [
                    dict(m)
                    for m in self.messages.get(str(p.get("channel")), [])
                    if m["ts"] == root or m.get("thread_ts") == root
                ]
            msgs.sort(key=lambda m: float(m["ts"]))
            return {"ok": True, "messages": msgs, "has_more": False}
        if method == "conversations.info":
            cid = str(p.get("channel"))
            ext = cid in self.shared_channels
            mpim = cid in self.group_dms
            return {
                "ok": True,
                "channel": {
                    "id": cid,
                    "is_channel": cid.startswith("C"),
                    "is_im": cid.startswith("D"),
                    "is_group": cid.startswith("G") and not mpim,
                    "is_mpim": mpim,
                    "is_shared": ext,
                    "is_ext_shared": ext,
                    "is_org_shared": False,
                    "is_pending_ext_shared": False,
                },
            }
        if method == "conversations.members":
            return self._members_page(
                str(p.get("channel")), int(p.get("limit") or 100), int(p.get("cursor") or 0)
            )
        if method == "usergroups.users.list":
            group = str(p.get("usergroup"))
            if group not in self.usergroups:
                return {"ok": False, "error": "no_such_subteam"}
            return {"ok": True, "users": list(self.usergroups[group])}
        if method.startswith("chat.") and method.endswith("Stream"):
            return self._stream(method, p)
        if method.startswith("assistant.threads."):
            key = (str(p.get("channel_id")), str(p.get("thread_ts")))
            field_name = {
                "assistant.threads.setStatus": "status",
                "assistant.threads.setTitle": "title",
                "assistant.threads.setSuggestedPrompts": "prompts",
            }.get(method)
            if field_name is None:
                return {"ok": False, "error": "unknown_method"}
            with self._lock:
                self.assistant_threads.setdefault(key, {})[field_name] = p.get(field_name)
            return {"ok": True}
        if method == "views.publish":
            with self._lock:
                self.home_views[str(p.get("user_id"))] = p.get("view") or {}
        if method == "files.info":
            return self.files_info(p)
        if method.startswith("views."):
            return {"ok": True, "view": {"id": "V0ACCORD", **(p.get("view") or {})}}
        return {"ok": True}

    def _members_page(self, channel: str, limit: int, start: int) -> dict[str, Any]:
        """conversations.members: ``members[channel]`` when set, else the bot and everyone who
        wrote there; ``limit`` per page, the next offset as the cursor."""
        with self._lock:
            everyone = self.members.get(channel)
            if everyone is None:
                writers = {m["user"] for m in self.messages.get(channel, []) if m.get("user")}
                everyone = sorted(writers | {BOT_USER_ID})
        page = list(everyone)[start : start + limit]
        more = start + limit < len(everyone)
        return {
            "ok": True,
            "members": page,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _stream(self, method: str, p: dict[str, Any]) -> dict[str, Any]:
        channel = str(p.get("channel"))
        if method == "chat.startStream":
            if not p.get("thread_ts"):
                return {"ok": False, "error": "invalid_arguments"}
            ts = self.next_ts()
            msg = {
                "type": "message",
                "user": BOT_USER_ID,
                "bot_id": BOT_ID,
                "ts": ts,
                "thread_ts": p["thread_ts"],
                "text": p.get("markdown_text") or "",
                "blocks": [],
                "streaming": True,
            }
            with self._lock:
                self.messages.setdefault(channel, []).append(msg)
            return {"ok": True, "channel": channel, "ts": ts}
        with self._lock:
            msg = next((m for m in self.messages.get(channel, []) if m["ts"] == p.get("ts")), None)
            if msg is None:
                return {"ok": False, "error": "message_not_found"}
            if not msg.get("streaming"):
                return {"ok": False, "error": "message_not_in_streaming_state"}
            msg["text"] += p.get("markdown_text") or ""
            if method == "chat.stopStream":
                msg["streaming"] = False
                msg["blocks"] = p.get("blocks") or []
        return {"ok": True, "channel": channel, "ts": p.get("ts")}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:  # noqa: N802
                self._handle()

            def do_POST(self) -> None:  # noqa: N802
                self._handle()

            def _handle(self) -> None:
                parsed = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8") if length else ""
                params: dict[str, Any] = dict(parse_qsl(parsed.query))
                ctype = self.headers.get("Content-Type") or ""
                if raw and "json" in ctype:
                    params.update(json.loads(raw))
                elif raw:
                    params.update(dict(parse_qsl(raw)))
                for key in ("blocks", "attachments", "view", "prompts"):
                    if isinstance(params.get(key), str):
                        try:
                            params[key] = json.loads(params[key])
                        except ValueError:
                            pass
                if parsed.path.startswith("/files-pri/"):
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    status, data, ctype = api.download(parsed.path, headers.items())
                    with api._lock:
                        api.calls.append(
                            Call("file_download", {"path": parsed.path}, headers, status=status)
                        )
                    self._send_bytes(status, data, ctype)
                    return
                if parsed.path.startswith("/response_url/"):
                    method = "response_url"
                    params["_name"] = parsed.path.rsplit("/", 1)[-1]
                else:
                    method = parsed.path.removeprefix("/api/")
                call = Call(method, params, {k.lower(): v for k, v in self.headers.items()})
                retry_after = None
                with api._lock:
                    limit = api._rate_limits.get(method)
                    if limit and limit[1] in (None, params.get("channel")):
                        retry_after = api._rate_limits.pop(method)[0]
                    where = params.get("channel") or params.get("channel_id")
                    failure = api._errors.get(method)
                    error = None
                    if failure and failure[1] in (None, where):
                        error = api._errors.pop(method)[0]
                    always = api._always.get(method)
                    if always and always[1] in (None, where):
                        error = always[0]
                    if (
                        error is None
                        and method.startswith("chat.")
                        and params.get("channel") in api.not_in_channels
                    ):
                        error = "not_in_channel"
                if retry_after is not None:
                    call.status = 429
                    with api._lock:
                        api.calls.append(call)
                    self._send(
                        429,
                        {"ok": False, "error": "ratelimited"},
                        {"Retry-After": str(retry_after)},
                    )
                    return
                call.error = error
                body = (
                    {"ok": False, "error": error}
                    if error
                    else {"ok": True}
                    if method == "response_url"
                    else api._answer(method, params)
                )
                call.response = body
                with api._lock:
                    api.calls.append(call)
                self._send(200, body)

            def _send_bytes(self, status: int, data: bytes, ctype: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _send(
                self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
            ) -> None:
                data = json.dumps(body).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        return Handler


def text_of(blocks: list[dict]) -> str:
    """The text a person sees in Block Kit ``blocks``: sections, context elements, buttons."""
    out = []
    for b in blocks:
        if isinstance(b.get("text"), dict):
            out.append(b["text"]["text"])
        for el in b.get("elements", []):
            out.append(
                el["text"]["text"] if isinstance(el.get("text"), dict) else el.get("text", "")
            )
    return "\n".join(out)


# Signed requests into an app: tests/slack_requests.py (re-exported here for the tests).
from tests.slack_requests import Sent, SignedSender, serve_signed, sign  # noqa: E402

__all__ = [
    "BOT_ID",
    "BOT_USER_ID",
    "TEAM_ID",
    "Call",
    "MockSlackAPI",
    "Sent",
    "SignedSender",
    "serve_signed",
    "sign",
    "text_of",
]
