"""Draw the benchmarks chart and table for the docs from the numbers the benchmarks wrote.

Inputs, in a results folder (bench/results/, committed: the docs show these numbers):
  service.txt      what `bench/service.py` prints (throughput, latency, start-to-ready)
  generate.txt     what `bench/generate.py` prints (generation time per engine)
  containers.json  what the containers tier writes (`pytest -m containers`: image sizes,
                   build and start times), as bench/out/containers.json
  telemetry.txt    what `bench/telemetry.py` prints (tracing's cost); optional
  database.txt     what `bench/database.py` prints (GET /v1/notes against bare code); optional
  recorded.json    when and on what machine they were recorded (written by --record)

Outputs: docs/assets/benchmarks.png (the chart; its PNG metadata carries the SHA-256
of the inputs, so a test can tell a stale chart) and bench/results/summary.md (the
table the benchmarks page includes).

Record new numbers, then draw:
    uv run python bench/service.py > bench/out/service.txt
    uv run python bench/generate.py > bench/out/generate.txt
    uv run python bench/telemetry.py > bench/out/telemetry.txt
    uv run python bench/database.py > bench/out/database.txt
    uv run pytest -m containers        # writes bench/out/containers.json
    uv run python bench/chart.py --record bench/out

Draw again from the committed numbers: `uv run python bench/chart.py`.
"""

import argparse
import datetime
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
CHART = ROOT / "docs" / "assets" / "benchmarks.png"
SUMMARY = "summary.md"
INPUTS = ("service.txt", "generate.txt", "containers.json", "recorded.json")
RECORDED = ("service.txt", "generate.txt", "containers.json")
OPTIONAL = ("telemetry.txt", "database.txt")  # recorded and drawn when present

# The budgets (issue 16), each printed beside its figure.
THROUGHPUT_BUDGET = 0.90  # service / bare FastAPI req/s, at least
START_BUDGET = 1.20  # service / bare FastAPI start-to-ready, at most
IMAGE_BUDGET_MB = 60  # default image over its Python base, at most
GENERATE_RATIO_BUDGET = 1.25  # copier copy of the template / of a plain template, at most
DATABASE_BUDGET = 0.90  # service / bare FastAPI + ORM GET /v1/notes req/s, at least
TRACING_BUDGET = 0.25  # throughput lost tracing every request, at most
SOURCE_KEY = "Source-SHA256"  # PNG text chunk naming the inputs the chart was drawn from
MB = 1_000_000


class ResultsError(Exception):
    """A results file is missing or does not read as the benchmark that wrote it."""


@dataclass(frozen=True)
class Service:
    """bench/service.py: the generated service's /livez against a bare FastAPI route."""

    bare_rps: float
    service_rps: float
    bare_p99_ms: float
    service_p99_ms: float
    bare_ready_ms: float
    service_ready_ms: float
    # Per pair of neighbouring starts: service / bare, first and third quartile.
    start_ratio_iqr: tuple[float, float] | None = None
    # Per round of load: service / bare, first and third quartile.
    throughput_ratio_iqr: tuple[float, float] | None = None


@dataclass(frozen=True)
class Generate:
    """bench/generate.py: median seconds to generate the default service."""

    copier_s: float
    cookiecutter_s: float
    lock_s: float | None
    # copier CLI: the template, and a plain template of the same files (nothing rendered)
    template_cli_s: float | None = None
    plain_cli_s: float | None = None


@dataclass(frozen=True)
class Database:
    """bench/database.py: GET /v1/notes, service against bare FastAPI + SQLAlchemy."""

    service_rps: float
    orm_rps: float
    core_rps: float


@dataclass(frozen=True)
class Image:
    """One variant's image, from the containers tier."""

    size_mb: float
    base_mb: float
    build_s: float
    ready_s: float  # median of the process-start-to-ready runs


@dataclass(frozen=True)
class Tracing:
    """One scenario of bench/telemetry.py: requests/s untraced, all traced, 1 in 10 traced."""

    scenario: str  # its first line's start, e.g. "slugs: POST /v1/slugs"
    off_rps: float
    all_rps: float
    tenth_rps: float

    @property
    def all_lost(self) -> float:
        return 1 - self.all_rps / self.off_rps

    @property
    def tenth_lost(self) -> float:
        return 1 - self.tenth_rps / self.off_rps


