"""Logs are an event stream: one JSON object per line on stdout (factor XI).

Two routes, one shape. The service's own events (structlog.get_logger) go straight
from structlog to the stream: that is the per-request path, and it costs a third of
going through the standard library. Records of the standard library (uvicorn's
startup, shutdown and error lines, and any library's) go through a logging handler
whose structlog ProcessorFormatter renders them the same way. Every line has:
timestamp (UTC, ISO 8601), level, logger, message, request_id, and a traceback as the
`exception` field. The process never routes or stores its logs: the platform reads stdout.
"""

import logging
import sys
from typing import Literal, TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from {{ cookiecutter.package_name }} import components

LogFormat = Literal["json", "console"]

# Loggers that bring their own handlers; they log through ours instead.
SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


class _NamedWriteLogger(structlog.WriteLogger):
    """Writes and flushes one line per event, and knows its logger's name."""

    def __init__(self, file: TextIO, name: str | None) -> None:
        super().__init__(file)
        self.name = name


class _NamedWriteLoggerFactory:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def __call__(self, *args: object) -> _NamedWriteLogger:
        # structlog.get_logger(__name__) passes the name here.
        return _NamedWriteLogger(self.stream, str(args[0]) if args else None)


def _ensure_request_id(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    # Every line carries the field, so log queries need no special case for startup lines.
    event_dict.setdefault("request_id", None)
    return event_dict


def _tidy_stdlib_message(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    event_dict["event"] = event_dict["event"].rstrip()  # "Exception in ASGI application\n"
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
    """Send every log line to one stream (stdout by default). Safe to call again."""
    stream = stream or sys.stdout
    renderers = _renderers(fmt, stream)
    # Every line's fields: the shared ones, then the components' (trace ids, for instance).
    shared = [*SHARED_PROCESSORS]
    for component in components.providing("log_processors"):
        shared += component.log_processors()

    # The standard library's records. StreamHandler flushes after every record, so
    # nothing waits in a buffer when the process dies, even when stdout is a pipe.
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, _tidy_stdlib_message],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderers],
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

    # The service's own events.
    structlog.configure(
        processors=[*shared, *renderers],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level]),
        logger_factory=_NamedWriteLoggerFactory(stream),
        # Looked up on every call (as cheap as caching, measured): loggers made at
        # import time follow the configuration in force, even when it changes.
        cache_logger_on_first_use=False,
    )
