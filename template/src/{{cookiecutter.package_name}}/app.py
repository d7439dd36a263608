"""The web process: `create_app()` wires routes, middleware and backing services."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI

from {{ cookiecutter.package_name }} import health
from {{ cookiecutter.package_name }}.errors import install_error_handlers
from {{ cookiecutter.package_name }}.request_id import RequestIdMiddleware
from {{ cookiecutter.package_name }}.settings import Settings, load_settings

log = structlog.get_logger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Backing services attach here, by URL from settings (factor IV), and close
        # after the last in-flight request has finished.
        app.state.readiness_checks = {}
        log.info("service started", port=settings.port)
        yield
        log.info("service stopped")

    app = FastAPI(
        title="{{ cookiecutter.project_name }}",
        description="{{ cookiecutter.description }}",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.add_middleware(RequestIdMiddleware)
    install_error_handlers(app)
    app.include_router(health.router)
    return app
