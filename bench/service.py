"""How does the generated service's /livez compare with a bare FastAPI app?

Starts both in one run, each as its own process under the same uvicorn settings
(one worker, httptools and uvloop from uvicorn[standard], access log on, bound to
0.0.0.0, stdout to a file): the generated service (minimal variant, so no backing
service is involved) through its real entry point `python -m <package> web`, with
JSON access logs and request ids; the bare app is one route returning
{"status": "ok"}, logging uvicorn's default text lines.

Load generator: wrk (Debian package `wrk`), one thread, on loopback only. Both apps
are loaded alternately, round after round, each round a fixed number of seconds:
the run is bounded in time, and so in requests. Then each app is started several
times from nothing, and the time from process start to its first 200 is taken.

Start-to-ready varies from start to start on a shared machine, so the apps are started
alternately, many times (--starts, 25 by default), and the ratio is also taken per
pair of neighbouring starts: the median of those ratios, and their interquartile range
as the spread, show whether the figure would hold in another run.

Throughput moves from round to round here too, so it is also taken per round (service /
bare of the same round): the median of those ratios and their interquartile range.

Prints requests/s, p50 and p99 latency, their ratio, and start-to-ready times, each
ratio beside its budget: throughput ratio >= 0.90; start-to-ready <= 1.20 x the bare
app's. Asserts nothing.

    uv run python bench/service.py [--rounds 9] [--seconds 3] [--connections 16]
                                   [--starts 25] [--project PATH]
"""

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.generate import (  # noqa: E402
    copier_copy,
    expose_pyenv_interpreters,
    install_as_the_image_does,
)
from tests.variants import MINIMAL  # noqa: E402

SHUTDOWN_TIMEOUT_SECONDS = 20
THROUGHPUT_BUDGET = 0.90  # service / bare requests per second, at least
START_BUDGET = 1.20  # service / bare start-to-ready, at most
FORWARDED_ALLOW_IPS = "127.0.0.1,::1"

# The bare app gets exactly the uvicorn arguments the service's `serve()` passes,
# except log_config: uvicorn's default logging, so its access log is on too.
BARE_APP = f'''
import os

import uvicorn
from fastapi import FastAPI

app = FastAPI()


@app.get("/")
async def ok():
    return {{"status": "ok"}}


uvicorn.run(
    app,
    host="0.0.0.0",
    port=int(os.environ["PORT"]),
    lifespan="on",
    timeout_graceful_shutdown={SHUTDOWN_TIMEOUT_SECONDS},
    proxy_headers=True,
    forwarded_allow_ips="{FORWARDED_ALLOW_IPS}",
    server_header=False,
)
'''


@dataclass
class App:
    name: str
    command: list[str]
    path: str
    env: dict[str, str]
    log: Path


@dataclass
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers_200(port: int, path: str) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        connection.request("GET", path)
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def start(app: App, port: int) -> tuple[subprocess.Popen, float]:
    """Start the app; return the process and the seconds from start to its first 200."""
    with app.log.open("a") as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            app.command, env=app.env | {"PORT": str(port)}, stdout=log, stderr=log
        )
    while not answers_200(port, app.path):
        if process.poll() is not None:
            sys.exit(f"{app.name} exited with {process.returncode}; see {app.log}")
        if time.perf_counter() - started > 30:
            process.kill()
            sys.exit(f"{app.name} did not answer within 30 s; see {app.log}")
        time.sleep(0.005)
    return process, time.perf_counter() - started


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=SHUTDOWN_TIMEOUT_SECONDS + 5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def milliseconds(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def wrk(port: int, path: str, seconds: int, connections: int, script: Path | None = None) -> Load:
    """Load `path` for `seconds`; a Lua `script` sets another method or a body."""
    lua = ["--script", str(script)] if script else []
    output = subprocess.run(
        [
            "wrk",
            "--threads", "1",
            "--connections", str(connections),
            "--duration", f"{seconds}s",
            "--latency",
            *lua,
            f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", output)
    if errors:
        print(f"  warning: wrk reported {errors.group(0)}")
    return Load(
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]),
        p50_ms=milliseconds(re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)[1]),
        p99_ms=milliseconds(re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)[1]),
    )


def spread(ratios: list[float]) -> str:
    """The median of per-pair ratios and their interquartile range: does the figure hold?"""
    quartiles = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
    return f"{quartiles[1]:.2f}, interquartile range {quartiles[0]:.2f}-{quartiles[2]:.2f}"


