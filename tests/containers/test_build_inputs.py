"""How base images reach the generated files: build arguments and the override document.

No engine needed: these check the reading of Dockerfiles and compose files, including
the errors a Dockerfile that pins its base images gets.
"""

import re

import pytest

from .compose_spec import ComposeSpec
from .override import DockerfileError, base_image_args, build_args, compose_override

pytestmark = pytest.mark.containers

DOCKERFILE = """\
ARG PYTHON_IMAGE=python:3.13-slim-trixie
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.13.9
FROM ${UV_IMAGE} AS uv
FROM ${PYTHON_IMAGE} AS build
COPY --from=uv /uv /usr/local/bin/uv
FROM $PYTHON_IMAGE AS runtime
ARG VERSION=0.0.0
COPY --from=build /app /app
"""

LOCAL = {
    "python:3.13-slim-trixie": "local/python:3.13",
    "ghcr.io/astral-sh/uv:0.13.9": "local/uv",
    "postgres:17": "local/postgres",
}


def stand_in(image: str) -> str:
    return LOCAL.get(image, image)


def test_base_image_arguments_are_read_with_their_defaults() -> None:
    assert base_image_args(DOCKERFILE) == {
        "PYTHON_IMAGE": "python:3.13-slim-trixie",
        "UV_IMAGE": "ghcr.io/astral-sh/uv:0.13.9",
    }


def test_only_replaced_images_become_build_arguments() -> None:
    assert build_args(DOCKERFILE, stand_in) == {
        "PYTHON_IMAGE": "local/python:3.13",
        "UV_IMAGE": "local/uv",
    }
    assert build_args(DOCKERFILE, lambda image: image) == {}


@pytest.mark.parametrize(
    ("dockerfile", "message"),
    [
        ("FROM python:3.13-slim\n", "line 1: FROM python:3.13-slim is not a build argument"),
        ("ARG BASE\nFROM ${BASE}\n", "line 2: ARG BASE needs a default before FROM"),
        ("FROM scratch\n", "no FROM line takes its image from a build argument"),
        ("FROM ${LATE}\nARG LATE=python:3\n", "line 1: ARG LATE needs a default before FROM"),
    ],
)
def test_a_dockerfile_that_pins_its_base_images_is_refused(dockerfile: str, message: str) -> None:
    with pytest.raises(DockerfileError, match=re.escape(message)):
        base_image_args(dockerfile)


def test_the_override_sets_build_arguments_and_backing_images_only() -> None:
    spec = ComposeSpec(
        {
            "web": {"build": {"context": "."}, "image": "svc:dev", "ports": ["8000:8000"]},
            "worker": {"build": {"context": "."}, "image": "svc:dev"},
            "postgres": {"image": "${POSTGRES_IMAGE:-postgres:17}"},
            "mailhog": {"image": "mailhog/mailhog"},
        }
    )
    args = build_args(DOCKERFILE, stand_in)
    assert compose_override(spec, args, stand_in) == {
        "services": {
            "web": {"build": {"args": args}},
            "worker": {"build": {"args": args}},
            "postgres": {"image": "local/postgres"},
        }
    }


def test_compose_values_resolve_to_their_defaults() -> None:
    spec = ComposeSpec(
        {
            "web": {
                "environment": {"LOG_LEVEL": "${LOG_LEVEL:-INFO}", "PORT": 8000, "EMPTY": "${X}"},
                "stop_grace_period": "1m30s",
                "ports": ["127.0.0.1:${WEB_PORT:-8000}:8000", "9000:9000/udp"],
            },
            "worker": {"environment": ["A=b=c"]},
        }
    )
    assert spec.environment("web") == {"LOG_LEVEL": "INFO", "PORT": "8000", "EMPTY": ""}
    assert spec.environment("worker") == {"A": "b=c"}
    assert spec.stop_grace_seconds("web") == 90
    assert spec.stop_grace_seconds("worker") == 10  # compose's default
    assert spec.published_host_ports() == [("127.0.0.1", 8000), ("0.0.0.0", 9000)]
    with pytest.raises(KeyError, match=re.escape("compose.yaml has no `beat` service")):
        spec.service("beat")
