"""What does tracing cost the generated service's throughput?

Each scenario starts one generated service (telemetry=yes) three times through its
real entry point `python -m <package> web`, under the same settings, one worker each:

- off: no OTEL_EXPORTER_OTLP_ENDPOINT, so nothing is traced (the metrics middleware
  and the log processor run in all three);
- all: OTEL_EXPORTER_OTLP_ENDPOINT names an OTLP/HTTP sink on loopback and every
  request is traced (the default sampler, parentbased_always_on); spans leave in
  batches from the SDK's background thread over real HTTP/protobuf;
- 10%: the same with OTEL_TRACES_SAMPLER=parentbased_traceidratio and
  OTEL_TRACES_SAMPLER_ARG=0.1, a common production choice: every request pays for
  the sampling decision, one in ten for recording and exporting its spans.

Scenarios:
- slugs: the minimal variant (no backing service), POST /v1/slugs: the cheapest traced
  route, one span per request, so the worst case in proportion;
- notes: a PostgreSQL-only variant, GET /v1/notes (20 notes): a route that waits on its
  database, with spans for the request and the query.
  It needs PostgreSQL at DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/
  postgres); the run makes a database of its own there and drops it at the end.

The sink is a stand-in collector, a process of its own: it accepts POST /v1/traces,
parses each ExportTraceServiceRequest (opentelemetry-proto) to count the spans, and
answers 200. No collector or container is needed.

Load: wrk (Debian package `wrk`), one thread, on loopback. The three are loaded in turn,
round after round, each round a fixed number of seconds: the run is bounded in time, and
so in requests. Prints requests/s, p50 and p99 per configuration, the throughput each
tracing configuration loses against off (goal: at most 25%), the time tracing adds to
each request (one worker: 1/throughput is the time a request holds it), and the spans
the sink received against the spans expected. Asserts nothing.

    uv run python bench/telemetry.py [--scenario slugs|notes|both] [--rounds 3]
                                     [--seconds 4] [--connections 16]
"""

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.service import (  # noqa: E402
    SHUTDOWN_TIMEOUT_SECONDS,
    App,
    Load,
    free_port,
    start,
    stop,
    wrk,
)
from tests.generate import (  # noqa: E402
    copier_copy,
    expose_pyenv_interpreters,
    install_as_the_image_does,
)
from tests.variants import MINIMAL  # noqa: E402

SERVER_URL = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@dataclass
class Scenario:
    name: str
    answers: dict[str, str]
    method: str
    path: str
    body: str | None
    spans_per_request: int  # for the expected count only


SCENARIOS = {
    "slugs": Scenario(
        "slugs", MINIMAL | {"telemetry": "yes"}, "POST", "/v1/slugs", '{"text": "Hello"}', 1
    ),
    # The request's span and the SELECT (the pool checks connections without a query).
    "notes": Scenario(
        "notes",
        MINIMAL | {"telemetry": "yes", "database": "postgres"},
        "GET",
        "/v1/notes",
        None,
        2,
    ),
}

# The stand-in collector, run with the service's interpreter (it has opentelemetry-proto).
SINK = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

REPLY = ExportTraceServiceResponse().SerializeToString()
spans = 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a collector would

    def do_POST(self):
        global spans
        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = ExportTraceServiceRequest.FromString(body)
        spans += sum(len(s.spans) for r in request.resource_spans for s in r.scope_spans)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(REPLY)))
        self.end_headers()
        self.wfile.write(REPLY)

    def do_GET(self):  # the count so far
        body = str(spans).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""


def wrk_script(scenario: Scenario) -> str:
    lines = [f'wrk.method = "{scenario.method}"']
    if scenario.body is not None:
        lines += [
            f"wrk.body = '{scenario.body}'",
            'wrk.headers["Content-Type"] = "application/json"',
        ]
    return "\n".join(lines) + "\n"


def request(port: int, method: str, path: str, body: str | None = None) -> bytes:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        headers = {"Content-Type": "application/json"} if body else {}
        connection.request(method, path, body=body, headers=headers)
        return connection.getresponse().read()
    finally:
        connection.close()


def start_sink(python: str, port: int, log: Path) -> subprocess.Popen:
    with log.open("w") as output:
        sink = subprocess.Popen([python, "-c", SINK, str(port)], stdout=output, stderr=output)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return sink
        except OSError:
            if sink.poll() is not None:
                sys.exit(f"the OTLP sink exited with {sink.returncode}; see {log}")
            time.sleep(0.05)
    sink.kill()
    sys.exit(f"the OTLP sink did not listen within 30 s; see {log}")


def generated_project(scenario: Scenario, workdir: Path) -> Path:
    """Render the scenario's variant from this working tree and install it."""
    project = copier_copy(scenario.answers, workdir / scenario.name)
    install_as_the_image_does(project)
    return project


def postgres(python: str, statement: str) -> None:
    """Run one statement on the server, with the service's own driver."""
    script = (
        "import psycopg, sys; psycopg.connect(sys.argv[1], autocommit=True).execute(sys.argv[2])"
    )
    subprocess.run([python, "-c", script, SERVER_URL, statement], check=True)


