# /// script
# requires-python = ">=3.10"
# dependencies = []
# ///
"""Preflight for the workshop: is this machine ready for docs/workshop.md?

Run it in the clone of the template repository, before step 0 (a facilitator runs it the
day before, with --pull, on a machine like the participants'):

    uv run workshop/preflight.py

It checks the tools (git, curl, uv, the Python the service needs, the package index), Docker
and compose v2, the images the guide uses (or the *_IMAGE overrides that point at a mirror),
the ports the guide's processes listen on, and the backing services the local steps use.
Every problem is one line in English and one in Korean, each saying how to fix it. The exit
status is 0 when nothing needs fixing, 1 otherwise.

It lives in the template repository, not in the generated service, because a class runs it
before it has generated anything. It needs only the Python standard library, so
`python3 workshop/preflight.py` works too.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

TEMPLATE_ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = TEMPLATE_ROOT / "template" / "compose.yaml"
QUESTIONS_FILE = TEMPLATE_ROOT / "copier.yml"
# The one image the guide starts that compose.yaml does not name: a collector with a UI.
JAEGER = ("JAEGER_IMAGE", "jaegertracing/jaeger:2.15.0")
# Ports the guide's own processes listen on: compose's web, local web processes, Jaeger.
GUIDE_PORTS = {
    8000: "compose's web (WEB_PORT) and `web` from .env (PORT)",
    8001: "a second local `web` (PORT=8001)",
    8002: "a third local `web` (PORT=8002)",
    4318: "Jaeger's OTLP receiver",
    16686: "Jaeger's UI",
}
DATABASE = "my_service"  # the workshop's service is my-service: .env names this database
TIMEOUT_SECONDS = 3
COMMAND_TIMEOUT_SECONDS = 30


@dataclass
class Problem:
    check: str
    english: str
    korean: str


@dataclass
class Outcome:
    passed: list[str]
    problems: list[Problem]


Check = Callable[["Options"], Iterator["Problem | str"]]


@dataclass
class Options:
    ports: list[int]
    postgres: tuple[str, int]
    redis: tuple[str, int]
    rabbitmq: tuple[str, int]
    database: str
    python: str
    pull: bool


# --- helpers ---------------------------------------------------------------------------


def run(*command: str) -> subprocess.CompletedProcess | None:
    """Run a command; None when it cannot be started at all."""
    try:
        return subprocess.run(
            command, capture_output=True, text=True, check=False, timeout=COMMAND_TIMEOUT_SECONDS
        )
    except (OSError, subprocess.TimeoutExpired):
        return None


def first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else ""


def default_python() -> str:
    """The service's Python: the default answer of `python_version` in copier.yml."""
    text = QUESTIONS_FILE.read_text(encoding="utf-8")
    block = text.split("\npython_version:", 1)[1]
    return re.search(r'default:\s*"?([\d.]+)"?', block)[1]


def guide_images(python: str) -> list[tuple[str, str]]:
    """(override variable, default image) for every image the guide pulls or builds from.

    Read from the template's compose.yaml, so a new pin there is checked here too.
    """
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    text = text.replace("{{ cookiecutter.python_version }}", python)
    images = re.findall(r"\$\{(\w+_IMAGE):-([^}]+)\}", text)
    unique = list(dict.fromkeys(images))
    return [*unique, JAEGER]


