"""A generated project and its image: render it with copier, build it unmodified."""

import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..generate import copier_copy
from .base_images import StandIns
from .compose_spec import ComposeSpec
from .engine import Engine
from .override import base_image_args, build_args

IMAGE_REPOSITORY = "template-ci-service"


@dataclass
class BuiltProject:
    variant: str
    answers: dict[str, str]
    path: Path
    image: str
    build_args: dict[str, str]
    build_seconds: float
    size_bytes: int
    base_size_bytes: int
    base_image: str
    measurements: dict[str, float] = field(default_factory=dict)

    @property
    def compose(self) -> ComposeSpec:
        return ComposeSpec.load(self.path / "compose.yaml")


def render(variant: str, answers: dict[str, str], destination: Path) -> Path:
    """Render with the lock file (the Dockerfile installs from uv.lock alone)."""
    project = copier_copy(answers, destination / variant, lock=True)
    if not (project / "uv.lock").is_file():
        raise AssertionError(f"{variant}: rendering left no uv.lock in {project}")
    return project


def git_revision(project: Path) -> str:
    result = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=project, capture_output=True, text=True, check=False
    )
    return result.stdout.strip() or "unknown"


def build_image(
    engine: Engine, stand_ins: StandIns, variant: str, answers: dict[str, str], project: Path
) -> BuiltProject:
    """`docker build` the untouched Dockerfile with base images passed as build args."""
    dockerfile = (project / "Dockerfile").read_text()
    args = build_args(dockerfile, stand_ins.resolve)
    base_image = stand_ins.resolve(_python_default(dockerfile))
    image = f"{IMAGE_REPOSITORY}-{variant}:test"
    previous = {image: engine.image_id(image)}
    labels = {"VERSION": "0.1.0+containers-test", "VCS_REF": git_revision(project)}
    command = ["build", "--pull=false"]
    for name, value in {**args, **labels}.items():
        command += ["--build-arg", f"{name}={value}"]
    started = time.monotonic()
    # BuildKit keeps every stage's layers in its own cache (uv's downloads in a cache
    # mount), which removing the replaced image below leaves alone.
    engine.run(*command, "--tag", image, str(project), timeout=1200)
    seconds = time.monotonic() - started
    engine.remove_replaced(previous)
    return BuiltProject(
        variant=variant,
        answers=answers,
        path=project,
        image=image,
        build_args=args,
        build_seconds=seconds,
        size_bytes=engine.image_size_bytes(image),
        base_size_bytes=engine.image_size_bytes(base_image),
        base_image=base_image,
    )


def _python_default(dockerfile: str) -> str:
    for default in base_image_args(dockerfile).values():
        if default.startswith("python:"):
            return default
    raise AssertionError("the Dockerfile has no build argument defaulting to a python:* image")
