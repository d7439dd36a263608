"""workshop/preflight.py's Docker checks, against the real engine: a PATH without docker, a
daemon that does not answer, compose v2 present or not, images present, missing, or replaced
through the *_IMAGE overrides a mirror uses."""

import subprocess
from pathlib import Path

import pytest

from tests.preflight_support import path_without, preflight

from .engine import Engine

pytestmark = pytest.mark.containers

PRESENT = "template-ci-preflight/present:1"
ABSENT = "template-ci-preflight/absent:1"


def test_without_docker_on_path_the_fix_is_to_install_it_or_take_the_installed_path(tmp_path):
    report = preflight("--only", "docker", path=path_without(tmp_path / "bin", "docker"))
    assert report.returncode == 1
    english, korean = report.problem("docker not found")
    assert "docs.docker.com" in english
    assert "0단계" in korean


def test_a_daemon_that_does_not_answer_is_named(engine: Engine, tmp_path: Path):
    report = preflight(
        "--only", "docker", env={"DOCKER_HOST": f"unix://{tmp_path / 'no-daemon.sock'}"}
    )
    assert report.returncode == 1
    english, _ = report.problem("the Docker daemon does not answer")
    assert "start Docker" in english


def compose_v2_installed(engine: Engine) -> bool:
    return engine.run("compose", "version", check=False).returncode == 0


def test_compose_v2_is_reported_as_this_machine_has_it(engine: Engine):
    report = preflight("--only", "docker")
    if compose_v2_installed(engine):
        assert report.returncode == 0, report.stdout
        assert any(line.startswith("compose: ") for line in report.ok)
    else:
        assert report.returncode == 1
        english, _ = report.problem("`docker compose` (compose v2) is missing")
        assert "install the compose plugin" in english


def test_without_the_compose_plugin_the_problem_is_named(engine: Engine, tmp_path: Path):
    """The real docker CLI, with its plugin lookup failing as it does when none is installed.

    A system-wide plugin cannot be hidden from the CLI, so `compose` goes to a wrapper that
    gives the CLI's own answer for an unknown command; everything else is the real docker.
    """
    if not compose_v2_installed(engine):
        missing = engine.run("compose", "version", check=False)
        assert missing.returncode != 0
    real = subprocess.run(["which", "docker"], capture_output=True, text=True).stdout.strip()
    folder = tmp_path / "bin"
    folder.mkdir()
    wrapper = folder / "docker"
    wrapper.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = compose ]; then\n'
        '    echo "docker: unknown command: docker compose" >&2\n'
        "    exit 1\n"
        "fi\n"
        f'exec {real} "$@"\n'
    )
    wrapper.chmod(0o755)
    report = preflight("--only", "docker", path=f"{folder}:/usr/bin:/bin")
    assert report.returncode == 1
    english, korean = report.problem("`docker compose` (compose v2) is missing")
    assert "docker-compose-v2" in english
    assert "플러그인" in korean


@pytest.fixture
def present_image(engine: Engine) -> str:
    """A tiny image made here (an empty file system), as a mirror's copy would be."""
    subprocess.run(
        ["docker", "import", "-", PRESENT],
        input=subprocess.run(
            ["tar", "cf", "-", "--files-from", "/dev/null"], capture_output=True, check=True
        ).stdout,
        capture_output=True,
        check=True,
        env=engine.env,
    )
    yield PRESENT
    engine.run("rmi", PRESENT, check=False)


def test_an_image_replaced_by_its_override_is_checked_under_the_new_name(
    engine: Engine, present_image: str
):
    report = preflight("--only", "images", env={"POSTGRES_IMAGE": present_image})
    assert f"image: {present_image} (from POSTGRES_IMAGE)" in report.ok
    assert not [english for english, _ in report.problems if "POSTGRES_IMAGE" in english]


def test_a_missing_image_names_the_pull_and_the_override(engine: Engine):
    report = preflight("--only", "images", env={"REDIS_IMAGE": ABSENT})
    assert report.returncode == 1
    english, korean = report.problem(f"image {ABSENT} (from REDIS_IMAGE) is not here")
    assert f"`docker pull {ABSENT}`" in english
    assert "export REDIS_IMAGE=" in english
    assert "export REDIS_IMAGE=" in korean


def test_pull_says_why_a_pull_failed(engine: Engine):
    """No registry has this image (and this machine reaches none): the pull's error is shown."""
    report = preflight("--only", "images", "--pull", env={"RABBITMQ_IMAGE": ABSENT})
    english, _ = report.problem(f"image {ABSENT} (from RABBITMQ_IMAGE)")
    assert "pull failed:" in english
