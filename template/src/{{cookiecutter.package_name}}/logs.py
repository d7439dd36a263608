"""Logs are an event stream: one JSON object per line on stdout (factor XI).

structlog renders our own events, and its ProcessorFormatter renders every record
of the standard library too (uvicorn, celery, sqlalchemy), so all lines share one
shape: timestamp (UTC, ISO 8601), level, logger, message, request_id.
"""

import logging
import sys
from typing import Literal

import structlog
from structlog.typing import EventDict, WrappedLogger

LogFormat = Literal["json", "console"]


def _ensure_request_id(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    # Every line carries the field, so log queries need no special case for startup lines.
    event_dict.setdefault("request_id", None)
    return event_dict


SHARED_PROCESSORS: list[structlog.typing.Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    _ensure_request_id,
]


def configure_logging(level: str = "INFO", fmt: LogFormat = "json") -> None:
    """Route every logger to stdout through one formatter. Safe to call more than once."""
    if fmt == "json":
        final: list[structlog.typing.Processor] = [
            structlog.processors.dict_tracebacks,
            structlog.processors.EventRenamer("message"),
            structlog.processors.JSONRenderer(),
        ]
    else:
        final = [structlog.dev.ConsoleRenderer()]

    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*SHARED_PROCESSORS, structlog.stdlib.ExtraAdder()],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    # Servers and libraries that bring their own handlers log through ours instead.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "celery", "alembic"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True

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
