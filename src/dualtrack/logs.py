"""Structured JSON logs on stderr, configured by the edges (never at import).

Log records carry identifiers and counts, never request bodies, query strings, secrets or
personal data; a filter also masks anything that looks like an API key or HKID as a last guard.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

_MASKS = [
    re.compile(r"dt_[0-9a-f]{12}_[A-Za-z0-9_\-]{20,}"),  # API keys
    re.compile(r"\b[A-Z]{1,2}[0-9]{6}\s?\(?[0-9A]\)?"),  # HKID-like
    re.compile(r"(?i)(password|secret|token|key)=\S+"),
]


def scrub(text: str) -> str:
    for pattern in _MASKS:
        text = pattern.sub("[redacted]", text)
    return text


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        body = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        for key in ("method", "route", "status", "duration_ms", "actor"):
            value = getattr(record, key, None)
            if value is not None:
                body[key] = value
        return json.dumps(body, ensure_ascii=False)


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