def generated_project(workdir: Path) -> Path:
    """Render the minimal variant from this working tree and install it."""
    expose_pyenv_interpreters()
    project = copier_copy(MINIMAL, workdir / "service")
    install_as_the_image_does(project)
    return project


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9, help="load rounds per app")
    parser.add_argument("--seconds", type=int, default=3, help="length of each load round")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--starts", type=int, default=25, help="cold starts per app")
    parser.add_argument("--project", type=Path, help="a generated minimal service to use")
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")

    with tempfile.TemporaryDirectory(prefix="bench-service-") as tmp:
        workdir = Path(tmp)
        project = options.project or generated_project(workdir)
        python = str(project / ".venv" / "bin" / "python")
        package = next(path.name for path in (project / "src").iterdir() if path.is_dir())
        (workdir / "bare.py").write_text(BARE_APP)
        env = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
        apps = [
            App("bare", [python, str(workdir / "bare.py")], "/", env, workdir / "bare.log"),
            App(
                "service",
                [python, "-m", package, "web"],
                "/livez",
                env
                | {
                    "LOG_FORMAT": "json",
                    "LOG_LEVEL": "INFO",
                    "SHUTDOWN_TIMEOUT_SECONDS": str(SHUTDOWN_TIMEOUT_SECONDS),
                    "FORWARDED_ALLOW_IPS": FORWARDED_ALLOW_IPS,
                },
                workdir / "service.log",
            ),
        ]
        uvicorn_version = subprocess.run(
            [python, "-c", "import uvicorn; print(uvicorn.__version__)"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        print(
            f"generated service ({project}) GET /livez vs bare FastAPI GET /; uvicorn "
            f"{uvicorn_version}, one worker each; wrk: 1 thread, {options.connections} "
            f"connections, {options.rounds} rounds x {options.seconds} s per app, alternating"
        )

        # Throughput and latency: both servers up, loaded in turn.
        loads: dict[str, list[Load]] = {app.name: [] for app in apps}
        running = [(app, free_port()) for app in apps]
        processes = [start(app, port)[0] for app, port in running]
        try:
            for app, port in running:  # warm-up, not counted
                wrk(port, app.path, 1, options.connections)
            for round_number in range(options.rounds):
                order = running if round_number % 2 == 0 else running[::-1]
                for app, port in order:
                    load = wrk(port, app.path, options.seconds, options.connections)
                    loads[app.name].append(load)
                    print(
                        f"  round {round_number + 1} {app.name:8} {load.requests_per_second:9.0f}"
                        f" req/s  p50 {load.p50_ms:6.2f} ms  p99 {load.p99_ms:6.2f} ms"
                    )
        finally:
            for process in processes:
                stop(process)

        # Start-to-ready: from process start to the first 200, each app in turn, after
        # one start each that is not counted (it leaves every module's bytecode cached).
        ready: dict[str, list[float]] = {app.name: [] for app in apps}
        for app in apps:
            stop(start(app, free_port())[0])
        for number in range(options.starts):
            for app in apps if number % 2 == 0 else apps[::-1]:
                process, seconds = start(app, free_port())
                ready[app.name].append(seconds)
                stop(process)

        service_lines = (workdir / "service.log").read_text().splitlines()
        access_lines = sum(json.loads(line)["logger"].endswith(".access") for line in service_lines)

    def median(values: list[float]) -> float:
        return statistics.median(values)

    rows = {
        name: (
            median([load.requests_per_second for load in loads[name]]),
            median([load.p50_ms for load in loads[name]]),
            median([load.p99_ms for load in loads[name]]),
            median(ready[name]) * 1000,
        )
        for name in ("bare", "service")
    }
    print()
    print(f"{'':24}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'start-to-ready ms':>20}")
    for name, label in (("bare", "bare GET /"), ("service", "service GET /livez")):
        rps, p50, p99, start_ms = rows[name]
        print(f"{label:24}{rps:10.0f}{p50:10.2f}{p99:10.2f}{start_ms:20.0f}")
    bare, service = rows["bare"], rows["service"]
    print(
        f"{'service / bare':24}{service[0] / bare[0]:10.2f}{service[1] / bare[1]:10.2f}"
        f"{service[2] / bare[2]:10.2f}{service[3] / bare[3]:20.2f}"
    )
    load_pairs = sorted(
        service.requests_per_second / bare.requests_per_second
        for service, bare in zip(loads["service"], loads["bare"], strict=True)
    )
    print(
        f"throughput, service / bare per round: median {spread(load_pairs)} "
        f"over {len(load_pairs)} rounds"
    )
    pairs = sorted(
        service / bare for service, bare in zip(ready["service"], ready["bare"], strict=True)
    )
    throughput = service[0] / bare[0]
    start_ratio = service[3] / bare[3]
    print(
        f"start-to-ready, service / bare per pair of starts: median {spread(pairs)} "
        f"over {len(pairs)} pairs"
    )
    print(
        f"throughput service / bare {throughput:.2f} (budget >= {THROUGHPUT_BUDGET:.2f}: "
        f"{'within' if throughput >= THROUGHPUT_BUDGET else 'OVER'}); start-to-ready "
        f"{start_ratio:.2f} (budget <= {START_BUDGET:.2f}: "
        f"{'within' if start_ratio <= START_BUDGET else 'OVER'})"
    )
    print(
        f"(medians over {options.rounds} rounds and {options.starts} starts per app, "
        f"alternating; {access_lines} JSON access lines written by the service)"
    )


if __name__ == "__main__":
    main()
