"""Which model the LLM parser talks to, and the limits of each request.

The model is any pydantic-ai model string (``openai-chat:gpt-4o-mini``,
``anthropic:claude-sonnet-4-5``, ``ollama:qwen3:8b``) or, with a base URL, a model served
by an OpenAI-compatible server on a private deployment (vLLM, Ollama, llama.cpp, a
gateway): ``--base-url http://gpu-box:8000/v1 --model Qwen/Qwen3-8B``. Its key comes
from the environment variable named by ``api_key_env`` (default ``SIGNOFF_LLM_API_KEY``),
never from the command line.

Settings come from the command line, else the environment:

==========================  =============================================
``SIGNOFF_LLM_MODEL``       the model string
``SIGNOFF_LLM_BASE_URL``    an OpenAI-compatible endpoint
``SIGNOFF_LLM_API_KEY_ENV`` the variable holding the endpoint's key
``SIGNOFF_LLM_TIMEOUT``     seconds for one request (default 30)
``SIGNOFF_LLM_MAX_TOKENS``  tokens (in + out) for one request (default 8000)
``SIGNOFF_LLM_RETRIES``     times the model is sent back to fix its output (default 2)
==========================  =============================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from foundation.errors import UsageError
from foundation.secrets import register_secret

if TYPE_CHECKING:
    from pydantic_ai.models import Model

DEFAULT_KEY_ENV = "SIGNOFF_LLM_API_KEY"
_COMPATIBLE_PREFIXES = ("openai-chat:", "openai:", "ollama:", "vllm:", "openai-compatible:")


@dataclass(frozen=True)
class LLMSettings:
    """What the LLM parser needs to reach a model, and its per-request limits."""

    model: str | None = None
    base_url: str | None = None
    api_key_env: str = DEFAULT_KEY_ENV
    timeout: float = 30.0
    """Seconds for one request to the provider, and (x retries) for a whole parse."""
    max_tokens: int = 8000
    """Input plus output tokens for one parse, retries included."""
    retries: int = 2
    """How often the model is sent back with the reason its output was refused."""
    http_retries: int = 1
    """How often the provider's client repeats a failed HTTP request (429, 5xx)."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> LLMSettings:
        """Settings from ``SIGNOFF_LLM_*``; ``overrides`` that are not ``None`` win."""
        env = os.environ if environ is None else environ

        def number(name: str, default: float, kind: type[float] | type[int]) -> Any:
            raw = env.get(name, "").strip()
            if not raw:
                return default
            try:
                value = kind(raw)
            except ValueError:
                raise UsageError(
                    f"{name}={raw!r} is not a number", hint=f"unset {name} or give a number"
                ) from None
            if value < 0 or (value == 0 and name != "SIGNOFF_LLM_RETRIES"):
                raise UsageError(f"{name}={raw!r} must be positive", hint=f"unset {name}")
            return value

        settings = cls(
            model=env.get("SIGNOFF_LLM_MODEL", "").strip() or None,
            base_url=env.get("SIGNOFF_LLM_BASE_URL", "").strip() or None,
            api_key_env=env.get("SIGNOFF_LLM_API_KEY_ENV", "").strip() or DEFAULT_KEY_ENV,
            timeout=float(number("SIGNOFF_LLM_TIMEOUT", 30.0, float)),
            max_tokens=int(number("SIGNOFF_LLM_MAX_TOKENS", 8000, int)),
            retries=int(number("SIGNOFF_LLM_RETRIES", 2, int)),
        )
        given = {key: value for key, value in overrides.items() if value is not None}
        return replace(settings, **given) if given else settings

    @property
    def label(self) -> str:
        """The model as recorded in the ledger: its string, and the endpoint if private."""
        name = self.model or "(none)"
        return f"{name} @ {self.base_url}" if self.base_url else name

    def api_key(self) -> str | None:
        key = os.environ.get(self.api_key_env, "").strip() or None
        register_secret(key, self.api_key_env)
        return key


def open_model(settings: LLMSettings) -> tuple[Model, Any]:
    """The model and, for a base URL, the HTTP client made for it (the caller closes it)."""
    if settings.base_url and settings.model:
        from pydantic_ai.models import create_async_httpx2_client

        client = create_async_httpx2_client()
        try:
            return build_model(settings, http_client=client), client
        except BaseException:
            import asyncio

            asyncio.run(client.aclose())
            raise
    return build_model(settings), None


def build_model(settings: LLMSettings, *, http_client: Any = None) -> Model:
    """The pydantic-ai model for ``settings``; a usage error if it cannot be built.

    ``http_client`` (an ``httpx2.AsyncClient``) is used for an OpenAI-compatible base URL;
    tests pass one with a mock transport.
    """
    if not settings.model:
        raise UsageError(
            "the LLM parser needs a model",
            hint="give --model (e.g. openai-chat:gpt-4o-mini, ollama:qwen3:8b) "
            "or set SIGNOFF_LLM_MODEL",
        )
    if settings.base_url:
        return _compatible_model(settings, http_client)
    from pydantic_ai.exceptions import UserError
    from pydantic_ai.models import infer_model

    try:
        return infer_model(settings.model)
    except ImportError as exc:
        provider = settings.model.split(":", 1)[0]
        raise UsageError(
            f"the model {settings.model!r} needs an optional package: {exc}",
            hint=f"pip install 'pydantic-ai-slim[{provider}]' (or use an OpenAI-compatible "
            "--base-url)",
        ) from None
    except UserError as exc:
        raise UsageError(
            f"cannot use the model {settings.model!r}: {exc}",
            hint="check the model string and the provider's key in the environment",
        ) from None


def _compatible_model(settings: LLMSettings, http_client: Any) -> Model:
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    assert settings.model is not None
    assert settings.base_url is not None
    name = settings.model
    for prefix in _COMPATIBLE_PREFIXES:
        if name.startswith(prefix):
            name = name[len(prefix) :]
            break
    if not settings.base_url.startswith(("http://", "https://")):
        raise UsageError(
            f"--base-url {settings.base_url!r} is not an http(s) URL",
            hint="for example http://127.0.0.1:11434/v1 (Ollama) "
            "or http://127.0.0.1:8000/v1 (vLLM)",
        )
    provider = OpenAIProvider(
        base_url=settings.base_url,
        # a local server needs no key; the OpenAI client insists on a non-empty one
        api_key=settings.api_key() or "no-key",
        http_client=http_client,
    )
    return OpenAIChatModel(name, provider=provider)
