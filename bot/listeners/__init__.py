"""The bot's listeners, one concept a module: messages (mentions, DMs, thread follow-ups),
commands (``/accord`` and ``/accord reindex``) and actions (feedback and share buttons).

Every listener acknowledges inline and does its work in a lazy function on a worker thread.
"""

from __future__ import annotations

from slack_bolt import App

from bot.deps import BotDeps
from bot.listeners import actions, commands, messages


def register_all(app: App, deps: BotDeps) -> None:
    """Attach every listener to ``app``."""
    messages.register(app, deps)
    commands.register(app, deps)
    actions.register(app, deps)
