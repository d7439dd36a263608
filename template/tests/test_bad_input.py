"""Bad input of every kind gets a clear status, and the app never acts on it.

Over real sockets, against uvicorn running the app with the service's own limits
(server_limits.py) in this process: short timeouts here, so slow clients are quick to
test. The body limit is the app's (MAX_REQUEST_BODY_BYTES).
"""

import io
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn
from support import credentials, free_port

from {{ cookiecutter.package_name }}.app import create_app
from {{ cookiecutter.package_name }}.errors import METHODS
from {{ cookiecutter.package_name }}.logs import configure_logging
from {{ cookiecutter.package_name }}.server_limits import (
    UVICORN_OPTIONS,
    BoundedHttpToolsProtocol,
)
from {{ cookiecutter.package_name }}.settings import Settings

BODY_LIMIT = 64 * 1024


class QuickTimeouts(BoundedHttpToolsProtocol):
    head_timeout_seconds = 0.5
    body_timeout_seconds = 0.5


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def problem(self) -> dict:
        return json.loads(self.body)


@pytest.fixture(scope="module")
def port(environment: dict[str, str], monkeypatch_module: pytest.MonkeyPatch) -> Iterator[int]:
    monkeypatch_module.setenv("MAX_REQUEST_BODY_BYTES", str(BODY_LIMIT))
    port = free_port()
    config = uvicorn.Config(
        create_app(Settings()),
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,  # as the web command runs it: request_id.py writes access lines
        **(UVICORN_OPTIONS | {"http": QuickTimeouts}),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield port
    server.should_exit = True
    thread.join(timeout=30)


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def exchange(port: int, *parts: bytes, pause: float = 0) -> Answer:
    """Send `parts` (waiting `pause` s between them) and read the answer until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        try:
            for part in parts:
                connection.sendall(part)
                time.sleep(pause)
        except ConnectionError:  # broken pipe or reset
            pass  # the server answered early and closed: read what it said
        data = b""
        while b"\r\n\r\n" not in data or len(data) < _length(data):
            chunk = connection.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *fields = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value for name, value in (f.split(": ", 1) for f in fields)}
    return Answer(int(status_line.split()[1]), headers, body)


def _length(data: bytes) -> int:
    head, _, _ = data.partition(b"\r\n\r\n")
    for field in head.split(b"\r\n")[1:]:
        name, _, value = field.partition(b": ")
        if name.lower() == b"content-length":
            return len(head) + 4 + int(value)
    return len(data)


def post_slug(body: bytes, *, extra: bytes = b"", length: int | None = None) -> bytes:
    auth = "".join(f"{name}: {value}\r\n" for name, value in credentials().items())
    return (
        b"POST /v1/slugs HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        + auth.encode()
        + extra
        + b"Content-Length: %d\r\n\r\n" % (len(body) if length is None else length)
        + body
    )


def test_a_well_formed_request_gets_its_answer(port):
    assert exchange(port, post_slug(b'{"text": "Hello"}')).status == 200


def test_a_body_over_the_limit_is_413_before_it_is_sent_whole(port):
    # The head announces more than the limit; the server answers after the first bytes.
    answer = exchange(port, post_slug(b'{"text": "', length=BODY_LIMIT + 1))

    assert answer.status == 413
    assert answer.problem()["request_id"] == answer.headers["x-request-id"]


def test_a_chunked_body_over_the_limit_is_413(port):
    chunk = b'{"text": "' + b"a" * BODY_LIMIT + b'"}'
    head = post_slug(b"", extra=b"Transfer-Encoding: chunked\r\n").replace(
        b"Content-Length: 0\r\n", b""
    )

    answer = exchange(port, head + b"%x\r\n" % len(chunk) + chunk + b"\r\n0\r\n\r\n")

    assert answer.status == 413


def test_deeply_nested_json_is_refused(port):
    # Deeper than the JSON parser recurses (400), or else than the schema allows (422).
    answer = exchange(port, post_slug(b"[" * 30_000 + b"]" * 30_000))

    assert answer.status in {400, 422}
    if answer.status == 400:
        assert answer.problem()["detail"] == "the body's JSON nests too deeply"


def test_a_body_that_is_not_utf_8_is_400(port):
    answer = exchange(port, post_slug(b'{"text": "\xff\xfe"}'))

    assert answer.status == 400
    assert answer.problem()["detail"] == "the body is not UTF-8"


def test_too_many_header_fields_are_431(port):
    fields = b"".join(b"X-Field-%d: 1\r\n" % i for i in range(BoundedHttpToolsProtocol.max_headers))

    assert exchange(port, post_slug(b'{"text": "a"}', extra=fields)).status == 431


def test_header_fields_too_large_are_431(port):
    field = b"X-Large: " + b"a" * BoundedHttpToolsProtocol.max_head_bytes + b"\r\n"

    assert exchange(port, post_slug(b'{"text": "a"}', extra=field)).status == 431


def test_a_request_line_too_long_is_414(port):
    path = b"/livez?" + b"a" * BoundedHttpToolsProtocol.max_url_bytes

    assert exchange(port, b"GET " + path + b" HTTP/1.1\r\nHost: test\r\n\r\n").status == 414


def test_a_client_too_slow_to_send_its_head_is_408(port):
    answer = exchange(port, b"GET /livez HTTP/1.1\r\n", b"Host: test\r\n", pause=1)

    assert answer.status == 408


def test_a_client_too_slow_to_send_its_body_is_408(port):
    answer = exchange(port, post_slug(b'{"text": ', length=13), b'"a"}', pause=1)

    assert answer.status == 408


def test_a_request_id_with_control_characters_never_reaches_the_app(port):
    # The parser refuses control characters in a header value outright.
    for value in (b"id\x1b[31m", b"id\x00", b"id\rX-Injected: 1"):
        request = b"GET /livez HTTP/1.1\r\nHost: test\r\nX-Request-ID: " + value + b"\r\n\r\n"
        assert exchange(port, request).status == 400, value


def test_a_request_id_the_log_cannot_carry_safely_is_replaced(port, captured_logs):
    # Accepted by HTTP (a space, a tab, bytes beyond ASCII), but not by the service.
    sent = b"id with spaces\t\xc3\xa9"
    answer = exchange(
        port, b"GET /livez HTTP/1.1\r\nHost: test\r\nX-Request-ID: " + sent + b"\r\n\r\n"
    )

    assert answer.status == 200
    assert answer.headers["x-request-id"].isalnum()
    assert all(record["request_id"] != sent.decode("latin-1") for record in captured_logs.records())


def test_integers_past_64_bits_in_queries_and_paths_are_422(port):
    with socket.create_connection(("127.0.0.1", port)) as connection:
        connection.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        document = b""
        while chunk := connection.recv(65536):
            document += chunk
    paths = json.loads(document.partition(b"\r\n\r\n")[2])["paths"]
    huge = str(2**64)
    auth = "".join(f"{name}: {value}\r\n" for name, value in credentials().items()).encode()
    checked = 0
    for path, operations in paths.items():
        get = operations.get("get", {})
        for parameter in get.get("parameters", []):
            if parameter["schema"].get("type") != "integer":
                continue
            if parameter["in"] == "path":
                target = path.replace("{" + parameter["name"] + "}", huge)
            else:
                target = f"{path}?{parameter['name']}={huge}"
            request = f"GET {target} HTTP/1.1\r\nHost: test\r\n".encode() + auth + b"\r\n"
            assert exchange(port, request).status == 422, target
            checked += 1
    print(f"{checked} integer parameters checked")


def test_a_method_a_path_does_not_serve_is_405_naming_every_method_it_serves(port):
    document = exchange(
        port, b"GET /openapi.json HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
    )
    for path, operations in json.loads(document.body)["paths"].items():
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        answer = exchange(port, f"TRACE {concrete} HTTP/1.1\r\nHost: test\r\n\r\n".encode())

        assert answer.status == 405, path
        assert answer.headers["allow"].split(", ") == sorted(
            (method.upper() for method in operations), key=METHODS.index
        ), path


def test_an_anonymous_caller_learns_401_before_anything_about_its_body(port):
    if not credentials():
        pytest.skip("the service does not authenticate its callers")
    head = b"POST /v1/slugs HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
    for body in (b"{not json", b'{"text": "\xff"}', b'{"text": ""}'):
        answer = exchange(port, head + b"Content-Length: %d\r\n\r\n" % len(body) + body)

        assert answer.status == 401, body
        assert answer.headers["www-authenticate"].startswith("Bearer"), body


@pytest.mark.parametrize("log_format", ["json", "console"])
def test_control_characters_in_a_path_reach_the_log_escaped(port, log_format):
    stream = io.StringIO()
    configure_logging("INFO", log_format, stream=stream)

    answer = exchange(port, b"GET /v1/%0Aforged%20line%1B[31m HTTP/1.1\r\nHost: test\r\n\r\n")

    assert answer.status in {401, 404}
    # The service's access line (uvicorn's own, percent-encoded, is off in the web command).
    lines = stream.getvalue().splitlines()
    (line,) = [line for line in lines if "forged" in line and "HTTP/1.1" not in line]
    assert "\x1b" not in line
    logged = json.loads(line)["path"] if log_format == "json" else line
    assert "/v1/\\x0aforged line\\x1b[31m" in logged
