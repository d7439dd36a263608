"""Health endpoints: liveness never touches backing services; readiness checks each one.

A Kubernetes liveness failure restarts the pod, so /livez must not fail because a
database is down. /readyz takes the pod out of the load balancer instead, and
comes back by itself when the service does.
"""

from typing import Literal

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from {{ cookiecutter.package_name }}.resources import attached, probe

router = APIRouter(tags=["health"])
log = structlog.get_logger(__name__)


class Alive(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ok", "down"]
    checks: dict[str, Literal["ok", "down"]]
    down: list[str]


@router.get("/livez", summary="The process is alive")
async def livez() -> Alive:
    return Alive()


@router.get(
    "/readyz",
    summary="Every backing service answers",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Not ready: `down` names what is down"}},
)
async def readyz(request: Request) -> JSONResponse:
    resources = attached(request.app)
    timeout = resources.settings.readiness_timeout_seconds
    outcomes = await probe(resources.readiness_checks, timeout)
    down = sorted(name for name, problem in outcomes.items() if problem is not None)
    for name in down:
        log.warning("backing service is down", service=name, problem=outcomes[name])
    body = Readiness(
        status="down" if down else "ok",
        checks={name: "down" if name in down else "ok" for name in outcomes},
        down=down,
    )
    return JSONResponse(body.model_dump(), status_code=503 if down else 200)
