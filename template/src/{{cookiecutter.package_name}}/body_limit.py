"""Request bodies over MAX_REQUEST_BODY_BYTES are refused with 413 before they are read whole.

A pure ASGI middleware between the server and the routes: it counts the body as the
app reads it, and raises 413 once the Content-Length announces more than the limit or
the bytes read exceed it, so a route never sees such a body. The answer is an error
like any other (errors.py): JSON with the request id.
"""

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the body is larger than {limit} bytes")


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        announced = Headers(scope=scope).get("content-length", "")
        too_large = announced.isdigit() and int(announced) > self.max_bytes
        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            if too_large:
                raise BodyTooLarge(self.max_bytes)  # before reading any of it
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, receive_within_limit, send)