@dataclass(frozen=True)
class Results:
    service: Service
    generate: Generate
    images: dict[str, Image]  # "default", "minimal"
    stack_up_to_healthy_s: float | None
    recorded: dict[str, object]
    tracing: list[Tracing] | None = None
    database: Database | None = None


def _row(text: str, label: str, source: str) -> list[str]:
    """The cells after `label` on the line that starts with it."""
    match = re.search(rf"^{re.escape(label)}\s+(.+)$", text, re.MULTILINE)
    if match is None:
        raise ResultsError(f"{source}: no line starting {label!r}; is it bench output?")
    return match[1].split()


def read_service(path: Path) -> Service:
    text = path.read_text()
    bare = [float(cell) for cell in _row(text, "bare GET /", path.name)]
    service = [float(cell) for cell in _row(text, "service GET /livez", path.name)]
    if len(bare) != 4 or len(service) != 4:
        raise ResultsError(f"{path.name}: expected req/s, p50, p99 and start-to-ready columns")

    def spread(line_start: str) -> tuple[float, float] | None:
        found = re.search(
            rf"^{re.escape(line_start)}.*interquartile range ([\d.]+)-([\d.]+)", text, re.MULTILINE
        )
        return (float(found[1]), float(found[2])) if found else None

    return Service(
        bare[0], service[0], bare[2], service[2], bare[3], service[3],
        spread("start-to-ready, service / bare"), spread("throughput, service / bare"),
    )  # fmt: skip


def read_generate(path: Path) -> Generate:
    text = path.read_text()

    def median(label: str, required: bool = True) -> float | None:
        match = re.search(rf"^{re.escape(label)}\s+median ([\d.]+) s", text, re.MULTILINE)
        if match is None and required:
            raise ResultsError(f"{path.name}: no {label!r} median line; is it bench output?")
        return float(match[1]) if match else None

    return Generate(
        median("copier"),
        median("cookiecutter"),
        median("uv lock step", required=False),
        median("copier CLI, default variant (hook, no lock)", required=False),
        _plain_median(text),
    )


def _plain_median(text: str) -> float | None:
    """The plain template's line names its file count: 'plain template of its 114 files'."""
    match = re.search(r"^copier CLI, plain template of its \d+ files\s+median ([\d.]+) s", text,
                      re.MULTILINE)  # fmt: skip
    return float(match[1]) if match else None


def read_database(path: Path) -> Database:
    text = path.read_text()
    rates = [float(_row(text, name, path.name)[0]) for name in ("service", "bare ORM", "bare Core")]
    return Database(*rates)


def read_telemetry(path: Path) -> list[Tracing]:
    """Each scenario's section: its heading line, then its table."""
    sections = re.split(r"^(?=\w+: [A-Z]+ /\S+ on )", path.read_text(), flags=re.MULTILINE)
    scenarios = []
    for section in sections[1:]:
        heading = re.match(r"(\w+: [A-Z]+ /\S+)", section)[1]
        rates = [
            float(_row(section, label, path.name)[0])
            for label in ("tracing off", "every request traced", "1 in 10 traced")
        ]
        scenarios.append(Tracing(heading, *rates))
    if not scenarios:
        raise ResultsError(f"{path.name}: no scenario heading; is it bench/telemetry.py output?")
    return scenarios


def read_containers(path: Path) -> tuple[dict[str, Image], float | None]:
    data = json.loads(path.read_text())
    images = {}
    for variant in ("default", "minimal"):
        try:
            image = data[f"{variant} image"]
            images[variant] = Image(
                size_mb=image["size_bytes"] / MB,
                base_mb=image["base_size_bytes"] / MB,
                build_s=image["build_seconds"],
                ready_s=statistics.median(image["process_start_to_ready_seconds"]),
            )
        except (KeyError, TypeError, statistics.StatisticsError) as error:
            raise ResultsError(f"{path.name}: {variant} image lacks {error}") from None
    stack = data.get("default compose stack", {})
    return images, stack.get("up_to_web_healthy_seconds")


def read_results(folder: Path) -> Results:
    missing = [name for name in INPUTS if not (folder / name).is_file()]
    if missing:
        raise ResultsError(f"{folder}: missing {', '.join(missing)} (see bench/chart.py --help)")
    images, stack = read_containers(folder / "containers.json")
    return Results(
        service=read_service(folder / "service.txt"),
        generate=read_generate(folder / "generate.txt"),
        images=images,
        stack_up_to_healthy_s=stack,
        recorded=json.loads((folder / "recorded.json").read_text()),
        tracing=read_telemetry(folder / "telemetry.txt")
        if (folder / "telemetry.txt").is_file()
        else None,
        database=read_database(folder / "database.txt")
        if (folder / "database.txt").is_file()
        else None,
    )


