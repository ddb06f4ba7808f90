"""Adapter: any OpenAI-compatible ``/v1/chat/completions`` endpoint, over httpx.

Kept outside ``service.py``/``domain.py`` (which must not import httpx). Every failure,
timeouts included, becomes ``ChatEndpointError`` with a message that holds no secret, so
the service can fall back to the extractive answerer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from dualtrack.research.errors import ChatEndpointError


class OpenAICompatibleChat:
    """A ``ChatModel`` for an endpoint configured by base URL, model name and API key."""

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout_s: float = 20.0,
        temperature: float = 0.0,
        max_tokens: int = 512,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._url = base_url.rstrip("/") + "/chat/completions"
        self._model = model
        self._temperature = temperature
        self._max_tokens = max_tokens
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(
            headers=headers, timeout=httpx.Timeout(timeout_s), transport=transport
        )
        self._timeout_s = timeout_s

    @property
    def model_id(self) -> str:
        return self._model

    def complete(self, messages: Sequence[tuple[str, str]]) -> str:
        body: dict[str, Any] = {
            "model": self._model,
            "messages": [{"role": r, "content": c} for r, c in messages],
            "temperature": self._temperature,
            "max_tokens": self._max_tokens,
        }
        try:
            resp = self._client.post(self._url, json=body)
        except httpx.TimeoutException as exc:
            raise ChatEndpointError(
                f"chat endpoint timed out after {self._timeout_s:g} s", reason="timeout"
            ) from exc
        except httpx.HTTPError as exc:
            raise ChatEndpointError("chat endpoint unreachable", reason="transport") from exc
        if resp.status_code != 200:
            raise ChatEndpointError(
                f"chat endpoint answered HTTP {resp.status_code}", reason="http-status"
            )
        try:
            content = resp.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise ChatEndpointError("chat endpoint reply is malformed", reason="malformed") from exc
        if not isinstance(content, str):
            raise ChatEndpointError("chat endpoint reply has no text", reason="malformed")
        return content

    def close(self) -> None:
        self._client.close()


__all__ = ["OpenAICompatibleChat"]
