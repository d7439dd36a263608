"""Fixtures of the containers tier: an engine, base images, built variants, their networks."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.variants import DEFAULT, MINIMAL

from . import measurements
from .base_images import StandIns, use_official_images
from .compose_stack import ComposeStack
from .engine import Engine, EngineError, container_engine
from .override import build_args, write_compose_override
from .project import BuiltProject, build_image

# The minimal service also runs the newest offered Python; test_python_versions.py builds
# it once more for each version these two leave out.
VARIANTS = {"default": DEFAULT, "minimal": MINIMAL | {"python_version": "3.15"}}


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    if os.environ.get("PYTEST_XDIST_WORKER"):
        pytest.fail("run the containers tier in one process (-p no:xdist): it owns one dockerd")
    try:
        with container_engine() as running:
            measurements.record("engine", "storage_driver", running.storage_driver)
            measurements.record("engine", "started_by_tests", running.started_pid is not None)
            for note in running.notes:
                measurements.record("engine", "note", note)
            yield running
    except EngineError as error:
        pytest.fail(f"no container engine: {error}")


@pytest.fixture(scope="session")
def stand_ins(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandIns]:
    official = use_official_images()
    measurements.record("base images", "source", "official" if official else "local stand-ins")
    images = StandIns(engine, tmp_path_factory.mktemp("base-images"), official=official)
    yield images
    for image, seconds in images.timings.items():  # the ones built (not cached) this session
        measurements.record("base images", f"{image} build_seconds", seconds)


@pytest.fixture(scope="session", params=list(VARIANTS))
def built(
    request: pytest.FixtureRequest, engine: Engine, stand_ins: StandIns, renders
) -> BuiltProject:
    """The variant rendered (with uv.lock) and its untouched Dockerfile built."""
    variant = request.param
    project = renders.copier(variant, VARIANTS[variant], lock=True)
    result = build_image(engine, stand_ins, variant, VARIANTS[variant], project)
    subject = f"{variant} image"
    measurements.record(subject, "build_seconds", result.build_seconds)
    measurements.record(subject, "size_bytes", result.size_bytes)
    measurements.record(subject, "base_size_bytes", result.base_size_bytes)
    measurements.record(subject, "over_base_bytes", result.size_bytes - result.base_size_bytes)
    return result


@pytest.fixture(scope="session")
def override_file(built: BuiltProject, stand_ins: StandIns, tmp_path_factory) -> Path:
    """The compose override for this variant: base images only, written outside the project."""
    folder = tmp_path_factory.mktemp(f"override-{built.variant}")
    args = build_args((built.path / "Dockerfile").read_text(), stand_ins.resolve)
    return write_compose_override(
        built.compose, args, stand_ins.resolve, folder / "compose.override.yaml"
    )


@pytest.fixture(scope="session")
def backing_network(built: BuiltProject, engine: Engine, override_file: Path) -> Iterator[str]:
    """A network where the variant's backing services answer under their compose names.

    The compose file's own services (with the override's images) provide them, so the
    web container gets exactly the environment compose would give it.
    """
    backing = sorted(built.compose.images())
    stack = ComposeStack(engine, built.path, override_file, project=f"tct-{built.variant}-backing")
    if not backing:
        network = f"tct-{built.variant}-{os.getpid()}-net"  # runs may overlap on one engine
        engine.run("network", "rm", network, check=False)
        engine.run("network", "create", network)
        yield network
        engine.run("network", "rm", network, check=False)
        return
    stack.down()
    try:
        stack.up(*backing)
        stack.wait_healthy(*backing, timeout=180)
        yield stack.network
    finally:
        stack.down()


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    lines = measurements.summary_lines()
    if not lines:
        return
    terminalreporter.section("containers tier measurements")
    for line in lines:
        terminalreporter.write_line(line)
    report = measurements.write_report()
    terminalreporter.write_line(f"(also written to {report})")
