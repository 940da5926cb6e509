"""``accord bot`` (Socket Mode, or ``--http --port N``) and ``accord feedback export``.

Registered on the main ``accord`` command by ``accord.cli`` through ``register(app)``. The entry
point is the one place the bot's collaborators are built: settings, the Runtime (store,
embedder, QA), the Slack WebClient and the server.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from accord.runtime import Runtime


DataDir = Annotated[Path | None, typer.Option(help="Overrides ACCORD_DATA_DIR.")]
DocsDir = Annotated[Path | None, typer.Option(help="Overrides ACCORD_DOCS_DIR (re-index).")]
OutFile = Annotated[Path | None, typer.Option("--out", help="File to write (default: stdout).")]
feedback_app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Feedback officers left on the bot's answers."
)


def bot(
    http: bool = typer.Option(
        False,
        "--http",
        help="Serve Slack's HTTP mode instead of "
        "Socket Mode (needs a public URL and the signing secret).",
    ),
    port: int = typer.Option(3000, "--port", help="HTTP mode: the port to listen on."),
    host: str = typer.Option("0.0.0.0", "--host", help="HTTP mode: the address to bind."),
    workers: int = typer.Option(8, "--workers", min=1, help="Questions answered at once."),
    allow_empty: bool = typer.Option(
        False, "--allow-empty", help="Start even when nothing is indexed (answers then say so)."
    ),
    health_port: int | None = typer.Option(
        None,
        "--health-port",
        help="Socket Mode: serve /healthz, /readyz and /metrics on this port.",
    ),
    data_dir: DataDir = None,
    docs_dir: DocsDir = None,
) -> None:
    """Run the Slack bot: Socket Mode by default (no public URL), or HTTP with --http.

    Example: accord bot --health-port 8080
    """
    from accord.cli_common import err, fail, load_settings
    from accord.errors import AccordError
    from accord.runtime import Runtime
    from bot.app import build_app, load_policy, make_client

    settings = load_settings(data_dir=data_dir, docs_dir=docs_dir)
    problems = settings_problems(settings, http)
    policy = None
    try:
        policy = load_policy(settings)  # a bad policy file stops the bot before anything loads
    except AccordError as exc:
        problems.append(exc.message)
    if not _indexed_documents(settings) and not allow_empty:
        problems.append(
            f"the index in {settings.data_dir.resolve()} is empty or missing: run "
            "`accord ingest FOLDER` first (or start with --allow-empty)"
        )
    client = make_client(settings)
    if settings.slack_bot_token:  # the token as Slack sees it, before the model loads
        problem = check_slack(client)
        if problem:
            problems.append(problem)
    if problems:  # every one at once: a deployment is fixed in one round, not one per start
        err.print(
            f"[red]error:[/red] the bot cannot start ({len(problems)} problem(s)):\n"
            + "\n".join(f"  - {escape(p)}" for p in problems),
            soft_wrap=True,
        )
        raise typer.Exit(2)
    from bot.server import EVENTS_PATH, Service, make_http_server, serve_in_thread

    rt = Runtime(settings)
    service = Service(ready=lambda: readiness(rt, allow_empty))
    server = None
    if http or health_port is not None:
        # Serving first: /healthz answers at once, /readyz says 503 until the model is loaded.
        server = make_http_server(
            service, host, port if http or health_port is None else health_port
        )
        serve_in_thread(server)
        err.print(
            f"Accord bot listening on http://{host}:{server.server_port}"
            f"{EVENTS_PATH if http else '/healthz'}"
        )
    try:
        rt.query_embedder  # noqa: B018  load the question encoder now, not on the first question
        app = build_app(
            settings,
            rt.qa,
            client,
            workers=workers,
            socket_mode=not http,
            reindex=_reindexer(rt),
            policy=policy,
        )
    except AccordError as exc:
        raise fail(exc) from exc
    service.metrics = rt.qa.metrics
    service.app = app
    if http:
        assert server is not None
        try:
            threading.Event().wait()
        finally:
            server.shutdown()
            server.server_close()
            rt.close()
        return
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_sdk import WebClient

    web = WebClient(base_url=client.base_url)
    err.print("Accord bot connecting to Slack in Socket Mode")
    try:
        SocketModeHandler(app, settings.slack_app_token, web_client=web).start()
    finally:
        rt.close()


def settings_problems(settings: Any, http: bool) -> list[str]:
    """Every Slack setting the chosen mode lacks or that has the wrong kind of value."""
    out = []
    bot, app = settings.slack_bot_token, settings.slack_app_token
    if not bot:
        out.append(
            "no Slack bot token: set ACCORD_SLACK_BOT_TOKEN (xoxb-..., from the app's "
            "OAuth & Permissions page)"
        )
    elif not bot.startswith("xoxb-"):
        out.append("ACCORD_SLACK_BOT_TOKEN is not a bot token (it should start with xoxb-)")
    if http:
        if not settings.slack_signing_secret:
            out.append(
                "HTTP mode needs the signing secret: set ACCORD_SLACK_SIGNING_SECRET "
                "(the app's Basic Information page)"
            )
    elif not app:
        out.append(
            "Socket Mode needs an app-level token: set ACCORD_SLACK_APP_TOKEN "
            "(xapp-..., with connections:write), or run with --http --port N"
        )
    elif not app.startswith("xapp-"):
        out.append("ACCORD_SLACK_APP_TOKEN is not an app-level token (it should start with xapp-)")
    return out


def _indexed_documents(settings: Any) -> int:
    if not settings.has_manifest:
        return 0
    from accord.runtime import Runtime

    rt = Runtime(settings)
    try:
        return sum(1 for r in rt.manifest.records().values() if r.status == "done")
    finally:
        rt.close()


def readiness(rt: Runtime, allow_empty: bool = False) -> list[str]:
    """Why the bot is not ready to answer ([] when it is): the index loaded and marked by the
    rules in force, the vector store reachable, the question encoder loaded."""
    from accord.errors import AccordError

    reasons = []
    try:
        rt.qa._require_index()
    except AccordError as exc:
        if not (allow_empty and exc.code == "empty_index"):
            reasons.append(exc.message)
    try:
        rt.store().count()
    except Exception as exc:
        reasons.append(f"vector store unreachable: {type(exc).__name__}: {exc}")
    if rt._query_embedder is None:
        reasons.append("the question encoder is not loaded yet")
    return reasons


def check_slack(client: WebClient) -> str | None:
    """``auth.test`` with the bot token: None when Slack accepts it, else one line saying what
    to fix (the trace goes to the log at debug level)."""
    import logging

    from slack_sdk.errors import SlackApiError

    log = logging.getLogger("bot.cli")
    sdk_log = logging.getLogger("slack_sdk")
    level = sdk_log.level
    sdk_log.setLevel(logging.CRITICAL)  # the one line below says it; the SDK's own error too
    saved = list(client.retry_handlers)
    client.retry_handlers.clear()  # one attempt: a start-up check should answer at once
    timeout, client.timeout = client.timeout, 5
    try:
        client.auth_test()
        return None
    except SlackApiError as exc:
        log.debug("auth.test failed", exc_info=True)
        error = exc.response.get("error") if exc.response is not None else None
        return (
            f"Slack refused the bot token ({error}): check ACCORD_SLACK_BOT_TOKEN "
            "(xoxb-..., from the app's OAuth & Permissions page)"
        )
    except Exception as exc:
        log.debug("auth.test failed", exc_info=True)
        return (
            f"cannot reach Slack's Web API at {client.base_url} ({type(exc).__name__}): "
            "check the network, a proxy, or ACCORD_SLACK_API_URL"
        )
    finally:
        client.retry_handlers.extend(saved)
        client.timeout = timeout
        sdk_log.setLevel(level)


def _reindexer(rt: Runtime) -> Any:
    """Sync the index with a folder and record the run, as ``accord ingest`` does."""

    def reindex(folder: Path) -> Any:
        started = time.time()
        result = rt.syncer().run(folder)
        rt.ensure_query_export()
        rt.manifest.record_run(
            started,
            str(folder.resolve()),
            rt.model_name,
            result.summary(),
            [f.as_dict() for f in result.failed],
        )
        return result

    return reindex


@feedback_app.command("export")
def export(
    fmt: str = typer.Option("jsonl", "--format", help="jsonl or csv."),
    out: OutFile = None,
    data_dir: DataDir = None,
) -> None:
    """Write every feedback click with its question, answer and citations.

    Example: accord feedback export --format csv --out feedback.csv
    """
    from accord.cli_common import err, load_settings, write_export
    from bot.feedback import DB_NAME, FeedbackStore

    settings = load_settings(data_dir=data_dir)
    if fmt not in ("jsonl", "csv"):
        err.print(f"[red]error:[/red] unknown format {fmt!r}: use jsonl or csv")
        raise typer.Exit(2)
    if not settings.state_exists(DB_NAME):
        err.print(f"[red]error:[/red] no feedback in {settings.data_dir} yet")
        raise typer.Exit(2)
    store = FeedbackStore(settings.state_db(DB_NAME))
    try:
        n = write_export(out, lambda fh: store.export(fh, fmt))
    finally:
        store.close()
    err.print(f"{n} feedback rows written" + (f" to {out}" if out else ""))


def register(app: typer.Typer) -> None:
    """Add ``bot`` and ``feedback`` to the ``accord`` command."""
    app.command("bot")(bot)
    app.add_typer(feedback_app, name="feedback")
