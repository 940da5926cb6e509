"""The HTTP mode's server: bolt's WSGI adapter on a threading WSGI server from the stdlib.

One thread a request, so a slow client never holds up another request's acknowledgement.
Several replicas can run behind a load balancer (they share answers, feedback and event claims
when they share ``ACCORD_DATA_DIR``). Port 0 picks a free port (tests); read it back from
``server.server_port``.
"""

from __future__ import annotations

import logging
import threading
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


def make_http_server(app: App, host: str = "127.0.0.1", port: int = 3000,
                     path: str = EVENTS_PATH) -> ThreadingWSGIServer:
    """A server for ``app`` on ``host:port`` answering POSTs to ``path``; not yet serving."""
    server = make_server(host, port, SlackRequestHandler(app, path=path),
                         server_class=ThreadingWSGIServer, handler_class=_QuietHandler)
    return server  # type: ignore[return-value]


def serve_in_thread(server: ThreadingWSGIServer) -> threading.Thread:
    """Start ``server.serve_forever`` on a daemon thread; stop it with ``server.shutdown()``."""
    thread = threading.Thread(target=server.serve_forever, name="accord-bot-http", daemon=True)
    thread.start()
    return thread
