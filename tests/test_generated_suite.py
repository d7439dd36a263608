"""Tier 3: each generated project lints clean and passes its own test suite.

The suites talk to the real PostgreSQL, Redis and RabbitMQ on 127.0.0.1. Variants:
every combination of database, cache, worker and broker; python_version, license and
ci rotate across them so every choice of those is generated and tested too. Each suite
runs on the Python its .python-version names: 3.13 from pyenv, 3.14 and 3.15 from Debian
sid (tests/sid_python.py). The default and minimal services keep the default telemetry
and auth; the others take every pair of those two in turn, both on first, so the full
stack is also tested with both on.
"""

import os
import subprocess
from itertools import cycle, product

import pytest

from tests.generate import run
from tests.sid_python import missing_interpreter_message
from tests.variants import CHOICES, DEFAULT, backing_service_combinations

pytestmark = pytest.mark.behaviour


def suite_variants() -> dict[str, dict[str, str]]:
    rotations = {name: cycle(CHOICES[name]) for name in ("python_version", "license", "ci")}
    pairs = list(product(CHOICES["telemetry"], CHOICES["auth"]))
    options = cycle(pairs[1:] + pairs[:1])  # (yes, jwt) first
    variants = {}
    for name, answers in backing_service_combinations().items():
        variant = answers | {question: next(choices) for question, choices in rotations.items()}
        if name not in {"default", "minimal"}:
            telemetry, auth = next(options)
            variant |= {"telemetry": telemetry, "auth": auth}
            name += "".join(
                f"-{q}={variant[q]}" for q in ("telemetry", "auth") if variant[q] != DEFAULT[q]
            )
        variants[name] = variant
    # One suite runs under a Korean project name, with the slug and package derived from it
    # ("결제 서비스" gives gyeolje-seobiseu); named apart, so no other test's render is reused.
    korean = next(name for name in variants if name not in {"default", "minimal"})
    variants[f"{korean}-korean-name"] = variants.pop(korean) | {"project_name": "결제 서비스"}
    return variants


SUITE_VARIANTS = suite_variants()
UV = {"UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"}
PRINT_VERSION = "import platform; print(platform.python_version())"


def _env() -> dict[str, str]:
    env = dict(os.environ) | UV
    env.pop("VIRTUAL_ENV", None)  # the template repo's own venv, not the project's
    return env


@pytest.mark.parametrize("name", list(SUITE_VARIANTS))
def test_generated_project_lints_clean_and_passes_its_suite(renders, name):
    # One test per variant, so parallel workers never render or sync the same project twice.
    version = SUITE_VARIANTS[name]["python_version"]
    found = subprocess.run(
        ["uv", "python", "find", "--system", "--no-project", version],
        capture_output=True,
        text=True,
        env=_env(),
        check=False,
    )
    assert found.returncode == 0, missing_interpreter_message(version)
    project = renders.copier(name, SUITE_VARIANTS[name], lock=True)
    assert (project / ".python-version").read_text().strip() == version
    # Compiled once here: PYTHONDONTWRITEBYTECODE (set on some CI machines) would otherwise
    # make every subprocess the suites start recompile its dependencies.
    run(["uv", "sync", "--locked", "--compile-bytecode"], project, env=_env())
    run(["uv", "run", "--frozen", "ruff", "check", "."], project, env=_env())
    run(["uv", "run", "--frozen", "ruff", "format", "--check", "."], project, env=_env())
    running = run(["uv", "run", "--frozen", "python", "-c", PRINT_VERSION], project, env=_env())
    assert running.stdout.strip().startswith(f"{version}."), running.stdout
    suite = run(["uv", "run", "--frozen", "pytest", "-p", "no:cacheprovider"], project, env=_env())
    assert " passed" in suite.stdout.splitlines()[-1]
