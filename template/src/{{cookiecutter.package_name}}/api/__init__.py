"""The service's own HTTP API: one module per resource, each with its `router`.

A module added here is served as it is: `routers()` finds every module of this package
that has a `router`, so no other file lists them. Name the module after its resource,
give its router a `prefix` ("/v1/widgets") and `responses=API_RESPONSES`, and protect
each route with `auth.requires("<resource>:<read|write>")`.
"""

import importlib
import pkgutil
from typing import Any

from fastapi import APIRouter

from {{ cookiecutter.package_name }} import components
from {{ cookiecutter.package_name }}.auth import AUTH_ERROR_RESPONSES
from {{ cookiecutter.package_name }}.errors import ERROR_RESPONSES

# The answers every API route can give besides its own (the components' too, such as the
# rate limiter's 429): documented in the OpenAPI schema.
API_RESPONSES: dict[int | str, dict[str, Any]] = {
    **AUTH_ERROR_RESPONSES,
    **ERROR_RESPONSES,
    **{
        status: answer
        for component in components.providing("API_RESPONSES")
        for status, answer in component.API_RESPONSES.items()
    },
}


def routers() -> list[APIRouter]:
    """The router of every module in this package, in module name order."""
    found = []
    for module in sorted(info.name for info in pkgutil.iter_modules(__path__)):
        router = getattr(importlib.import_module(f"{__name__}.{module}"), "router", None)
        if isinstance(router, APIRouter):
            found.append(router)
    return found
