"""Every error is a JSON body carrying the request id, so a client's report leads to the logs."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException


class Problem(BaseModel):
    detail: str
    request_id: str


class ValidationProblem(BaseModel):
    detail: list[dict[str, Any]]
    request_id: str


# Documents the error bodies in the OpenAPI schema; routers pass it as `responses=`.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {"model": ValidationProblem, "description": "The request is malformed"},
    500: {"model": Problem, "description": "The service failed; the logs have the traceback"},
}


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
        {"detail": jsonable_encoder(error.errors()), "request_id": _request_id(request)},
        status_code=422,
    )


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