def source_digest(folder: Path) -> str:
    """SHA-256 over the input files' names and bytes: what the chart was drawn from."""
    digest = hashlib.sha256()
    present = [name for name in OPTIONAL if (folder / name).is_file()]
    for name in [*INPUTS, *present]:
        digest.update(name.encode() + b"\0" + (folder / name).read_bytes() + b"\0")
    return digest.hexdigest()


def record(source: Path, folder: Path) -> None:
    """Copy fresh benchmark output into the results folder, noting when and where."""
    missing = [name for name in RECORDED if not (source / name).is_file()]
    if missing:
        raise ResultsError(f"{source}: missing {', '.join(missing)} (see bench/chart.py --help)")
    folder.mkdir(parents=True, exist_ok=True)
    for name in RECORDED:
        shutil.copyfile(source / name, folder / name)
    for name in OPTIONAL:
        if (source / name).is_file():
            shutil.copyfile(source / name, folder / name)
    written = {
        name: datetime.datetime.fromtimestamp((source / name).stat().st_mtime, datetime.UTC)
        .isoformat(timespec="minutes")
        .replace("+00:00", "Z")
        for name in [*RECORDED, *OPTIONAL]
        if (source / name).is_file()
    }
    machine = {
        "date": datetime.date.today().isoformat(),
        "written": written,  # when each benchmark wrote its output (UTC)
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "system": f"{platform.system()} {platform.release()} {platform.machine()}",
        "python": platform.python_version(),
    }
    (folder / "recorded.json").write_text(json.dumps(machine, indent=2) + "\n")


def _spread(per: str, iqr: tuple[float, float] | None) -> str:
    return f"; per {per} {iqr[0]:.2f}-{iqr[1]:.2f} (interquartile range)" if iqr else ""


