"""How does the generated service's database route compare with bare code doing the same?

Starts, in one run, each as its own process under the same uvicorn settings (one
worker, httptools and uvloop from uvicorn[standard], access log on, bound to 0.0.0.0):

- service: the default variant (PostgreSQL, Redis, Celery, telemetry) through its real
  entry point `python -m <package> web`, JSON access logs, request ids, metrics, its
  pool settings; `GET /v1/notes` lists the 20 newest notes;
- bare ORM: a bare FastAPI app with the same SQLAlchemy ORM query, an async session per
  request from a dependency, the same pydantic response models and query limits, and
  SQLAlchemy's default pool settings (no pre-ping), logging uvicorn's default text lines;
- bare Core: the same app with the same query through SQLAlchemy Core (a Table, no ORM
  session or identity map), so the table shows what the ORM costs.

All three read the same 20 notes from one database of their own, made on the server at
DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/postgres) by the service's
`migrate` command and dropped at the end.

Then, apart from HTTP, the pool itself: one process checks a connection out and runs
`SELECT 1`, thousands of times in a row, with no check on checkout, with the service's
check (db.py's replace_if_closed: reads the socket, no round trip) and with SQLAlchemy's
pool_pre_ping (a round trip per checkout), and prints the CPU and wall time of each.
CPU time per operation holds steady on a busy machine where requests/s do not.

Load: wrk (Debian package `wrk`), one thread, on loopback. The apps are loaded in turn,
round after round (the order rotates), each round a fixed number of seconds. Prints
requests/s, p50 and p99 per app and `service / bare ORM` beside its budget
(>= 0.90). Asserts nothing.

    uv run python bench/database.py [--rounds 5] [--seconds 4] [--connections 16]
                                    [--project PATH] [--compare NAME=PATH ...]

--project uses an installed default-variant service instead of rendering one; each
--compare adds another installed service (an older render, say) to the same rounds.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.service import (  # noqa: E402
    FORWARDED_ALLOW_IPS,
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
from tests.variants import DEFAULT  # noqa: E402

SERVER_URL = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
# The default variant's other backing services: attached at start, not used by the route.
BACKING = {
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "CELERY_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
    "CELERY_RESULT_BACKEND": "redis://127.0.0.1:6379/2",
}
PATH = "/v1/notes"
NOTES = 20
BUDGET = 0.90  # service / bare ORM, requests per second

# What both bare apps share: the response models, the query's limits, uvicorn's settings.
COMMON = f'''
import os
from datetime import datetime
from typing import Annotated

import uvicorn
from fastapi import Depends, FastAPI, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

engine = create_async_engine(os.environ["BENCH_DATABASE_URL"], pool_size=5, max_overflow=5)


class NoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    body: str
    created_at: datetime


class NotePage(BaseModel):
    items: list[NoteOut]
    limit: int
    offset: int


app = FastAPI()
Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0)]

# ROUTE


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

ORM_ROUTE = """
from sqlalchemy import DateTime, String, Text, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Note(Base):
    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


sessions = async_sessionmaker(engine, expire_on_commit=False)


async def session():
    async with sessions() as db:
        yield db


@app.get("/v1/notes")
async def list_notes(
    db: Annotated[AsyncSession, Depends(session)], limit: Limit = 20, offset: Offset = 0
) -> NotePage:
    notes = await db.scalars(select(Note).order_by(Note.id.desc()).limit(limit).offset(offset))
    return NotePage(
        items=[NoteOut.model_validate(note) for note in notes], limit=limit, offset=offset
    )
"""

CORE_ROUTE = """
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, select

notes = Table(
    "notes",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("title", String(200)),
    Column("body", Text),
    Column("created_at", DateTime(timezone=True)),
)


@app.get("/v1/notes")
async def list_notes(limit: Limit = 20, offset: Offset = 0) -> NotePage:
    query = select(notes).order_by(notes.c.id.desc()).limit(limit).offset(offset)
    async with engine.connect() as connection:
        rows = (await connection.execute(query)).mappings().all()
    return NotePage(
        items=[NoteOut.model_validate(row) for row in rows], limit=limit, offset=offset
    )
"""


# Run with the service's interpreter: checkouts from an async pool, three ways.
POOL_CHECKS = """
import asyncio, statistics, sys, time

import sqlalchemy.ext.asyncio
from sqlalchemy import event, text

from {package}.db import replace_if_closed

