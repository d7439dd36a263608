"""The Python a service runs on is named once: .python-version, the image and CI agree.

Local `uv` reads .python-version; the Dockerfile's and compose file's default base image,
requires-python, ruff's target and GitLab's job image all name the same version. The
default is the current release. Tiers 3 and 4 run each offered version for real.
"""

import re
import tomllib

import pytest
import yaml

from tests.generate import TEMPLATE_ROOT
from tests.variants import CHOICES, MINIMAL

pytestmark = pytest.mark.render

CURRENT_RELEASE = "3.14"


def test_the_default_python_is_the_current_release():
    copier_default = yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text())["python_version"]
    assert copier_default["default"] == CURRENT_RELEASE
    assert CHOICES["python_version"][0] == CURRENT_RELEASE  # cookiecutter's default: the first


@pytest.mark.parametrize("version", CHOICES["python_version"])
def test_every_place_names_the_python_of_python_version(renders, version):
    answers = MINIMAL | {"python_version": version, "ci": "gitlab"}
    project = renders.copier(f"python{version}", answers)
    assert (project / ".python-version").read_text() == f"{version}\n"
    dockerfile = (project / "Dockerfile").read_text()
    assert f"ARG PYTHON_IMAGE=python:{version}-slim-" in dockerfile
    assert re.search(
        rf"PYTHON_IMAGE:-python:{re.escape(version)}-slim-", (project / "compose.yaml").read_text()
    )
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["requires-python"] == f">={version}"
    assert pyproject["tool"]["ruff"]["target-version"] == f"py{version.replace('.', '')}"
    gitlab = yaml.safe_load((project / ".gitlab-ci.yml").read_text())
    assert f"-python{version}-" in gitlab["default"]["image"]


def test_github_ci_takes_python_from_python_version(renders):
    project = renders.copier("python-github", MINIMAL | {"ci": "github"})
    workflow = (project / ".github" / "workflows" / "ci.yml").read_text()
    assert "python-version:" not in workflow
    assert "PYTHON_VERSION" not in workflow
