"""The web process: `create_app()` wires routes, middleware and backing services."""

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files
from typing import Any

from fastapi import FastAPI

from {{ cookiecutter.package_name }} import api, components, health
from {{ cookiecutter.package_name }}.body_limit import BodyLimitMiddleware
from {{ cookiecutter.package_name }}.errors import install_error_handlers
from {{ cookiecutter.package_name }}.request_id import RequestIdMiddleware
from {{ cookiecutter.package_name }}.resources import open_resources
from {{ cookiecutter.package_name }}.settings import Settings

# The name and description the API documents: data, so any text in any language fits.
ABOUT = json.loads(files(__package__).joinpath("about.json").read_text(encoding="utf-8"))
VERSION = "0.1.0"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Attach backing services before the first request; detach them after the last one.

    On SIGTERM the server stops accepting connections and lets in-flight requests
    finish before this resumes, so pools close only once nothing uses them.
    """
    async with open_resources(app.state.settings) as resources:
        app.state.resources = resources  # read through resources.attached(app)
        yield


def create_app(settings: Settings) -> FastAPI:
    options: dict[str, Any] = {}
    for component in components.providing("fastapi_options"):
        options |= component.fastapi_options(settings)
    app = FastAPI(
        title=ABOUT["title"],
        description=ABOUT["description"],
        version=VERSION,
        lifespan=lifespan,
        # operationId is the function's name: stable, and what generated clients call.
        generate_unique_id_function=lambda route: route.name,
        **options,
    )
    app.state.settings = settings
    # Pure ASGI middleware: the `@app.middleware("http")` form costs much more throughput.
    # Components' middleware first, so RequestIdMiddleware wraps it: a 429 carries the id.
    for component in components.providing("install"):
        component.install(app, settings)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_request_body_bytes)
    app.add_middleware(RequestIdMiddleware)
    install_error_handlers(app)
    app.include_router(health.router)
    # Every module of the api package with a `router` (api/__init__.py): add one to serve it.
    for router in api.routers():
        app.include_router(router)
    return app


def openapi_document(app: FastAPI) -> str:
    """The app's OpenAPI schema, written the way openapi.json is committed."""
    return json.dumps(app.openapi(), indent=2, ensure_ascii=False) + "\n"
