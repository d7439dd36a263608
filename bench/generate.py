"""How long does generating the default service take, with each engine?

Prints the median wall time of `copier copy` and `cookiecutter` (each including the
post-generation hook's git init and first commit), and separately the `uv lock`
step the hook also runs. Asserts nothing.

    uv run python bench/generate.py [--runs 7]
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.generate import (  # noqa: E402
    cookiecutter_bake,
    copier_copy,
    expose_pyenv_interpreters,
    snapshot,
)
from tests.variants import DEFAULT  # noqa: E402


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    expose_pyenv_interpreters()
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        template = snapshot(work / "template" / "twelve-factor-service-template")
        copier_times, cookiecutter_times, lock_times = [], [], []
        for run in range(runs):
            project, out = work / f"copier-{run}", work / f"cookiecutter-{run}"
            copier_times.append(timed(partial(copier_copy, DEFAULT, project)))
            cookiecutter_times.append(timed(partial(cookiecutter_bake, DEFAULT, out, template)))
            lock = ["uv", "lock", "--quiet"]
            lock_times.append(timed(partial(subprocess.run, lock, cwd=project, check=True)))
    print(f"runs: {runs} (default variant, hook included, lock step excluded)")
    print(f"copier        median {statistics.median(copier_times):.3f} s  (goal <= 1.0 s)")
    print(f"cookiecutter  median {statistics.median(cookiecutter_times):.3f} s  (goal <= 0.8 s)")
    print(f"uv lock step  median {statistics.median(lock_times):.3f} s  (warm uv cache)")


if __name__ == "__main__":
    main()
