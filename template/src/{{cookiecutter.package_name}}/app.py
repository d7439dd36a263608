"""The web process: `create_app()` wires routes, middleware and backing services."""

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from {{ cookiecutter.package_name }} import health{% if cookiecutter.telemetry == 'yes' %}, metrics, telemetry{% endif %}
from {{ cookiecutter.package_name }}.api import {% if cookiecutter.worker == 'celery' %}jobs, {% endif %}{% if cookiecutter.database == 'postgres' %}notes, {% endif %}slugs
{% if cookiecutter.auth == 'jwt' %}from {{ cookiecutter.package_name }}.auth import AUTH_ERROR_RESPONSES, TokenVerifier
{% endif %}from {{ cookiecutter.package_name }}.errors import install_error_handlers
{% if cookiecutter.cache == 'redis' %}from {{ cookiecutter.package_name }}.rate_limit import RateLimitMiddleware
{% endif %}from {{ cookiecutter.package_name }}.request_id import RequestIdMiddleware
from {{ cookiecutter.package_name }}.resources import open_resources
from {{ cookiecutter.package_name }}.settings import Settings

TITLE = "{{ cookiecutter.project_name | replace('\\', '\\\\') | replace('"', '\\x22') }}"
DESCRIPTION = "{{ cookiecutter.description | replace('\\', '\\\\') | replace('"', '\\x22') }}"
VERSION = "0.1.0"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Attach backing services before the first request; detach them after the last one.

    On SIGTERM the server stops accepting connections and lets in-flight requests
    finish before this resumes, so pools close only once nothing uses them.
    """
    async with open_resources(app.state.settings) as resources:
        app.state.resources = resources
        yield


def create_app(settings: Settings) -> FastAPI:
    app = FastAPI(
        title=TITLE,
        description=DESCRIPTION,
        version=VERSION,
        lifespan=lifespan,
        # operationId is the function's name: stable, and what generated clients call.
        generate_unique_id_function=lambda route: route.name,
{%- if cookiecutter.telemetry == 'yes' %}
        # A span per request while tracing is on: FastAPI's own OpenTelemetry support.
        telemetry=telemetry.request_tracing(settings),
{%- endif %}
    )
    app.state.settings = settings
    # Pure ASGI middleware: the `@app.middleware("http")` form costs much more throughput.
{% if cookiecutter.cache == 'redis' %}    # Added first, so it runs inside RequestIdMiddleware: a 429 carries the request id.
    app.add_middleware(RateLimitMiddleware, settings=settings)
{% endif %}    app.add_middleware(RequestIdMiddleware)
{% if cookiecutter.telemetry == 'yes' %}    app.add_middleware(metrics.MetricsMiddleware)
{% endif %}    install_error_handlers(app)
{% if cookiecutter.auth == 'jwt' %}    # Checks the bearer token of every route that requires a scope (auth.py).
    app.state.token_verifier = TokenVerifier(settings)
{% endif %}    app.include_router(health.router)
{% if cookiecutter.telemetry == 'yes' %}    app.include_router(metrics.router)
{% endif %}{% if cookiecutter.auth == 'jwt' %}    # Each API route requires a scope (see api/); these are the answers without one.
{% endif %}    app.include_router(slugs.router{% if cookiecutter.auth == 'jwt' %}, responses=AUTH_ERROR_RESPONSES{% endif %})
{% if cookiecutter.database == 'postgres' %}    app.include_router(notes.router{% if cookiecutter.auth == 'jwt' %}, responses=AUTH_ERROR_RESPONSES{% endif %})
{% endif %}{% if cookiecutter.worker == 'celery' %}    app.include_router(jobs.router{% if cookiecutter.auth == 'jwt' %}, responses=AUTH_ERROR_RESPONSES{% endif %})
{% endif %}{% if cookiecutter.telemetry == 'yes' and (cookiecutter.database == 'postgres' or cookiecutter.cache == 'redis' or cookiecutter.worker == 'celery') %}    telemetry.keep_probes_untraced(app, settings)
{% endif %}    return app


def openapi_document(app: FastAPI) -> str:
    """The app's OpenAPI schema, written the way openapi.json is committed."""
    return json.dumps(app.openapi(), indent=2, ensure_ascii=False) + "\n"
