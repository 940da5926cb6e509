"""Requests into a Slack app as Slack sends them: signed with the signing secret (v0 HMAC),
as Events API callbacks, slash commands, block actions and message shortcuts; and
``serve_signed``, which serves a bolt app on a loopback port and yields a sender for it.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

BOT_USER_ID = "UACCORDBOT"
BOT_ID = "BACCORD"
TEAM_ID = "T0ACCORD"


@contextlib.contextmanager
def serve_signed(app: Any, secret: str) -> Iterator[SignedSender]:
    """Serve ``app`` over HTTP on a free loopback port for the ``with`` block; yields a sender
    that signs with ``secret``."""
    from bot.server import EVENTS_PATH, make_http_server, serve_in_thread

    server = make_http_server(app, "127.0.0.1", 0)
    serve_in_thread(server)
    try:
        yield SignedSender(f"http://127.0.0.1:{server.server_port}{EVENTS_PATH}", secret)
    finally:
        server.shutdown()
        server.server_close()


def sign(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    """Slack's v0 request signature headers for ``body`` (HMAC-SHA256 of v0:ts:body)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


@dataclass
class Sent:
    status: int
    body: str
    elapsed: float  # seconds from sending the request to reading the whole response
    done_at: float = 0.0  # time.monotonic() when the response was read (compare with Call.at)


class SignedSender:
    """Sends Slack's request kinds to an app's HTTP endpoint, signed as Slack signs them."""

    def __init__(self, url: str, secret: str, team_id: str = TEAM_ID) -> None:
        self.url = url
        self.secret = secret
        self.team_id = team_id
        self._ids = itertools.count(1)

    def post(
        self,
        body: str,
        content_type: str,
        headers: dict[str, str] | None = None,
        timestamp: int | None = None,
        secret: str | None = None,
    ) -> Sent:
        import urllib.error
        import urllib.request

        hdrs = {
            "Content-Type": content_type,
            **sign(self.secret if secret is None else secret, body, timestamp),
            **(headers or {}),
        }
        req = urllib.request.Request(
            self.url, data=body.encode("utf-8"), headers=hdrs, method="POST"
        )
        t0 = time.perf_counter()
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                data = resp.read().decode("utf-8")
                return Sent(resp.status, data, time.perf_counter() - t0, time.monotonic())
        except urllib.error.HTTPError as exc:
            data = exc.read().decode("utf-8")
            return Sent(exc.code, data, time.perf_counter() - t0, time.monotonic())

    def event(
        self, event: dict[str, Any], event_id: str | None = None, **kw: Any
    ) -> tuple[Sent, str]:
        """An Events API callback wrapping ``event``; returns the response and the event id."""
        event_id = event_id or f"Ev{next(self._ids):08d}"
        body = json.dumps(
            {
                "token": "legacy",
                "team_id": self.team_id,
                "api_app_id": "A0ACCORD",
                "type": "event_callback",
                "event_id": event_id,
                "event_time": int(time.time()),
                "event": event,
                "authorizations": [
                    {
                        "team_id": self.team_id,
                        "user_id": BOT_USER_ID,
                        "is_bot": True,
                        "enterprise_id": None,
                    }
                ],
            }
        )
        return self.post(body, "application/json", **kw), event_id

    def command(
        self, text: str, user: str, channel: str, response_url: str, command: str = "/accord"
    ) -> Sent:
        from urllib.parse import urlencode

        body = urlencode(
            {
                "token": "legacy",
                "team_id": self.team_id,
                "team_domain": "accord-test",
                "channel_id": channel,
                "channel_name": "general",
                "user_id": user,
                "user_name": user.lower(),
                "command": command,
                "text": text,
                "api_app_id": "A0ACCORD",
                "response_url": response_url,
                "trigger_id": f"trig.{next(self._ids)}",
            }
        )
        return self.post(body, "application/x-www-form-urlencoded")

    def block_action(
        self,
        action_id: str,
        value: str,
        user: str,
        channel: str,
        response_url: str,
        message_ts: str = "",
        thread_ts: str | None = None,
        ephemeral: bool = False,
    ) -> Sent:
        from urllib.parse import urlencode

        container: dict[str, Any] = {
            "type": "message",
            "channel_id": channel,
            "message_ts": message_ts,
            "is_ephemeral": ephemeral,
        }
        if thread_ts:
            container["thread_ts"] = thread_ts
        payload = {
            "type": "block_actions",
            "team": {"id": self.team_id, "domain": "accord-test"},
            "user": {"id": user, "username": user.lower(), "team_id": self.team_id},
            "api_app_id": "A0ACCORD",
            "token": "legacy",
            "container": container,
            "trigger_id": f"trig.{next(self._ids)}",
            "channel": {"id": channel},
            "response_url": response_url,
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "value": value,
                    "block_id": f"accord_feedback:{value}",
                    "text": {"type": "plain_text", "text": action_id},
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        return self.post(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        )

    def message_shortcut(
        self, callback_id: str, user: str, channel: str, message: dict[str, Any], response_url: str
    ) -> Sent:
        """A message shortcut (``message_action``) on ``message`` in ``channel``."""
        from urllib.parse import urlencode

        payload = {
            "type": "message_action",
            "callback_id": callback_id,
            "team": {"id": self.team_id, "domain": "accord-test"},
            "user": {"id": user, "username": user.lower(), "team_id": self.team_id},
            "channel": {"id": channel, "name": channel.lower()},
            "api_app_id": "A0ACCORD",
            "token": "legacy",
            "trigger_id": f"trig.{next(self._ids)}",
            "response_url": response_url,
            "message_ts": message.get("ts"),
            "action_ts": f"{time.time():.6f}",
            "message": message,
        }
        return self.post(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        )
