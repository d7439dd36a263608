"""Health endpoints: liveness never touches backing services; readiness checks each one.

A Kubernetes liveness failure restarts the pod, so /livez must not fail because a
database is down. /readyz takes the pod out of the load balancer instead, and
comes back by itself when the service does.
"""

import asyncio
from collections.abc import Awaitable, Callable

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

Check = Callable[[], Awaitable[object]]

router = APIRouter(tags=["health"])
log = structlog.get_logger(__name__)


@router.get("/livez", summary="The process is alive")
async def livez() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Every backing service answers",
    responses={503: {"description": "Not ready: the body names what is down"}},
)
async def readyz(request: Request) -> JSONResponse:
    checks: dict[str, Check] = request.app.state.readiness_checks
    timeout: float = request.app.state.settings.readiness_timeout_seconds
    names = list(checks)
    results = await asyncio.gather(
        *(asyncio.wait_for(checks[name](), timeout) for name in names), return_exceptions=True
    )
    status = {
        name: "ok" if not isinstance(result, BaseException) else "down"
        for name, result in zip(names, results, strict=True)
    }
    down = sorted(name for name, state in status.items() if state == "down")
    for name in down:
        log.warning("backing service is down", service=name)
    body = {"status": "down" if down else "ok", "checks": status, "down": down}
    return JSONResponse(body, status_code=503 if down else 200)
