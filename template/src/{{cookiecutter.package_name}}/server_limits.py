"""What a client may send before the service reads it: the web server's own limits.

uvicorn's fast HTTP parser (httptools) takes a request head of any size and waits for
it forever, so one client could hold memory or every connection. This protocol bounds
each request as it arrives, before the app sees it, and answers with a clear status:

- 414 for a request line longer than MAX_URL_BYTES;
- 431 for more than MAX_HEADERS header fields, or more than MAX_HEAD_BYTES of them;
- 408 for a head not complete within HEAD_TIMEOUT_SECONDS of its first byte (or of
  the connection opening), and for a body not complete within BODY_TIMEOUT_SECONDS of
  its head: a slow client holds a connection for a bounded time.

Idle keep-alive connections close after uvicorn's `timeout_keep_alive`. The body's
size is limited by the app (MAX_REQUEST_BODY_BYTES, 413), which reads it as it comes.
"""

import asyncio

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

MAX_URL_BYTES = 8 * 1024
MAX_HEADERS = 100
MAX_HEAD_BYTES = 16 * 1024
HEAD_TIMEOUT_SECONDS = 10.0
BODY_TIMEOUT_SECONDS = 60.0
KEEP_ALIVE_TIMEOUT_SECONDS = 5


class RequestRefused(Exception):
    """Stops the parser; `send_400_response` then answers with the refusal's status."""


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the limits above."""

    max_url_bytes = MAX_URL_BYTES
    max_headers = MAX_HEADERS
    max_head_bytes = MAX_HEAD_BYTES
    head_timeout_seconds = HEAD_TIMEOUT_SECONDS
    body_timeout_seconds = BODY_TIMEOUT_SECONDS

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._refusal: tuple[int, str] | None = None
        self._deadline: asyncio.TimerHandle | None = None
        self._begin_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        super().connection_lost(exc)

    # --- the parser's callbacks, each counted before uvicorn's own ---

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._begin_head()

    def on_url(self, url: bytes) -> None:
        self._url_bytes += len(url)
        if self._url_bytes > self.max_url_bytes:
            self._refuse(414, f"the request line is longer than {self.max_url_bytes} bytes")
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        # httptools may hand over a field in pieces: count bytes, and fields by their names.
        self._head_bytes += len(name) + len(value)
        if name:
            self._header_count += 1
        if self._header_count > self.max_headers:
            self._refuse(431, f"more than {self.max_headers} header fields")
        if self._head_bytes > self.max_head_bytes:
            self._refuse(431, f"the header fields are longer than {self.max_head_bytes} bytes")
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._set_deadline(self.body_timeout_seconds, "the request body did not arrive in time")

    def on_message_complete(self) -> None:
        self._cancel_deadline()
        super().on_message_complete()

    # --- refusing ---

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a request the parser rejects; ours when we stopped it."""
        if self._refusal is None:
            super().send_400_response(msg)
            return
        status, reason = self._refusal
        content = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        body = reason.encode("ascii")
        content.extend(
            [
                b"content-type: text/plain; charset=utf-8\r\n",
                b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
                b"connection: close\r\n",
                b"\r\n",
                body,
            ]
        )
        self.transport.write(b"".join(content))
        self.transport.close()

    def _refuse(self, status: int, reason: str) -> None:
        self._refusal = (status, reason)
        raise RequestRefused(reason)  # uvicorn then calls send_400_response

    def _begin_head(self) -> None:
        self._url_bytes = self._head_bytes = self._header_count = 0
        self._set_deadline(self.head_timeout_seconds, "the request head did not arrive in time")

    def _set_deadline(self, seconds: float, reason: str) -> None:
        self._cancel_deadline()
        self._deadline = self.loop.call_later(seconds, self._too_slow, reason)

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self, reason: str) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        self.logger.info("closing a connection: %s", reason)
        cycle = self.cycle
        if cycle is not None and cycle.response_started and not cycle.response_complete:
            self.transport.close()  # too late for a status: the app answers already
            return
        self._refusal = (408, reason)
        self.send_400_response(reason)


# For uvicorn.run(): the protocol above, and how long an idle keep-alive connection stays.
UVICORN_OPTIONS = {
    "http": BoundedHttpToolsProtocol,
    "timeout_keep_alive": KEEP_ALIVE_TIMEOUT_SECONDS,
}
