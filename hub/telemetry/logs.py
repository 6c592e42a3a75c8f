"""Log lines: JSON objects (one a line, for a log shipper) or readable text, each with a UTC
timestamp; and the access line every request ends with.

No log line carries a personal value: a person's ID, name, mobile, or what a query asked or
answered. The access line names the request, never the people it was about; errors are logged by
their type and path; SQL statements' parameters are never rendered into messages (`hub.data.db`
creates its engines with `hide_parameters`); and at `debug` the libraries that would write values
(aiosqlite's statements, uvicorn's WebSocket frames) stay at info. A test sends a load through a
served hub and searches everything it logged for the demo people's IDs, names and mobiles.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from collections.abc import Mapping
from typing import Any, Literal

import orjson

ACCESS = logging.getLogger("rabt.access")
FIELDS = "fields"
"""The `extra` key whose mapping a formatter writes as the line's own fields."""

LogFormat = Literal["json", "text"]

# LogRecord's own attributes (and uvicorn's coloured copy of its message): anything else came through `extra`.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName", "color_message"}


def _timestamp(record: logging.LogRecord) -> str:
    moment = dt.datetime.fromtimestamp(record.created, dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields = dict(getattr(record, FIELDS, None) or {})
    for name, value in record.__dict__.items():
        if name not in _STANDARD and name != FIELDS and not name.startswith("_"):
            fields.setdefault(name, value)
    return fields


class JsonFormatter(logging.Formatter):
    """`{"time": …, "level": …, "logger": …, "message": …, "pid": …, <fields>…}`; an exception as its type
    and formatted traceback in `error`."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        line.update(_fields(record))
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


class TextFormatter(logging.Formatter):
    """`2026-12-05T02:10:00.123Z INFO rabt.access: message key=value …` for a person at a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{name}={value}" for name, value in _fields(record).items() if value is not None)
        line = f"{_timestamp(record)} {record.levelname} {record.name}: {record.getMessage()}"
        if fields:
            line = f"{line} {fields}"
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        return line


def configure(log_format: LogFormat, level: str | int = "INFO") -> None:
    """Every log line of the process (the hub's, uvicorn's, the libraries') goes to stderr in
    `log_format`. Called once at start by the command line and by each uvicorn worker."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    # uvicorn's loggers keep their own handlers unless told otherwise: hand them to the root's.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    # Alembic says at INFO each plugin and context it sets up; what moved, the commands print themselves.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # At debug, aiosqlite writes every statement with its values (IDs, names, password hashes) and
    # uvicorn every WebSocket frame (a token, a notice): neither goes below info.
    for name in ("aiosqlite", "uvicorn.error"):
        logging.getLogger(name).setLevel(max(logging.INFO, root.level))
    # OpenTelemetry warns of each malformed `tracestate` member with the member's text: a caller's
    # words in every log it reaches. The member is dropped either way.
    logging.getLogger("opentelemetry.trace.span").setLevel(logging.ERROR)


def access(message: str, fields: Mapping[str, Any]) -> None:
    """The one line a request ends with (`hub.web.observed`)."""
    if ACCESS.isEnabledFor(logging.INFO):
        ACCESS.info(message, extra={FIELDS: fields})
