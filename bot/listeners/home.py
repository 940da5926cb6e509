"""The App Home tab: published (``views.publish``) each time an officer opens it, for that
officer's own audience (the one a private ``/accord`` answer uses), so the counts are of the
documents they may read. Admins (``ACCORD_ADMIN_USERS``, as for ``/accord reindex``) also see
the whole index's size and the last 30 days' answers and feedback.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from slack_bolt import App

from accord.access.overview import Catalogue
from bot.deps import BotDeps
from bot.home_view import FEEDBACK_DAYS, home_view

if TYPE_CHECKING:
    from slack_sdk import WebClient


log = logging.getLogger(__name__)


def register(app: App, deps: BotDeps) -> None:
    """Attach the ``app_home_opened`` listener to ``app``."""
    catalogue = Catalogue(getattr(deps.qa, "documents", None), deps.settings.rules())

    def ack_home(ack: Any) -> None:
        ack()

    def publish(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab") not in (None, "home"):
            return  # the Messages tab: nothing to publish
        publish_home(deps, catalogue, client, event.get("user"))

    app.event("app_home_opened")(ack=ack_home, lazy=[publish])


def publish_home(deps: BotDeps, catalogue: Catalogue, client: WebClient, user: str | None) -> None:
    """Publish ``user``'s Home tab. Never raises (the trace goes to the log)."""
    if not user:
        return
    try:
        audience = deps.audiences.reading(user, private=True).audience
        feedback = None
        if deps.is_admin(user):
            feedback = deps.feedback.recent_counts(time.time() - FEEDBACK_DAYS * 86400)
        view = home_view(
            catalogue.overview(audience, top_titles=0), audience, deps.settings.rules(), feedback
        )
        client.views_publish(user_id=user, view=view)
    except Exception:
        log.exception("could not publish the Home tab of %s", user)
