"""Structured JSON logs with the correlation id of the event or request being handled."""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)


class _Correlation:
    """The block of ``correlation``: a plain class, since the inbox enters one per event."""

    __slots__ = ("_token", "_value")

    def __init__(self, value: str | None) -> None:
        self._value = value

    def __enter__(self) -> None:
        self._token = correlation_id.set(self._value)

    def __exit__(self, *_: object) -> None:
        correlation_id.reset(self._token)


def correlation(value: str | None) -> _Correlation:
    """Tag every log line inside the block with a correlation id."""
    return _Correlation(value)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, service, correlation id."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        cid = correlation_id.get()
        if cid:
            line["correlation_id"] = cid
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure(service: str, level: str = "INFO") -> None:
    """Send the process's logs to stderr as JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
