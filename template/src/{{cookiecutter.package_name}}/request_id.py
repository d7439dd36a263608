"""Request ids and access lines: one pure ASGI middleware around every HTTP request.

It honours a safe incoming X-Request-ID or makes one, echoes it on the response,
binds it to every log line of the request, and writes the request's access line
(method, path, status, duration) when the request ends. Plain ASGI, and one layer
for both jobs: FastAPI's `@app.middleware("http")` form costs far more throughput.
"""

import re
import secrets
import time

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = b"x-request-id"
# Bounded length and charset, so a client cannot inject into log lines or headers.
SAFE_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")
# Control characters a client can smuggle into the path percent-encoded (%0A, %1B).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")

access_log = structlog.get_logger("{{ cookiecutter.package_name }}.access")


def printable(text: str) -> str:
    """`text` with control characters escaped: one log line stays one line, uncoloured."""
    return CONTROL_CHARACTERS.sub(lambda found: f"\\x{ord(found[0]):02x}", text)


def incoming_request_id(scope: Scope) -> str:
    """The client's X-Request-ID when it is safe to log, else a new random one."""
    for name, value in scope["headers"]:
        if name == HEADER and SAFE_REQUEST_ID.fullmatch(value):
            return value.decode("ascii")
    return secrets.token_hex(16)


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = incoming_request_id(scope)
        # Error handlers read it from here: they may answer outside this middleware.
        scope.setdefault("state", {})["request_id"] = request_id
        raw_id = request_id.encode("ascii")
        status = 500  # what the client gets if the app raises before it answers

        async def send_with_request_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (HEADER, raw_id)]
            await send(message)

        # The server runs each request in its own task, so this binding ends with the
        # request. It is reset only on success: when the app raises, the server logs the
        # traceback from this same task, and that line must carry the id too.
        tokens = structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self.app(scope, receive, send_with_request_id)
        finally:
            client = scope.get("client")
            # The path without its query string: queries may carry personal data.
            path = printable(scope["path"])
            access_log.info(
                "%s %s %d",
                scope["method"],
                path,
                status,
                method=scope["method"],
                path=path,
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 3),
                client=f"{client[0]}:{client[1]}" if client else None,
            )
        structlog.contextvars.reset_contextvars(**tokens)
