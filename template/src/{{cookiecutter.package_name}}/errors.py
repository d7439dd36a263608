"""Every error is a JSON body carrying the request id, so a client report can be traced to logs."""

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

log = structlog.get_logger(__name__)


def _request_id(request: Request) -> str | None:
    return request.scope.get("state", {}).get("request_id")


async def http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)  # noqa: S101 - registered for HTTPException only
    return JSONResponse(
        {"detail": error.detail, "request_id": _request_id(request)},
        status_code=error.status_code,
        headers=error.headers,
    )


async def validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)  # noqa: S101 - registered for it only
    return JSONResponse(
        {"detail": error.errors(), "request_id": _request_id(request)}, status_code=422
    )


async def unhandled_error(request: Request, error: Exception) -> JSONResponse:
    log.error("unhandled error", path=request.url.path, exc_info=error)
    return JSONResponse(
        {"detail": "Internal Server Error", "request_id": _request_id(request)}, status_code=500
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, unhandled_error)