def host_port(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    return host or "127.0.0.1", int(port)


def receive(connection: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def talk(address: tuple[str, int], payload: bytes, size: int) -> bytes | None:
    """Send `payload`, read up to `size` bytes; None when nothing listens there."""
    try:
        with socket.create_connection(address, timeout=TIMEOUT_SECONDS) as connection:
            connection.sendall(payload)
            return receive(connection, size)
    except OSError as error:  # refused, timed out, reset
        if isinstance(error, ConnectionRefusedError) or not is_listening(address):
            return None
        return b""


def is_listening(address: tuple[str, int]) -> bool:
    try:
        socket.create_connection(address, timeout=TIMEOUT_SECONDS).close()
        return True
    except OSError:
        return False


# --- checks ----------------------------------------------------------------------------


def check_tools(options: Options) -> Iterator[Problem | str]:
    for tool, english, korean in (
        ("git", "install git (https://git-scm.com)", "git을 설치하세요 (https://git-scm.com)"),
        ("curl", "install curl (https://curl.se)", "curl을 설치하세요 (https://curl.se)"),
    ):
        if shutil.which(tool):
            yield f"{tool}: {shutil.which(tool)}"
        else:
            yield Problem("tools", f"{tool} not found: {english}", f"{tool}: 없습니다. {korean}")


def check_python(options: Options) -> Iterator[Problem | str]:
    uv = shutil.which("uv")
    if uv is None:
        yield Problem(
            "python",
            "uv not found: install it (https://docs.astral.sh/uv/getting-started/installation/)",
            "uv: 없습니다. 설치하세요 (https://docs.astral.sh/uv/getting-started/installation/)",
        )
        return
    version = run(uv, "--version")
    yield f"uv: {first_line(version.stdout) if version else uv}"
    found = run(uv, "python", "find", options.python)
    if found is None or found.returncode != 0:
        yield Problem(
            "python",
            f"uv finds no Python {options.python}, which the service runs on: "
            f"run `uv python install {options.python}` (or install it with your OS or pyenv)",
            f"uv가 서비스용 Python({options.python})을 찾지 못합니다: "
            f"`uv python install {options.python}` 실행 (또는 OS나 pyenv로 설치)",
        )
    else:
        yield f"Python {options.python}: {first_line(found.stdout)}"


def package_index() -> str:
    for name in ("UV_DEFAULT_INDEX", "UV_INDEX_URL", "PIP_INDEX_URL"):
        if os.environ.get(name):
            return os.environ[name]
    return "https://pypi.org/simple/"


def check_index(options: Options) -> Iterator[Problem | str]:
    """`uv sync` and `docker compose build` install from the package index."""
    index = package_index().rstrip("/") + "/"
    try:
        with urllib.request.urlopen(index, timeout=TIMEOUT_SECONDS * 2):
            pass
    except urllib.error.HTTPError:
        pass  # it answered
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        yield Problem(
            "index",
            f"the package index {index} does not answer ({reason}): `uv sync` and "
            "`docker compose build` need it; fix the network or proxy, or set UV_DEFAULT_INDEX "
            "to a mirror",
            f"패키지 인덱스 {index}: 응답이 없습니다 ({reason}): `uv sync`와 "
            "`docker compose build`에 필요합니다. 네트워크나 프록시를 고치거나, "
            "UV_DEFAULT_INDEX를 미러 주소로 지정하세요",
        )
        return
    yield f"package index: {index}"


def docker_ready() -> Problem | str:
    docker = shutil.which("docker")
    if docker is None:
        return Problem(
            "docker",
            "docker not found: install Docker (https://docs.docker.com/engine/install/), or "
            "follow step 0's path for services installed on this machine",
            "docker: 없습니다. Docker를 설치하거나(https://docs.docker.com/engine/install/), "
            "0단계의 '직접 설치한 서비스' 경로를 따르세요",
        )
    info = run(docker, "info", "--format", "{{.ServerVersion}}")
    if info is None or info.returncode != 0:
        detail = first_line(info.stderr) if info else "no answer"
        if "permission denied" in detail.lower():
            return Problem(
                "docker",
                f"the Docker daemon refuses you ({detail}): add yourself to the `docker` group "
                "(`sudo usermod -aG docker $USER`, then log in again)",
                f"Docker 데몬이 접근을 거부합니다 ({detail}): `docker` 그룹에 추가하세요 "
                "(`sudo usermod -aG docker $USER` 후 다시 로그인)",
            )
        return Problem(
            "docker",
            f"the Docker daemon does not answer ({detail}): start Docker Desktop, or "
            "`sudo systemctl start docker`",
            f"Docker 데몬이 응답하지 않습니다 ({detail}): Docker Desktop을 켜거나 "
            "`sudo systemctl start docker`를 실행하세요",
        )
    return f"docker: Docker {info.stdout.strip()}"


def check_docker(options: Options) -> Iterator[Problem | str]:
    ready = docker_ready()
    yield ready
    if isinstance(ready, Problem):
        return
    compose = run("docker", "compose", "version")
    text = (compose.stdout + compose.stderr) if compose else ""
    if compose is not None and compose.returncode == 0 and re.search(r"\bv?[2-9]\.\d+", text):
        yield f"compose: {first_line(compose.stdout)}"
        return
    legacy = shutil.which("docker-compose")
    also = (
        " (docker-compose 1.x is installed, but `docker compose` with a space is what the guide "
        "types, and without the plugin it fails with misleading errors)"
        if legacy
        else ""
    )
    also_ko = (
        " (docker-compose 1.x는 있지만, 가이드는 띄어 쓴 `docker compose`를 쓰며 플러그인이 "
        "없으면 엉뚱한 오류가 납니다)"
        if legacy
        else ""
    )
    yield Problem(
        "compose",
        f"`docker compose` (compose v2) is missing{also}: install the compose plugin "
        "(Docker Desktop has it; Debian/Ubuntu: `sudo apt install docker-compose-v2` or "
        "`docker-compose-plugin`)",
        f"`docker compose`(compose v2)가 없습니다{also_ko}: compose 플러그인을 설치하세요 "
        "(Docker Desktop에는 들어 있습니다. Debian/Ubuntu: `sudo apt install "
        "docker-compose-v2` 또는 `docker-compose-plugin`)",
    )


def check_images(options: Options) -> Iterator[Problem | str]:
    ready = docker_ready()
    if isinstance(ready, Problem):
        yield ready  # said once, when the docker check runs too
        return
    for variable, default in guide_images(options.python):
        image = os.environ.get(variable) or default
        chosen = f"{image} (from {variable})" if os.environ.get(variable) else image
        inspected = run("docker", "image", "inspect", image)
        if inspected is not None and inspected.returncode == 0:
            yield f"image: {chosen}"
            continue
        if options.pull:
            pulled = run_pull(image)
            if pulled is None:
                yield f"image: {chosen} (pulled)"
                continue
            reason = f" (pull failed: {pulled})"
            reason_ko = f" (pull 실패: {pulled})"
        else:
            reason = reason_ko = ""
        yield Problem(
            "images",
            f"image {chosen} is not here{reason}: `docker pull {image}`, or set {variable} "
            "to a copy in your mirror (`export "
            f"{variable}=mirror.example/{default}`); `--pull` pulls every missing image",
            f"이미지 {chosen}: 이 컴퓨터에 없습니다{reason_ko}. `docker pull {image}` 실행, 또는 "
            f"{variable}에 미러의 이미지를 지정하세요 (`export "
            f"{variable}=mirror.example/{default}`). `--pull`을 주면 빠진 이미지를 모두 받습니다",
        )


def run_pull(image: str) -> str | None:
    """Pull one image; None when it worked, else the error's first line."""
    try:
        result = subprocess.run(
            ["docker", "pull", image], capture_output=True, text=True, check=False, timeout=900
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return str(error)
    return None if result.returncode == 0 else first_line(result.stderr)


def check_ports(options: Options) -> Iterator[Problem | str]:
    for port in options.ports:
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                probe.bind(("127.0.0.1", port))
        except OSError:
            use = GUIDE_PORTS.get(port, "the guide")
            yield Problem(
                "ports",
                f"port {port} is in use, and the guide needs it for {use}: stop what holds it "
                f"(`lsof -i :{port}`), or use another port in that step (see step 0, Ports)",
                f"포트 {port}: 이미 사용 중입니다. 가이드가 쓰는 포트입니다({use}). 점유한 "
                f"프로세스를 멈추거나(`lsof -i :{port}`), 그 단계에서 다른 포트를 쓰세요 "
                "(0단계의 '포트' 참고)",
            )
        else:
            yield f"port {port}: free"


def postgres_startup(user: str, database: str) -> bytes:
    body = struct.pack("!i", 196608)  # protocol 3.0
    for key, value in (("user", user), ("database", database)):
        body += key.encode() + b"\0" + value.encode() + b"\0"
    body += b"\0"
    return struct.pack("!i", len(body) + 4) + body


def postgres_answer(address: tuple[str, int], database: str) -> str:
    """'ok', 'absent', 'password', 'refused' (nothing listens), or 'foreign'."""
    ssl_request = struct.pack("!ii", 8, 80877103)
    try:
        with socket.create_connection(address, timeout=TIMEOUT_SECONDS) as connection:
            connection.sendall(ssl_request)
            if receive(connection, 1) not in (b"S", b"N"):
                return "foreign"
    except ConnectionRefusedError:
        return "refused"
    except OSError:
        return "refused" if not is_listening(address) else "foreign"
    try:
        with socket.create_connection(address, timeout=TIMEOUT_SECONDS) as connection:
            connection.sendall(postgres_startup("postgres", database))
            # AuthenticationOk comes first; a missing database is an error after it.
            while True:
                kind = receive(connection, 1)
                length = struct.unpack("!i", receive(connection, 4))[0]
                body = receive(connection, length - 4)
                if kind == b"R" and struct.unpack("!i", body[:4])[0] != 0:
                    return "password"
                if kind == b"E":
                    return postgres_error(body)
                if kind == b"Z":  # ready for query: the database is there
                    return "ok"
                if kind not in (b"R", b"S", b"K", b"N"):
                    return "foreign"
    except (OSError, struct.error):
        return "foreign"


def postgres_error(body: bytes) -> str:
    fields = {
        item[:1].decode(): item[1:].decode(errors="replace") for item in body.split(b"\0") if item
    }
    code = fields.get("C", "")
    if code == "3D000":
        return "absent"
    if code.startswith("28"):
        return "password"
    return "ok"  # it is PostgreSQL, and it answers: e.g. too many connections


def nothing_there(name: str, address: tuple[str, int]) -> Problem:
    where = f"{address[0]}:{address[1]}"
    return Problem(
        "services",
        f"nothing answers at {where}: start {name} there (step 0: a container, or the server "
        f"installed on this machine)",
        f"{where}: 응답이 없습니다. 그곳에 {name} 서버를 띄우세요 (0단계: 컨테이너, 또는 "
        "이 컴퓨터에 설치한 서버)",
    )


def something_else(name: str, address: tuple[str, int]) -> Problem:
    where = f"{address[0]}:{address[1]}"
    return Problem(
        "services",
        f"{where} answers, but not as {name}: stop what holds the port, or run {name} on "
        "another port and change its URL in .env (step 0, Ports)",
        f"{where}: 응답은 있지만 {name} 서버가 아닙니다. 포트를 점유한 것을 멈추거나, "
        f"{name} 서버를 다른 포트로 띄우고 .env의 URL을 바꾸세요 (0단계의 '포트' 참고)",
    )


def check_services(options: Options) -> Iterator[Problem | str]:
    address = options.postgres
    answer = postgres_answer(address, options.database)
    where = f"{address[0]}:{address[1]}"
    if answer == "refused":
        yield nothing_there("PostgreSQL", address)
    elif answer == "foreign":
        yield something_else("PostgreSQL", address)
    elif answer == "password":
        yield Problem(
            "services",
            f"PostgreSQL at {where} wants a password from user postgres: allow it without one "
            "for 127.0.0.1 (trust in pg_hba.conf), or put the password in DATABASE_URL in .env",
            f"{where}의 PostgreSQL이 postgres 사용자에게 비밀번호를 요구합니다: 127.0.0.1에서는 "
            "비밀번호 없이 허용하거나(pg_hba.conf의 trust), .env의 DATABASE_URL에 비밀번호를 "
            "넣으세요",
        )
    elif answer == "absent":
        yield Problem(
            "services",
            f"PostgreSQL at {where} has no database {options.database}: "
            f"`createdb -h {address[0]} -p {address[1]} -U postgres {options.database}`",
            f"{where}의 PostgreSQL에 데이터베이스 {options.database}가 없습니다: "
            f"`createdb -h {address[0]} -p {address[1]} -U postgres {options.database}`",
        )
    else:
        yield f"PostgreSQL: {where}, database {options.database}"

    reply = talk(options.redis, b"PING\r\n", 7)
    if reply is None:
        yield nothing_there("Redis", options.redis)
    elif not reply.startswith((b"+PONG", b"-NOAUTH")):
        yield something_else("Redis", options.redis)
    else:
        yield f"Redis: {options.redis[0]}:{options.redis[1]}"

    reply = talk(options.rabbitmq, b"AMQP\x00\x00\x09\x01", 8)
    if reply is None:
        yield nothing_there("RabbitMQ", options.rabbitmq)
    elif not (reply.startswith(b"AMQP") or reply[:1] == b"\x01"):
        yield something_else("RabbitMQ", options.rabbitmq)
    else:
        yield f"RabbitMQ: {options.rabbitmq[0]}:{options.rabbitmq[1]}"


CHECKS: dict[str, Check] = {
    "tools": check_tools,
    "python": check_python,
    "index": check_index,
    "docker": check_docker,
    "images": check_images,
    "ports": check_ports,
    "services": check_services,
}


def preflight(options: Options, only: list[str]) -> Outcome:
    outcome = Outcome([], [])
    for name in only:
        for result in CHECKS[name](options):
            if isinstance(result, Problem):
                if result not in outcome.problems:
                    outcome.problems.append(result)
            else:
                outcome.passed.append(result)
    return outcome


def parse(argv: list[str]) -> tuple[Options, list[str], bool]:
    parser = argparse.ArgumentParser(
        prog="workshop/preflight.py",
        description="Check this machine for the workshop (docs/workshop.md); "
        "워크숍 준비 상태를 점검합니다.",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=list(CHECKS),
        help="run only this check (repeatable); default: all",
    )
    parser.add_argument("--pull", action="store_true", help="pull the images that are missing")
    parser.add_argument("--quiet", action="store_true", help="print only the problems")
    parser.add_argument(
        "--ports",
        default=",".join(map(str, GUIDE_PORTS)),
        help="ports that must be free, comma-separated (default: the guide's)",
    )
    parser.add_argument("--postgres", default="127.0.0.1:5432", type=host_port)
    parser.add_argument("--redis", default="127.0.0.1:6379", type=host_port)
    parser.add_argument("--rabbitmq", default="127.0.0.1:5672", type=host_port)
    parser.add_argument("--database", default=DATABASE)
    parser.add_argument("--python", default=None, help="the service's Python (copier.yml's)")
    args = parser.parse_args(argv)
    options = Options(
        ports=[int(port) for port in args.ports.split(",") if port.strip()],
        postgres=args.postgres,
        redis=args.redis,
        rabbitmq=args.rabbitmq,
        database=args.database,
        python=args.python or default_python(),
        pull=args.pull,
    )
    return options, args.only or list(CHECKS), args.quiet


def main(argv: list[str] | None = None) -> int:
    options, only, quiet = parse(sys.argv[1:] if argv is None else argv)
    outcome = preflight(options, only)
    if not quiet:
        for line in outcome.passed:
            print(f"ok   {line}")
    for problem in outcome.problems:
        print(f"FIX  {problem.english}")
        print(f"수정 {problem.korean}")
    if outcome.problems:
        print(
            f"{len(outcome.problems)} to fix; run this again when done. / "
            f"고칠 것 {len(outcome.problems)}개: 고친 뒤 다시 실행하세요."
        )
        return 1
    print("ready for the workshop / 워크숍 준비 완료")
    return 0


if __name__ == "__main__":
    sys.exit(main())