URL, ROUNDS, OPERATIONS = sys.argv[1], 5, 2000


async def measure(kind):
    engine = sqlalchemy.ext.asyncio.create_async_engine(
        URL, pool_size=5, pool_pre_ping=kind == "pool_pre_ping"
    )
    if kind == "replace_if_closed":
        event.listen(engine.sync_engine, "checkout", replace_if_closed)

    async def operation():
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    for _ in range(200):
        await operation()
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(OPERATIONS):
        await operation()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    await engine.dispose()
    return cpu / OPERATIONS * 1e6, wall / OPERATIONS * 1e6


async def main():
    kinds = ("no check", "replace_if_closed", "pool_pre_ping")
    results = {{kind: [] for kind in kinds}}
    for _ in range(ROUNDS):
        for kind in kinds:
            results[kind].append(await measure(kind))
    for kind, runs in results.items():
        cpu = statistics.median(c for c, _ in runs)
        wall = statistics.median(w for _, w in runs)
        print(f"  {{kind:18}} CPU {{cpu:5.0f}} us  wall {{wall:5.0f}} us per checkout + SELECT 1")


asyncio.run(main())
"""


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres(python: str, statement: str, url: str = SERVER_URL) -> None:
    """Run one statement, with the service's own driver."""
    script = (
        "import psycopg, sys; psycopg.connect(sys.argv[1], autocommit=True).execute(sys.argv[2])"
    )
    subprocess.run([python, "-c", script, url, statement], check=True)


def generated_project(workdir: Path) -> Path:
    """Render the default variant from this working tree and install it."""
    project = copier_copy(DEFAULT, workdir / "service", lock=True)
    install_as_the_image_does(project)
    return project


