"""Logs are an event stream: one JSON object per line on stdout (factor XI).

structlog renders our own events, and its ProcessorFormatter renders every record
of the standard library too (uvicorn's startup, access and error logs, and any
library's), so every line has one shape: timestamp (UTC, ISO 8601), level, logger,
message, request_id, and the traceback as the `exception` field. The process never
routes or stores its logs: the platform collects stdout.
"""

import logging
import sys
from typing import Literal, TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

LogFormat = Literal["json", "console"]

# Loggers that bring their own handlers; they log through ours instead.
SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


def _ensure_request_id(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    # Every line carries the field, so log queries need no special case for startup lines.
    event_dict.setdefault("request_id", None)
    return event_dict


def _stdlib_fields(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """Tidy a standard-library record; give uvicorn's access lines fields to query."""
    event_dict["event"] = event_dict["event"].rstrip()  # "Exception in ASGI application\n"
    args = event_dict.pop("positional_args", ())
    if event_dict.get("logger") == "uvicorn.access" and len(args) == 5:
        client, method, path, http_version, status = args
        event_dict.update(
            client=client, method=method, path=path, http_version=http_version, status=status
        )
    return event_dict


SHARED_PROCESSORS: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    _ensure_request_id,
]


def _renderers(fmt: LogFormat, stream: TextIO) -> list[Processor]:
    if fmt == "console":
        return [structlog.dev.ConsoleRenderer(colors=stream.isatty())]
    return [
        structlog.processors.format_exc_info,  # exc_info -> "exception": the traceback text
        structlog.processors.EventRenamer("message"),
        structlog.processors.JSONRenderer(),
    ]


def configure_logging(
    level: str = "INFO", fmt: LogFormat = "json", stream: TextIO | None = None
) -> None:
    """Route every logger to one stream (stdout by default). Safe to call more than once."""
    stream = stream or sys.stdout
    # StreamHandler flushes after every record: nothing waits in a buffer when the
    # process dies, even when stdout is a pipe.
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*SHARED_PROCESSORS, _stdlib_fields],
            pass_foreign_args=True,  # for _stdlib_fields
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *_renderers(fmt, stream),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for name in SERVER_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    logging.captureWarnings(True)  # warnings become log lines too, not stray stderr text

    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *SHARED_PROCESSORS,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
