"""Every offered Python in a real image, and the one .python-version names is the one it runs.

The built variants cover two versions (default: 3.14, minimal: 3.15). Each other offered
version builds the minimal service once more and serves /readyz from it, hardened as the
generated manifests run it.
"""

import os

import pytest

from tests.variants import CHOICES, MINIMAL

from . import measurements
from .base_images import StandIns
from .conftest import VARIANTS
from .engine import Engine
from .http_client import request, wait_for_status
from .project import BuiltProject, build_image
from .running import HARDENED_FLAGS, run_container

pytestmark = pytest.mark.containers

PRINT_VERSION = "import platform; print(platform.python_version())"
BUILT_VERSIONS = {answers["python_version"] for answers in VARIANTS.values()}
OTHER_VERSIONS = [v for v in CHOICES["python_version"] if v not in BUILT_VERSIONS]


def image_python(engine: Engine, image: str) -> str:
    printed = engine.run("run", "--rm", "--entrypoint", "python", image, "-c", PRINT_VERSION)
    return printed.stdout.strip()


def test_the_image_runs_the_python_that_python_version_names(
    built: BuiltProject, engine: Engine
) -> None:
    named = (built.path / ".python-version").read_text().strip()
    assert named == built.answers["python_version"]
    running = image_python(engine, built.image)
    assert running.startswith(f"{named}."), f"{built.variant}: the image runs Python {running}"


@pytest.mark.parametrize("version", OTHER_VERSIONS)
def test_the_minimal_service_builds_and_serves_on_every_other_python(
    version: str, engine: Engine, stand_ins: StandIns, renders
) -> None:
    variant = f"minimal-python{version}"
    answers = MINIMAL | {"python_version": version}
    project = renders.copier(variant, answers, lock=True)
    built = build_image(engine, stand_ins, variant, answers, project)
    measurements.record(f"{variant} image", "build_seconds", built.build_seconds)
    measurements.record(f"{variant} image", "size_bytes", built.size_bytes)
    assert image_python(engine, built.image).startswith(f"{version}.")
    network = f"tct-{variant}-{os.getpid()}-net"  # runs may overlap on one engine
    engine.run("network", "rm", network, check=False)
    engine.run("network", "create", network)
    try:
        with run_container(
            engine,
            built.image,
            network=network,
            env=built.compose.environment("web"),
            command=("web",),
            flags=HARDENED_FLAGS,
        ) as web:
            wait_for_status(web.url("/readyz"), 200, timeout=60)
            assert request("GET", web.url("/readyz")).json()["status"] == "ok"
    finally:
        engine.run("network", "rm", network, check=False)
