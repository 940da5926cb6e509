"""The bot's listeners, one concept a module: messages (mentions, DMs, thread follow-ups),
commands (``/accord`` and ``/accord reindex``), actions (feedback and share buttons), the
assistant container (``assistant``), the App Home tab (``home``), shortcuts ("Ask Accord about
this") and uploads (files an admin sends the bot in a DM).

Every listener acknowledges inline and does its work in a lazy function on a worker thread.
"""

from __future__ import annotations

from slack_bolt import App

from bot.deps import BotDeps
from bot.listeners import actions, assistant, commands, home, messages, shortcuts, uploads


def register_all(app: App, deps: BotDeps) -> None:
    """Attach every listener to ``app``."""
    assistant.register(app, deps)  # a middleware: assistant threads never reach messages
    home.register(app, deps)
    uploads.register(app, deps)  # before messages: a DM carrying files is an upload
    messages.register(app, deps)
    commands.register(app, deps)
    actions.register(app, deps)
    shortcuts.register(app, deps)
