"""Point the generated Dockerfile and compose file at the base images in use, untouched.

The Dockerfile takes its base images as build arguments that default to official
images; compose builds with the same arguments and pulls backing-service images.
The tests pass stand-ins only through `--build-arg` and a compose override file
written outside the project, so what is tested is exactly what was generated.
"""

import re
from collections.abc import Callable
from pathlib import Path

import yaml

from .compose_spec import ComposeSpec

ARG_LINE = re.compile(r"^\s*ARG\s+(?P<name>\w+)(?:=(?P<default>\S+))?", re.IGNORECASE)
FROM_LINE = re.compile(
    r"^\s*FROM\s+(?:--platform=\S+\s+)?(?P<image>\S+)(?:\s+AS\s+(?P<stage>\S+))?", re.IGNORECASE
)
ARG_REFERENCE = re.compile(r"^\$\{?(?P<name>\w+)\}?$")


class DockerfileError(ValueError):
    """The Dockerfile does not let the tests choose its base images."""


def base_image_args(dockerfile: str) -> dict[str, str]:
    """Build arguments naming base images, with their defaults: {"PYTHON_IMAGE": "python:…"}.

    Every FROM must name an earlier stage or a build argument declared before the
    first FROM with a default; a literal image could not be replaced without editing.
    """
    global_args: dict[str, str | None] = {}
    stages: set[str] = set()
    image_args: dict[str, str] = {}
    seen_from = False
    for number, line in enumerate(dockerfile.splitlines(), start=1):
        if (arg := ARG_LINE.match(line)) and not seen_from:
            global_args[arg.group("name")] = arg.group("default")
        elif from_ := FROM_LINE.match(line):
            seen_from = True
            image = from_.group("image")
            if from_.group("stage"):
                stages.add(from_.group("stage"))
            if image in stages or image == "scratch":
                continue
            reference = ARG_REFERENCE.match(image)
            if reference is None:
                raise DockerfileError(f"line {number}: FROM {image} is not a build argument")
            name = reference.group("name")
            default = global_args.get(name)
            if default is None:
                raise DockerfileError(f"line {number}: ARG {name} needs a default before FROM")
            image_args[name] = default
    if not image_args:
        raise DockerfileError("no FROM line takes its image from a build argument")
    return image_args


def build_args(dockerfile: str, stand_in: Callable[[str], str]) -> dict[str, str]:
    """Build arguments replacing each base image whose stand-in differs from it."""
    args = {}
    for name, default in base_image_args(dockerfile).items():
        image = stand_in(default)
        if image != default:
            args[name] = image
    return args


def compose_override(
    spec: ComposeSpec, args: dict[str, str], stand_in: Callable[[str], str]
) -> dict:
    """The override document: build arguments for built services, images for the others."""
    services: dict[str, dict] = {}
    if args:
        for name in spec.built_services():
            services[name] = {"build": {"args": dict(args)}}
    for name, image in spec.images().items():
        replacement = stand_in(image)
        if replacement != image:
            services[name] = {"image": replacement}
    return {"services": services}


def write_compose_override(
    spec: ComposeSpec, args: dict[str, str], stand_in: Callable[[str], str], path: Path
) -> Path:
    path.write_text(
        "# Written by the containers tests: base images only, nothing else changes.\n"
        + yaml.safe_dump(compose_override(spec, args, stand_in), sort_keys=True)
    )
    return path
