"""Backing services are attached resources (factor IV): opened from settings, checked, closed.

The web process (app.py's lifespan), `check` and `shell` all attach them here, so
every process type talks to the same services in the same way.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field

import structlog
{% if cookiecutter.worker == 'celery' %}from celery import Celery
{% endif %}{% if cookiecutter.cache == 'redis' %}from redis.asyncio import Redis
{% endif %}{% if cookiecutter.database == 'postgres' %}from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
{% endif %}
{% if cookiecutter.cache == 'redis' %}from {{ cookiecutter.package_name }}.cache import open_client
{% endif %}{% if cookiecutter.database == 'postgres' %}from {{ cookiecutter.package_name }}.db import open_engine, ping, sessionmaker
{% endif %}from {{ cookiecutter.package_name }}.settings import Settings
{% if cookiecutter.worker == 'celery' %}from {{ cookiecutter.package_name }}.worker import (
    broker_answers,
    open_celery,
    result_backend_answers,
)
{% endif %}
# Answers (returns) when its service is reachable, raises when it is not.
Check = Callable[[], Awaitable[object]]

log = structlog.get_logger(__name__)


@dataclass
class Resources:
    """Clients of the backing services this process attached, and how to reach each one."""

    readiness_checks: dict[str, Check] = field(default_factory=dict)
{% if cookiecutter.database == 'postgres' %}    # PostgreSQL (db.py): a session per request.
    sessions: async_sessionmaker[AsyncSession] = field(init=False)
{% endif %}{% if cookiecutter.cache == 'redis' %}    # Redis (cache.py): one client, shared by every request.
    redis: Redis = field(init=False)
{% endif %}{% if cookiecutter.worker == 'celery' %}    # Celery (worker.py): sends jobs to the broker, reads their state.
    celery: Celery = field(init=False)
{% endif %}

@asynccontextmanager
async def open_resources(settings: Settings) -> AsyncIterator[Resources]:
    """Attach every backing service named in settings; detach them all on the way out.

    Attaching never waits for a service to answer, so the process starts and stays
    live while one is down: readiness reports it until it is back.
    """
    resources = Resources()
    async with AsyncExitStack() as stack:
        # Runs last: the stack closes in reverse order of registration.
        stack.callback(log.info, "backing services detached")
        # Each backing service: create its client, register its readiness check, and
        # push its close onto the stack.
{% if cookiecutter.database == 'postgres' %}        engine = await stack.enter_async_context(open_engine(settings))
        resources.sessions = sessionmaker(engine)
        resources.readiness_checks["database"] = lambda: ping(engine)
{% endif %}{% if cookiecutter.cache == 'redis' %}        resources.redis = await stack.enter_async_context(open_client(settings))
        resources.readiness_checks["redis"] = resources.redis.ping
{% endif %}{% if cookiecutter.worker == 'celery' %}        celery = resources.celery = stack.enter_context(open_celery(settings))
        timeout = settings.readiness_timeout_seconds
        resources.readiness_checks["broker"] = lambda: broker_answers(celery, timeout)
        resources.readiness_checks["result_backend"] = lambda: result_backend_answers(celery)
{% endif %}        log.info("backing services attached", services=sorted(resources.readiness_checks))
        yield resources


async def probe(checks: Mapping[str, Check], limit_seconds: float) -> dict[str, str | None]:
    """Run every check at once, each within `limit_seconds`.

    Maps each name to None when its service answered, else to what went wrong.
    """

    async def outcome(check: Check) -> str | None:
        try:
            await asyncio.wait_for(check(), limit_seconds)
        except TimeoutError:
            return f"no answer within {limit_seconds:g} s"
        except Exception as error:  # any failure means down, whatever the client raises
            return f"{type(error).__name__}: {error}"
        return None

    names = list(checks)
    outcomes = await asyncio.gather(*(outcome(checks[name]) for name in names))
    return dict(zip(names, outcomes, strict=True))