def summary(results: Results) -> str:
    """The benchmarks page's table: each number with its goal."""
    s, g = results.service, results.generate
    default, minimal = results.images["default"], results.images["minimal"]
    spread = _spread("pair of starts", s.start_ratio_iqr)
    load_spread = _spread("round", s.throughput_ratio_iqr)
    rows = [
        ("Throughput, service `/livez` / bare FastAPI", f"{s.service_rps / s.bare_rps:.2f}",
         f"≥ {THROUGHPUT_BUDGET:.2f}",
         f"{s.service_rps:.0f} vs {s.bare_rps:.0f} requests/s{load_spread}"),
        ("p99 latency, service / bare", f"{s.service_p99_ms / s.bare_p99_ms:.2f}", "—",
         f"{s.service_p99_ms:.2f} vs {s.bare_p99_ms:.2f} ms"),
        ("Start to first 200, service / bare", f"{s.service_ready_ms / s.bare_ready_ms:.2f}",
         f"≤ {START_BUDGET:.2f}", f"{s.service_ready_ms:.0f} vs {s.bare_ready_ms:.0f} ms{spread}"),
    ]  # fmt: skip
    if results.database:
        d = results.database
        rows += [
            ("`GET /v1/notes` (PostgreSQL, 20 rows), service / bare FastAPI + ORM",
             f"{d.service_rps / d.orm_rps:.2f}", f"≥ {DATABASE_BUDGET:.2f}",
             f"{d.service_rps:.0f} vs {d.orm_rps:.0f} requests/s"),
            ("The same query on SQLAlchemy Core, bare, / bare ORM", f"{d.core_rps / d.orm_rps:.2f}",
             "—", f"{d.core_rps:.0f} requests/s"),
        ]  # fmt: skip
    if g.template_cli_s and g.plain_cli_s:
        rows.append(
            ("`copier copy` (CLI) of the template / of a plain template of its files",
             f"{g.template_cli_s / g.plain_cli_s:.2f}x", f"≤ {GENERATE_RATIO_BUDGET:.2f}x",
             f"{g.template_cli_s:.2f} vs {g.plain_cli_s:.2f} s; hook included, `uv lock` skipped")
        )  # fmt: skip
    rows += [
        ("Generate the default service, copier", f"{g.copier_s:.2f} s", "≤ 1.0 s",
         "hook and its derive step included, `uv lock` excluded"),
        ("Generate the default service, cookiecutter", f"{g.cookiecutter_s:.2f} s", "≤ 0.8 s",
         "hook and its derive step included, `uv lock` excluded"),
        ("`uv lock` in the new service", f"{g.lock_s:.2f} s" if g.lock_s else "—", "—",
         "warm uv cache"),
        ("Default image over its base", f"{default.size_mb - default.base_mb:.0f} MB",
         f"≤ {IMAGE_BUDGET_MB} MB", f"{default.size_mb:.0f} MB in all"),
        ("Minimal image over its base", f"{minimal.size_mb - minimal.base_mb:.0f} MB", "—",
         f"{minimal.size_mb:.0f} MB in all"),
        ("Container process start to ready, default", f"{default.ready_s:.2f} s", "≤ 2 s",
         "median of the runs"),
        ("Container process start to ready, minimal", f"{minimal.ready_s:.2f} s", "≤ 2 s",
         "median of the runs"),
        ("Image build, default / minimal", f"{default.build_s:.1f} s / {minimal.build_s:.1f} s",
         "—", "dependency layer cached"),
    ]  # fmt: skip
    for t in results.tracing or []:
        rows += [
            (f"Tracing every request, `{t.scenario}`: throughput lost", f"{t.all_lost:.0%}",
             f"≤ {TRACING_BUDGET:.0%}", f"{t.all_rps:.0f} vs {t.off_rps:.0f} requests/s untraced"),
            (f"Tracing 1 in 10, `{t.scenario}`: throughput lost", f"{t.tenth_lost:.0%}", "—",
             f"{t.tenth_rps:.0f} requests/s"),
        ]  # fmt: skip
    if results.stack_up_to_healthy_s is not None:
        rows.append(
            ("Compose stack: up to web healthy", f"{results.stack_up_to_healthy_s:.1f} s", "—",
             "migrate runs first")
        )  # fmt: skip
    machine = results.recorded
    lines = [
        "| Measure | Result | Goal | Detail |",
        "|---|---|---|---|",
        *(f"| {' | '.join(row)} |" for row in rows),
        "",
        f"Recorded {machine['date']} on {machine['system']}, {machine['cpus']} CPUs "
        f"(load average {machine['load_average_1m']} when recorded), Python {machine['python']}.",
    ]
    if machine.get("written"):
        lines[-1] += (
            " Each benchmark's output was written at (UTC): "
            + ", ".join(f"`{name}` {time}" for name, time in machine["written"].items())
            + "."
        )
    return "\n".join(lines) + "\n"


