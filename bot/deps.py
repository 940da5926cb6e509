"""What the listeners share: settings, the QA pipeline, the bot's stores, the re-index hook.

Built once by :func:`bot.app.build_app` and handed to each listener module's ``register``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accord.settings import Settings
from bot.audience import AudienceResolver
from bot.dedupe import Claims
from bot.feedback import FeedbackStore

if TYPE_CHECKING:
    from accord.qa import QA


# Given the documents folder, syncs the index with it and returns a result with .summary().
Reindex = Callable[[Path], Any]


@dataclass
class BotDeps:
    settings: Settings
    qa: QA  # has .answer(question, history=..., audience=..., origin=...) -> Answer
    feedback: FeedbackStore
    claims: Claims
    audiences: AudienceResolver
    docs_dir: Path | None = None
    reindex: Reindex | None = None
    reindex_lock: threading.Lock = field(default_factory=threading.Lock)

    def is_admin(self, user_id: str | None) -> bool:
        return bool(user_id) and user_id in self.settings.admin_user_ids
