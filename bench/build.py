"""How long do image rebuilds take after a one-line code change and after a dependency change?

Builds a generated service's image once (not counted), then times, for each Dockerfile
and builder given:

- nothing changed (every layer cached);
- a one-line change in the service's code (a comment appended to app.py);
- a dependency change (one more package in pyproject.toml and uv.lock, a different one
  each run).

Each change is undone before the next, and each timed build starts from a cached
build of the unchanged project, so the builders are compared on the same work. The
legacy builder (`DOCKER_BUILDKIT=0 docker build`) caches whole layers only; BuildKit
(`docker buildx build`, docker driver) also keeps uv's download cache in a cache mount,
so a dependency change fetches only the new package. Asserts nothing.

    uv run python bench/build.py PROJECT [--dockerfile NAME=PATH:BUILDER ...]
                                 [--build-arg KEY=VALUE ...] [--runs 3]

BUILDER is `legacy` or `buildkit` (the default, which the generated Dockerfile needs); give
the legacy builder a Dockerfile without cache mounts. PROJECT is a generated service with a
uv.lock.
The budget: none in the issue; the figures are for choosing the builder.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

# One more package per run, each new to every cache (a package seen before would be
# served from uv's cache mount or a cached layer).
EXTRA_DEPENDENCIES = ("tomli-w>=1.0", "sortedcontainers>=2.4", "cachetools>=5.0", "toolz>=1.0")


def build(project: Path, dockerfile: Path, builder: str, tag: str, args: list[str]) -> float:
    build_args = [item for arg in args for item in ("--build-arg", arg)]
    if builder == "legacy":
        command = ["docker", "build", "-q"]
        env = os.environ | {"DOCKER_BUILDKIT": "0"}
    else:
        command = ["docker", "buildx", "build", "--quiet", "--load"]
        env = dict(os.environ)
    command += [*build_args, "-f", str(dockerfile), "-t", tag, str(project)]
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr[-3000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--dockerfile", action="append", default=[], metavar="NAME=PATH:BUILDER")
    parser.add_argument("--build-arg", action="append", default=[])
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    # The generated Dockerfile's cache mounts need BuildKit.
    dockerfiles = options.dockerfile or [f"buildkit={options.project / 'Dockerfile'}:buildkit"]

    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        project = Path(tmp) / "project"
        shutil.copytree(options.project, project, ignore=shutil.ignore_patterns(".venv", ".git"))
        original = {name: (project / name).read_text() for name in ("pyproject.toml", "uv.lock")}
        app = next((project / "src").glob("*/app.py"))
        code = app.read_text()
        env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
        if options.runs > len(EXTRA_DEPENDENCIES):
            sys.exit(f"at most {len(EXTRA_DEPENDENCIES)} runs: one new package each")
        changes = []  # (pyproject.toml, uv.lock) with one more package, per run
        for package in EXTRA_DEPENDENCIES[: options.runs]:
            subprocess.run(
                ["uv", "add", "--no-sync", "--quiet", package], cwd=project, env=env, check=True
            )
            changes.append({name: (project / name).read_text() for name in original})
            for name, text in original.items():
                (project / name).write_text(text)

        def restore() -> None:
            app.write_text(code)
            for name, text in original.items():
                (project / name).write_text(text)

        results: dict[str, dict[str, list[float]]] = {}
        for spec in dockerfiles:
            name, _, rest = spec.partition("=")
            path, _, builder = rest.rpartition(":")
            dockerfile = Path(path).resolve()
            tag = f"bench-build-{name}:latest"
            times = results[name] = {"unchanged": [], "code": [], "dependency": []}
            restore()
            first = build(project, dockerfile, builder, tag, options.build_arg)
            print(f"{name}: first build {first:.1f} s (not counted)")
            for run in range(options.runs):
                restore()
                build(project, dockerfile, builder, tag, options.build_arg)  # cached state
                again = partial(build, project, dockerfile, builder, tag, options.build_arg)
                times["unchanged"].append(again())
                app.write_text(code + f"# one-line change {time.time_ns()}\n")
                times["code"].append(again())
                restore()
                build(project, dockerfile, builder, tag, options.build_arg)
                for file_name, text in changes[run].items():
                    (project / file_name).write_text(text)
                times["dependency"].append(again())
                print(
                    f"  run {run + 1}: unchanged {times['unchanged'][-1]:.1f} s, code change "
                    f"{times['code'][-1]:.1f} s, dependency change {times['dependency'][-1]:.1f} s"
                )
            restore()
            subprocess.run(["docker", "rmi", tag], capture_output=True, check=False)

    print(f"\n{'':20}{'unchanged s':>14}{'code change s':>16}{'dependency change s':>22}")
    for name, times in results.items():
        medians = [statistics.median(times[key]) for key in ("unchanged", "code", "dependency")]
        print(f"{name:20}{medians[0]:14.1f}{medians[1]:16.1f}{medians[2]:22.1f}")
    print(f"(medians over {options.runs} runs; no budget: the figures choose the builder)")


if __name__ == "__main__":
    main()
