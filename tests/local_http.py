"""Loopback helpers for the template's own tests: a free port, and a GET that never raises."""

import socket
import urllib.error
import urllib.request


def free_port() -> int:
    """A TCP port nothing listens on now (other work shares this machine: never a fixed one)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str, timeout: float = 5) -> tuple[int, bytes]:
    """Status and body of a GET; (0, b"") while nothing answers there."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return 0, b""
