"""Backing services are attached resources (factor IV): opened from settings, checked, closed.

The web process (app.py's lifespan), `check` and `shell` all attach them here, so every
process type talks to the same services in the same way. Each component (components/)
opens its own clients; this module only gathers them.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import structlog
from starlette.applications import Starlette

from {{ cookiecutter.package_name }} import components
from {{ cookiecutter.package_name }}.settings import Settings

# Answers (returns) when its service is reachable, raises when it is not.
Check = Callable[[], Awaitable[object]]

log = structlog.get_logger(__name__)


@dataclass
class Resources:
    """The settings, the clients this process attached (one per type), and their checks."""

    settings: Settings
    readiness_checks: dict[str, Check] = field(default_factory=dict)
    clients: dict[type, Any] = field(default_factory=dict)

    def provide(self, client: object) -> None:
        """Register a client; `get(type(client))` returns it."""
        self.clients[type(client)] = client

    def get[T](self, kind: type[T]) -> T:
        """The attached client of this type."""
        return self.clients[kind]


@asynccontextmanager
async def open_resources(settings: Settings) -> AsyncIterator[Resources]:
    """Attach every backing service named in settings; detach them all on the way out.

    Attaching never waits for a service to answer, so the process starts and stays
    live while one is down: readiness reports it until it is back.
    """
    resources = Resources(settings)
    try:
        async with AsyncExitStack() as stack:
            for component in components.providing("attach"):
                await component.attach(settings, resources, stack)
            if resources.readiness_checks:
                log.info("backing services attached", services=sorted(resources.readiness_checks))
            yield resources
    finally:
        if resources.readiness_checks:
            log.info("backing services detached")


def attached(app: Starlette) -> Resources:
    """What the web app's lifespan attached: the one way code reaches clients and settings."""
    return app.state.resources


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
