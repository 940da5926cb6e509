"""Generated answers through LangChain chat models, with every citation checked.

``build_answerer(settings, llm=None)`` returns the LLMAnswerer the QA pipeline calls when
``settings.llm_provider`` is not "none". ``llm`` is a ready LangChain chat model (tests and entry
points that share one model pass it in); without it the provider's model is built from settings
(see :mod:`accord.answer.llm.providers`). The citation check lives in
:mod:`accord.answer.llm.citecheck`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from accord.answer.llm.answerer import LLMAnswerer
from accord.settings import Settings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel


__all__ = ["LLMAnswerer", "build_answerer"]


def build_answerer(settings: Settings, llm: BaseChatModel | None = None) -> LLMAnswerer:
    """The LLM answerer for ``settings``.

    Raises ConfigError (saying what to install or set) when the provider's integration or model
    is missing. An unreachable server is not an error here: answers fall back at question time.
    """
    if llm is None:
        from accord.answer.llm.providers import build_chat_model

        llm = build_chat_model(settings)
    return LLMAnswerer(
        llm, timeout_s=settings.llm_timeout_s, serialize=settings.llm_provider == "llamacpp"
    )