def draw(results: Results, target: Path, digest: str) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    s, g = results.service, results.generate
    colors = {"bare": "#9e9e9e", "ours": "#3f51b5", "cookiecutter": "#009688", "goal": "#e53935"}
    layout = [["throughput", "ready"], ["images", "generate"]]
    if results.tracing:
        layout.append(["tracing", "tracing"])
    figure, axes = plt.subplot_mosaic(
        layout, figsize=(10, 3.5 * len(layout)), dpi=100, layout="constrained"
    )
    figure.suptitle("twelve-factor-service-template: benchmarks", fontsize=13)

    def bars(axis, labels, values, bar_colors, unit, fmt):
        drawn = axis.bar(labels, values, color=bar_colors)
        axis.bar_label(drawn, labels=[fmt.format(value) + unit for value in values], padding=2)
        axis.set_ylim(0, max(values) * 1.25)
        axis.spines[["top", "right"]].set_visible(False)

    def goal(axis, index, value):
        """A goal drawn across one bar only."""
        axis.hlines(value, index - 0.45, index + 0.45, color=colors["goal"], linestyle="--")

    throughput = axes["throughput"]
    bars(
        throughput,
        ["bare FastAPI\nGET /", "service\nGET /livez"],
        [s.bare_rps, s.service_rps],
        [colors["bare"], colors["ours"]],
        " req/s",
        "{:.0f}",
    )
    goal(throughput, 1, THROUGHPUT_BUDGET * s.bare_rps)
    throughput.set_title(
        f"Throughput, one worker: ratio {s.service_rps / s.bare_rps:.2f} "
        f"(goal ≥ {THROUGHPUT_BUDGET:.2f})"
    )

    ready = axes["ready"]
    default, minimal = results.images["default"], results.images["minimal"]
    bars(
        ready,
        ["bare FastAPI\nprocess", "service\nprocess", "default\ncontainer", "minimal\ncontainer"],
        [s.bare_ready_ms / 1000, s.service_ready_ms / 1000, default.ready_s, minimal.ready_s],
        [colors["bare"], colors["ours"], colors["ours"], colors["ours"]],
        " s",
        "{:.2f}",
    )
    goal(ready, 1, START_BUDGET * s.bare_ready_ms / 1000)
    goal(ready, 2, 2.0)
    goal(ready, 3, 2.0)
    ready.set_ylim(0, max(2.0, ready.get_ylim()[1]) * 1.1)
    ready.set_title("Start to ready (goals dashed)")

    images = axes["images"]
    names = ["default", "minimal"]
    base = [results.images[name].base_mb for name in names]
    added = [results.images[name].size_mb - results.images[name].base_mb for name in names]
    images.bar(names, base, color=colors["bare"], label="base image")
    drawn = images.bar(
        names, added, bottom=base, color=colors["ours"], label="added by the service"
    )
    images.bar_label(drawn, labels=[f"+{value:.0f} MB" for value in added], padding=2)
    images.hlines(
        base[0] + IMAGE_BUDGET_MB, -0.45, 0.45, color=colors["goal"], linestyle="--",
        label=f"goal: base + {IMAGE_BUDGET_MB} MB",
    )  # fmt: skip
    images.set_ylim(0, max(b + a for b, a in zip(base, added, strict=True)) * 1.25)
    images.set_ylabel("MB")
    images.legend(loc="lower right", fontsize=8)
    images.spines[["top", "right"]].set_visible(False)
    images.set_title("Runtime image size")

    generate = axes["generate"]
    bars(
        generate,
        ["copier", "cookiecutter", "uv lock"],
        [g.copier_s, g.cookiecutter_s, g.lock_s or 0.0],
        [colors["ours"], colors["cookiecutter"], colors["bare"]],
        " s",
        "{:.2f}",
    )
    goal(generate, 0, 1.0)
    goal(generate, 1, 0.8)
    generate.set_title("Generate the default service (median; goals dashed)")

    if results.tracing:
        tracing = axes["tracing"]
        names = [t.scenario for t in results.tracing]
        positions = range(len(names))
        for offset, label, values, color in (
            (-0.2, "every request traced", [t.all_lost * 100 for t in results.tracing], "ours"),
            (0.2, "1 in 10 traced", [t.tenth_lost * 100 for t in results.tracing], "bare"),
        ):
            drawn = tracing.bar(
                [p + offset for p in positions], values, width=0.4, color=colors[color],
                label=label,
            )  # fmt: skip
            tracing.bar_label(drawn, labels=[f"{value:.0f}%" for value in values], padding=2)
        tracing.axhline(
            TRACING_BUDGET * 100, color=colors["goal"], linestyle="--",
            label=f"goal: at most {TRACING_BUDGET:.0%}",
        )  # fmt: skip
        tracing.set_xticks(list(positions), names)
        tracing.set_ylabel("% of throughput lost")
        tracing.set_ylim(0, max(TRACING_BUDGET * 130, *(t.all_lost * 125 for t in results.tracing)))
        tracing.legend(fontsize=8)
        tracing.spines[["top", "right"]].set_visible(False)
        tracing.set_title("Tracing, exported over OTLP/HTTP, against tracing off")

    machine = results.recorded
    figure.text(
        0.5,
        -0.01,
        f"Recorded {machine['date']}, {machine['cpus']} CPUs, load average "
        f"{machine['load_average_1m']}. Source: bench/results/",
        ha="center",
        fontsize=8,
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    # No software version or date in the file: the same inputs draw the same PNG.
    figure.savefig(target, metadata={"Software": None, SOURCE_KEY: digest}, bbox_inches="tight")
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[2:]),
    )
    parser.add_argument(
        "--record",
        type=Path,
        metavar="FOLDER",
        help="first copy fresh benchmark output from FOLDER (e.g. bench/out)",
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="results folder")
    parser.add_argument("--chart", type=Path, default=CHART, help="PNG to write")
    options = parser.parse_args()
    try:
        if options.record:
            record(options.record, options.results)
        results = read_results(options.results)
    except (ResultsError, OSError, ValueError) as error:
        sys.exit(f"bench/chart.py: {error}")
    (options.results / SUMMARY).write_text(summary(results))
    draw(results, options.chart, source_digest(options.results))
    print(f"wrote {options.chart} and {options.results / SUMMARY}")


if __name__ == "__main__":
    main()
