"""Drive an interactive command in a pseudo-terminal, as a person at a keyboard would."""

import fcntl
import os
import pty
import re
import select
import signal
import struct
import termios
import time

CURSOR_POSITION_REQUEST = b"\x1b[6n"
ESCAPES = re.compile(r"\x1b(\[[0-9;?]*[ -/]*[@-~]|\][^\x07]*\x07|[()][0-9A-B]|[=>78])")


class Terminal:
    def __init__(self, cmd: list[str], *, cwd=None, env=None, columns: int = 250) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the command, with the pty as its terminal
            if cwd:
                os.chdir(cwd)
            os.environ.update(env or {})
            os.environ.update(COLUMNS=str(columns), LINES="50")
            os.execvp(cmd[0], cmd)
        # Wide enough that no message wraps.
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
        self.raw = b""
        self.seen = 0  # what expect() has consumed

    @property
    def text(self) -> str:
        """Everything shown so far, without colour and cursor codes."""
        return ESCAPES.sub("", self.raw.decode(errors="replace")).replace("\r", "")

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return True
        try:
            data = os.read(self.fd, 65536)
        except OSError:  # the child closed the terminal
            data = b""
        if not data:
            return False
        if CURSOR_POSITION_REQUEST in data:  # prompt_toolkit asks; a terminal answers
            os.write(self.fd, b"\x1b[1;1R")
        self.raw += data
        return True

    def expect(self, pattern: str, timeout: float = 60) -> str:
        """Wait until `pattern` (a regex) shows after what earlier calls consumed."""
        deadline = time.monotonic() + timeout
        while True:
            found = re.search(pattern, self.text[self.seen :])
            if found:
                self.seen += found.end()
                return found.group(0)
            if time.monotonic() > deadline or not self._read(0.2):
                raise AssertionError(f"{pattern!r} never showed; the terminal had:\n{self.text}")

    def send(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def wait(self, timeout: float = 120) -> int:
        """Read to the end; the exit code."""
        deadline = time.monotonic() + timeout
        while self._read(0.2):
            if time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
                raise AssertionError(f"still running after {timeout} s:\n{self.text}")
        _, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status)
