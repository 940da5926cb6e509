"""The HTTP mode's server: bolt's WSGI adapter on a threading WSGI server from the stdlib, with
``/healthz`` (the process is alive), ``/readyz`` (index loaded, store reachable, model loaded:
200, else 503 with the reasons) and ``/metrics`` (Prometheus text) for a load balancer and a
scraper.

One thread a request, so a slow client never holds up another request's acknowledgement.
Several replicas can run behind a load balancer (they share answers, feedback and event claims
when they share ``ACCORD_DATA_DIR``). Port 0 picks a free port (tests); read it back from
``server.server_port``. The server can start before the app is ready (``Service.app`` None):
Slack's events then get 503 and are retried by Slack, and ``/readyz`` says what is missing.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 128


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        log.debug("%s %s", self.address_string(), format % args)


class Service:
    """What the health endpoints read: the app (None until built), a readiness check returning
    the reasons it is not ready ([] when ready), and the metrics."""

    def __init__(
        self,
        app: App | None = None,
        ready: Callable[[], list[str]] | None = None,
        metrics: Any = None,
    ) -> None:
        self.app = app
        self.ready = ready or (lambda: [])
        self.metrics = metrics
        self._handler: Any = None

    def reasons(self) -> list[str]:
        if self.app is None:
            return ["starting: the model and the index are loading"]
        try:
            return self.ready()
        except Exception as exc:  # a check that fails is a reason, not a crash
            log.debug("readiness check failed", exc_info=True)
            return [f"readiness check failed: {type(exc).__name__}: {exc}"]

    def wsgi(self, path: str) -> Callable[..., Any]:
        def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            route = environ.get("PATH_INFO", "")
            if route == "/healthz":
                return _reply(start_response, "200 OK", "text/plain", "ok\n")
            if route == "/readyz":
                reasons = self.reasons()
                body = json.dumps({"ready": not reasons, "reasons": reasons}) + "\n"
                return _reply(
                    start_response,
                    "503 Service Unavailable" if reasons else "200 OK",
                    "application/json",
                    body,
                )
            if route == "/metrics":
                text = self.metrics.render() if self.metrics is not None else ""
                return _reply(start_response, "200 OK", "text/plain; version=0.0.4", text)
            if self.app is None:
                return _reply(start_response, "503 Service Unavailable", "text/plain", "starting\n")
            if self._handler is None:
                self._handler = SlackRequestHandler(self.app, path=path)
            return self._handler(environ, start_response)

        return application


def _reply(start_response: Callable[..., Any], status: str, ctype: str, body: str) -> list:
    data = body.encode("utf-8")
    start_response(status, [("Content-Type", ctype), ("Content-Length", str(len(data)))])
    return [data]


def make_http_server(
    app: App | Service, host: str = "127.0.0.1", port: int = 3000, path: str = EVENTS_PATH
) -> ThreadingWSGIServer:
    """A server for ``app`` (or a ``Service`` around it) on ``host:port`` answering POSTs to
    ``path`` and the health endpoints; not yet serving."""
    if isinstance(app, Service):
        service = app
    else:
        deps = getattr(app, "accord_deps", None)
        service = Service(app, metrics=getattr(getattr(deps, "qa", None), "metrics", None))
    server = make_server(
        host,
        port,
        service.wsgi(path),
        server_class=ThreadingWSGIServer,
        handler_class=_QuietHandler,
    )
    server.service = service  # type: ignore[attr-defined]
    return server


def serve_in_thread(server: ThreadingWSGIServer) -> threading.Thread:
    """Start ``server.serve_forever`` on a daemon thread; stop it with ``server.shutdown()``."""
    thread = threading.Thread(target=server.serve_forever, name="accord-bot-http", daemon=True)
    thread.start()
    return thread