def service_app(name: str, project: Path, env: dict[str, str], workdir: Path) -> App:
    python = str(project / ".venv" / "bin" / "python")
    package = next(path.name for path in (project / "src").iterdir() if path.is_dir())
    settings = {
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
        "SHUTDOWN_TIMEOUT_SECONDS": str(SHUTDOWN_TIMEOUT_SECONDS),
        "FORWARDED_ALLOW_IPS": FORWARDED_ALLOW_IPS,
    }
    return App(name, [python, "-m", package, "web"], PATH, env | settings, workdir / f"{name}.log")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="load rounds per app")
    parser.add_argument("--seconds", type=int, default=4, help="length of each load round")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--project", type=Path, help="an installed default-variant service")
    parser.add_argument(
        "--compare",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="another installed default-variant service to load in the same rounds",
    )
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    expose_pyenv_interpreters()

    with tempfile.TemporaryDirectory(prefix="bench-database-") as tmp:
        workdir = Path(tmp)
        project = options.project or generated_project(workdir)
        python = str(project / ".venv" / "bin" / "python")
        package = next(path.name for path in (project / "src").iterdir() if path.is_dir())
        database = f"bench_database_{uuid.uuid4().hex[:8]}"
        url = SERVER_URL.rsplit("/", 1)[0] + f"/{database}"
        env = {key: value for key, value in os.environ.items() if not key.startswith("OTEL_")}
        env.pop("VIRTUAL_ENV", None)
        env = {name: os.environ.get(name, value) for name, value in BACKING.items()} | env
        env["DATABASE_URL"] = url
        env["BENCH_DATABASE_URL"] = url.replace("postgresql:", "postgresql+psycopg:", 1)

        apps = [service_app("service", project, env, workdir)]
        for comparison in options.compare:
            name, _, path = comparison.partition("=")
            apps.append(service_app(name, Path(path), env, workdir))
        for name, route in (("bare ORM", ORM_ROUTE), ("bare Core", CORE_ROUTE)):
            script = workdir / f"{name.replace(' ', '_')}.py"
            script.write_text(COMMON.replace("# ROUTE", route))
            apps.append(App(name, [python, str(script)], PATH, env, workdir / f"{script.stem}.log"))

        versions = subprocess.run(
            [
                python,
                "-c",
                "import fastapi, sqlalchemy, psycopg, uvicorn; print(f'FastAPI "
                "{fastapi.__version__}, SQLAlchemy {sqlalchemy.__version__}, psycopg "
                "{psycopg.__version__}, uvicorn {uvicorn.__version__}')",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        print(
            f"GET {PATH} ({NOTES} notes, PostgreSQL at {SERVER_URL.rsplit('@', 1)[-1]}): "
            f"{', '.join(app.name for app in apps)}; {versions}; one worker each; wrk: 1 thread, "
            f"{options.connections} connections, {options.rounds} rounds x {options.seconds} s "
            f"per app, in turn"
        )

        postgres(python, f'CREATE DATABASE "{database}"')
        loads: dict[str, list[Load]] = {app.name: [] for app in apps}
        cpu_ms: dict[str, list[float]] = {app.name: [] for app in apps}  # per request
        processes = []
        try:
            migrate = subprocess.run(
                [python, "-m", package, "migrate"], env=env, capture_output=True, text=True
            )
            if migrate.returncode != 0:
                sys.exit(f"migrate failed:\n{migrate.stdout}{migrate.stderr}")
            postgres(
                python,
                "INSERT INTO notes (title, body) SELECT 'note ' || n, 'for the benchmark' "
                f"FROM generate_series(1, {NOTES}) AS n",
                url,
            )
            running = [(app, free_port()) for app in apps]
            processes = [start(app, port)[0] for app, port in running]
            for _, port in running:  # warm-up, not counted: fills each pool
                wrk(port, PATH, 1, options.connections)
            pids = {app.name: process.pid for app, process in zip(apps, processes, strict=True)}
            for round_number in range(options.rounds):
                shift = round_number % len(running)
                for app, port in running[shift:] + running[:shift]:
                    cpu_before = cpu_seconds(pids[app.name])
                    load = wrk(port, PATH, options.seconds, options.connections)
                    served = load.requests_per_second * options.seconds
                    cpu = (cpu_seconds(pids[app.name]) - cpu_before) * 1000 / served
                    loads[app.name].append(load)
                    cpu_ms[app.name].append(cpu)
                    print(
                        f"  round {round_number + 1} {app.name:10} "
                        f"{load.requests_per_second:8.0f} req/s  p50 {load.p50_ms:6.2f} ms  "
                        f"p99 {load.p99_ms:6.2f} ms  CPU {cpu:5.2f} ms/request"
                    )
            print("\nThe pool alone (medians of 5 rounds of 2000 operations, in turn):")
            subprocess.run(
                [python, "-c", POOL_CHECKS.format(package=package), env["BENCH_DATABASE_URL"]],
                env=env, check=True,
            )  # fmt: skip
        finally:
            for process in processes:
                stop(process)
            postgres(python, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    rows = {
        name: [
            *(
                statistics.median(getattr(load, field) for load in runs)
                for field in ("requests_per_second", "p50_ms", "p99_ms")
            ),
            statistics.median(cpu_ms[name]),
        ]
        for name, runs in loads.items()
    }
    bare, bare_cpu = rows["bare ORM"][0], rows["bare ORM"][3]
    print(
        f"\n{'':14}{'req/s':>9}{'spread':>8}{'p50 ms':>9}{'p99 ms':>9}{'CPU ms/req':>12}"
        f"{'req/s / bare ORM':>18}{'CPU / bare ORM':>16}"
    )
    for name, (rps, p50, p99, cpu) in rows.items():
        values = [load.requests_per_second for load in loads[name]]
        spread = (max(values) - min(values)) / rps
        print(
            f"{name:14}{rps:9.0f}{spread:8.0%}{p50:9.2f}{p99:9.2f}{cpu:12.3f}"
            f"{rps / bare:18.2f}{cpu / bare_cpu:16.2f}"
        )
    print()
    for name in rows:
        if name not in ("bare ORM", "bare Core"):
            ratio = rows[name][0] / bare
            verdict = "within" if ratio >= BUDGET else "OVER"
            print(
                f"{name} / bare ORM: {ratio:.2f} req/s (budget >= {BUDGET:.2f}: {verdict}); "
                f"by CPU per request {bare_cpu / rows[name][3]:.2f}"
            )
    print(
        f"bare Core / bare ORM: {rows['bare Core'][0] / bare:.2f} req/s, by CPU per request "
        f"{bare_cpu / rows['bare Core'][3]:.2f} (what the ORM costs; no budget)"
    )
    print(
        f"(medians over {options.rounds} rounds; spread = (max - min) / median of the rounds' "
        f"req/s. CPU ms/req is the server process's user + system time per request served: "
        f"steadier than req/s on a shared machine, and 1000 / it bounds one worker's req/s)"
    )


if __name__ == "__main__":
    main()