def run_scenario(scenario: Scenario, options: argparse.Namespace, workdir: Path) -> None:
    project = generated_project(scenario, workdir)
    python = str(project / ".venv" / "bin" / "python")
    package = next(path.name for path in (project / "src").iterdir() if path.is_dir())
    script = workdir / f"{scenario.name}.lua"
    script.write_text(wrk_script(scenario))
    sink_port = free_port()
    sink = start_sink(python, sink_port, workdir / f"{scenario.name}-sink.log")

    base = {key: value for key, value in os.environ.items() if not key.startswith("OTEL_")}
    base.pop("VIRTUAL_ENV", None)
    base |= {
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
        "SHUTDOWN_TIMEOUT_SECONDS": str(SHUTDOWN_TIMEOUT_SECONDS),
    }
    database = None
    if scenario.answers["database"] == "postgres":
        database = f"bench_telemetry_{uuid.uuid4().hex[:8]}"
        postgres(python, f'CREATE DATABASE "{database}"')
        base["DATABASE_URL"] = SERVER_URL.rsplit("/", 1)[0] + f"/{database}"
        subprocess.run(
            [python, "-m", package, "migrate"], env=base, check=True, capture_output=True
        )

    command = [python, "-m", package, "web"]
    exporting = {"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{sink_port}"}
    one_in_ten = {
        "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
        "OTEL_TRACES_SAMPLER_ARG": "0.1",
    }
    logs = {
        name: workdir / f"{scenario.name}-{name.strip('%')}.log" for name in ("off", "all", "10%")
    }
    apps = [
        App("off", command, "/livez", base, logs["off"]),
        App("all", command, "/livez", base | exporting, logs["all"]),
        App("10%", command, "/livez", base | exporting | one_in_ten, logs["10%"]),
    ]
    print(
        f"\n{scenario.name}: {scenario.method} {scenario.path} on a generated service "
        f"({project}), one worker per configuration; wrk: 1 thread, {options.connections} "
        f"connections, {options.rounds} rounds x {options.seconds} s each, in turn; spans to "
        f"an OTLP/HTTP sink on 127.0.0.1:{sink_port} (a process of its own)"
    )

    loads: dict[str, list[Load]] = {app.name: [] for app in apps}
    running = [(app, free_port()) for app in apps]
    processes = [start(app, port)[0] for app, port in running]
    try:
        if database is not None:  # 20 notes to list, added through the API
            for number in range(20):
                body = json.dumps({"title": f"note {number}", "body": "for the benchmark"})
                request(running[0][1], "POST", "/v1/notes", body)
        for _, port in running:  # warm-up, not counted
            wrk(port, scenario.path, 1, options.connections, script)
        for round_number in range(options.rounds):
            order = running[round_number % 3 :] + running[: round_number % 3]
            for app, port in order:
                load = wrk(port, scenario.path, options.seconds, options.connections, script)
                loads[app.name].append(load)
                print(
                    f"  round {round_number + 1} {app.name:4} {load.requests_per_second:9.0f}"
                    f" req/s  p50 {load.p50_ms:6.2f} ms  p99 {load.p99_ms:6.2f} ms"
                )
    finally:
        for process in processes:
            stop(process)  # SIGTERM: the exporting services flush their last spans
        spans = int(request(sink_port, "GET", "/spans"))
        sink.terminate()
        sink.wait()
        if database is not None:
            postgres(python, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    served = {
        name: sum(
            f'"path": "{scenario.path}"' in line for line in logs[name].read_text().splitlines()
        )
        for name in ("all", "10%")
    }
    rows = {
        name: (
            statistics.median(load.requests_per_second for load in loads[name]),
            statistics.median(load.p50_ms for load in loads[name]),
            statistics.median(load.p99_ms for load in loads[name]),
        )
        for name in ("off", "all", "10%")
    }
    labels = {"off": "tracing off", "all": "every request traced", "10%": "1 in 10 traced"}
    print(f"\n{'':24}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'lost':>10}{'added us':>10}")
    off = rows["off"][0]
    for name, (rps, p50, p99) in rows.items():
        lost = f"{1 - rps / off:.1%}" if name != "off" else ""
        added = f"{(1 / rps - 1 / off) * 1e6:.0f}" if name != "off" else ""
        print(f"{labels[name]:24}{rps:10.0f}{p50:10.2f}{p99:10.2f}{lost:>10}{added:>10}")
    expected = scenario.spans_per_request * (served["all"] + served["10%"] / 10)
    print(
        f"(medians over {options.rounds} rounds; goal: at most 25% lost. Spans at the sink: "
        f"{spans}, about {expected:.0f} expected from {served['all']} + {served['10%']} "
        f"requests served; far fewer would mean the SDK dropped spans, its queue full)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=["slugs", "notes", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=3, help="load rounds per configuration")
    parser.add_argument("--seconds", type=int, default=4, help="length of each load round")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    expose_pyenv_interpreters()
    names = ["slugs", "notes"] if options.scenario == "both" else [options.scenario]
    with tempfile.TemporaryDirectory(prefix="bench-telemetry-") as tmp:
        for name in names:
            run_scenario(SCENARIOS[name], options, Path(tmp))


if __name__ == "__main__":
    main()
