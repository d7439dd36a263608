"""Every error is a JSON body carrying the request id, so a client's report leads to the logs.

ERROR_RESPONSES documents, in one place, the errors any API route can answer with; the
options add theirs (auth: 401, 403, 503; the rate limiter: 429) through
api.API_RESPONSES. The server itself refuses some requests before the app sees them
(server_limits.py: 408, 414, 431), with plain-text bodies.
"""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.routing import Match


class Problem(BaseModel):
    detail: str
    request_id: str


class ValidationProblem(BaseModel):
    detail: list[dict[str, Any]]
    request_id: str


# Documents the error bodies in the OpenAPI schema; routers pass it as `responses=`.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "The body is not JSON, not UTF-8, or nests too deeply"},
    413: {"model": Problem, "description": "The body is larger than MAX_REQUEST_BODY_BYTES"},
    422: {"model": ValidationProblem, "description": "The request is malformed"},
    500: {"model": Problem, "description": "The service failed; the logs have the traceback"},
}

# What FastAPI says when the body cannot be decoded at all; the cause says more.
_UNPARSABLE_BODY = "There was an error parsing the body"


def _request_id(request: Request) -> str | None:
    return request.scope.get("state", {}).get("request_id")


def _why_unparsable(error: BaseException | None) -> str:
    if isinstance(error, UnicodeDecodeError):
        return "the body is not UTF-8"
    if isinstance(error, RecursionError):
        return "the body's JSON nests too deeply"
    return "the body is not valid JSON"


# The methods a 405's Allow header may name: those HTTP APIs use.
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path.

    Starlette answers 405 from the first route whose path matches, so its Allow header
    names only that route's methods, although GET and POST of a path are two routes.
    So each method is tried against every route instead.
    """
    return [
        method
        for method in METHODS
        if any(
            route.matches(request.scope | {"method": method})[0] is Match.FULL
            for route in request.app.router.routes
        )
    ]


async def http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)  # noqa: S101 - registered for HTTPException only
    detail, headers = error.detail, dict(error.headers or {})
    if error.status_code == 400 and detail == _UNPARSABLE_BODY:
        detail = _why_unparsable(error.__cause__)
    if error.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request))
    return JSONResponse(
        {"detail": detail, "request_id": _request_id(request)},
        status_code=error.status_code,
        headers=headers or None,
    )


async def validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)  # noqa: S101 - registered for it only
    try:
        detail = jsonable_encoder(error.errors())
    except RecursionError:  # an input nested too deeply to echo (3.14's parser takes it)
        detail = jsonable_encoder([{**e, "input": None} for e in error.errors()])
    return JSONResponse({"detail": detail, "request_id": _request_id(request)}, status_code=422)


async def unhandled_error(request: Request, _: Exception) -> JSONResponse:
    # Starlette answers from its outermost layer, outside RequestIdMiddleware, and then
    # re-raises so the server logs the traceback once (as JSON, with the request id).
    # So this handler does not log, and sets the header itself.
    request_id = _request_id(request)
    return JSONResponse(
        {"detail": "Internal Server Error", "request_id": request_id},
        status_code=500,
        headers={"X-Request-ID": request_id} if request_id else None,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, unhandled_error)
