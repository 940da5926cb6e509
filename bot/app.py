"""``build_app``: the Accord Slack app, wired to a QA pipeline and a Slack WebClient.

Nothing happens at import time and nothing is fetched from the network in ``build_app``: the
token is checked with ``auth.test`` on the first request. Typical use (see ``bot.cli``)::

    from slack_sdk import WebClient
    from accord.runtime import Runtime
    from bot.app import build_app
    from bot.server import serve_http

    rt = Runtime(settings)
    client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    app = build_app(settings, rt.qa, client, docs_dir=settings.docs_dir,
                    reindex=lambda folder: rt.syncer().run(folder))
    server = serve_http(app, "0.0.0.0", 3000)   # or SocketModeHandler(app, app_token).start()
    server.serve_forever()

Why ``process_before_response=True`` with lazy listeners: every listener's ack runs inline in
the request's own thread and returns at once, while the answering runs in a lazy function on the
worker pool. With bolt's default (False) the ack itself queues on the same pool, so twenty
questions in flight would delay the twenty-first acknowledgement past Slack's 3 seconds.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from accord.errors import ConfigError
from accord.settings import Settings
from bot.audience import AudienceResolver, Policy
from bot.dedupe import DB_NAME as CLAIMS_DB
from bot.dedupe import Claims, event_dedupe_middleware
from bot.deps import BotDeps, Reindex
from bot.feedback import DB_NAME as FEEDBACK_DB
from bot.feedback import FeedbackStore
from bot.listeners import register_all

if TYPE_CHECKING:
    from accord.qa import QA


log = logging.getLogger(__name__)


def make_client(settings: Settings) -> WebClient:
    """A WebClient for the bot token and API URL in ``settings``, with retry handlers."""
    return with_retries(
        WebClient(token=settings.slack_bot_token, base_url=_with_slash(settings.slack_api_url))
    )


def with_retries(client: WebClient, rate_limit_retries: int = 3) -> WebClient:
    """Add slack_sdk's retry handlers to ``client`` (once): a 429 waits for its Retry-After,
    a 500/503 or a dropped connection is retried. Returns the same client."""
    kinds = {type(h) for h in client.retry_handlers}
    for handler in (
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=rate_limit_retries),
        ServerErrorRetryHandler(max_retry_count=2),
    ):
        if type(handler) not in kinds:
            client.retry_handlers.append(handler)
    return client


def build_app(
    settings: Settings,
    qa: QA,
    client: WebClient | None = None,
    *,
    docs_dir: Path | None = None,
    reindex: Reindex | None = None,
    feedback: FeedbackStore | None = None,
    claims: Claims | None = None,
    workers: int = 8,
    socket_mode: bool = False,
    policy: Policy | None = None,
) -> App:
    """Return the slack-bolt App answering from ``qa``.

    ``client`` is the WebClient the app posts with (built from ``settings`` if None; retry
    handlers are added either way). ``docs_dir`` (default ``settings.docs_dir``) is the folder
    ``/accord reindex`` syncs with ``reindex(folder)``, which returns a result with
    ``.summary()``. Feedback and event claims live under ``settings.data_dir`` unless given.
    ``socket_mode`` skips request signing (Socket Mode has no HTTP requests to verify).
    ``policy`` gives Slack audiences their clearance (default: :func:`load_policy`).
    Raises ConfigError when the bot token, or the signing secret in HTTP mode, is missing, and
    PolicyError when the audience policy file cannot be used.
    """
    client = with_retries(client or make_client(settings))
    token = settings.slack_bot_token or client.token
    if not token:
        raise ConfigError("No Slack bot token: set ACCORD_SLACK_BOT_TOKEN (xoxb-...).")
    secret = settings.slack_signing_secret or ""
    if not socket_mode and not secret:
        raise ConfigError(
            "No Slack signing secret: set ACCORD_SLACK_SIGNING_SECRET, or run "
            "in Socket Mode with ACCORD_SLACK_APP_TOKEN."
        )
    policy = policy or load_policy(settings)
    deps = BotDeps(
        settings=settings,
        qa=qa,
        audiences=AudienceResolver(policy, settings.rules(), client),
        feedback=feedback or FeedbackStore(settings.state_db(FEEDBACK_DB)),
        claims=claims or Claims(settings.state_db(CLAIMS_DB)),
        docs_dir=docs_dir or settings.docs_dir,
        reindex=reindex,
    )
    client.token = client.token or token  # bolt takes the token from the client
    app = App(
        signing_secret=secret,
        client=client,
        logger=logging.getLogger("bot.bolt"),
        process_before_response=True,
        token_verification_enabled=False,
        request_verification_enabled=not socket_mode,
        listener_executor=ThreadPoolExecutor(max_workers=workers, thread_name_prefix="accord-bot"),
        name="accord",
    )
    # A Slack Connect channel listed above shared_default is capped; say so at start.
    deps.audiences.policy_warnings()
    app.use(event_dedupe_middleware(deps.claims))
    register_all(app, deps)
    app.accord_deps = deps  # type: ignore[attr-defined]  # for the CLI and tests
    return app


def load_policy(settings: Settings) -> Policy:
    """The audience policy ``settings`` name, or everyone at ``settings.clearance`` when none.

    Raises PolicyError naming the file, the line and the reason when the file cannot be used.
    """
    rules = settings.rules()
    if settings.audience_policy is None:
        return Policy.default_only(rules, settings.clearance)
    return Policy.load(settings.audience_policy, rules)


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"
