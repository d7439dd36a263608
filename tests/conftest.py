import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.generate import cookiecutter_bake, copier_copy, snapshot


def _expose_pyenv_interpreters() -> None:
    """Let uv find every pyenv-installed Python (the generated projects need 3.12/3.13).

    pyenv shims answer only for the versions named in PYENV_VERSION, which pyenv sets
    to the one global version when uv itself runs through a shim; uv would then try to
    download an interpreter. Keep the selected version first and add the others.
    """
    if shutil.which("pyenv") is None:
        return
    installed = subprocess.run(
        ["pyenv", "versions", "--bare"], capture_output=True, text=True, check=False
    ).stdout.split()
    selected = os.environ.get("PYENV_VERSION", "").split(":")
    others = sorted((v for v in installed if v.startswith("3.") and v not in selected), reverse=True)
    os.environ["PYENV_VERSION"] = ":".join(v for v in [*selected, *others] if v)


def pytest_configure(config: pytest.Config) -> None:
    _expose_pyenv_interpreters()


class Renders:
    """Each variant rendered once per session by each engine."""

    def __init__(self, factory: pytest.TempPathFactory, template: Path) -> None:
        self.factory = factory
        self.template = template
        self.cache: dict[tuple[str, str, bool], Path] = {}

    def copier(self, name: str, answers: dict, *, lock: bool = False) -> Path:
        key = ("copier", name, lock)
        if key not in self.cache:
            dst = self.factory.mktemp(f"copier-{name[:40]}") / "project"
            self.cache[key] = copier_copy(answers, dst, lock=lock)
        return self.cache[key]

    def cookiecutter(self, name: str, answers: dict, *, lock: bool = False) -> Path:
        key = ("cookiecutter", name, lock)
        if key not in self.cache:
            out = self.factory.mktemp(f"cookiecutter-{name[:40]}")
            self.cache[key] = cookiecutter_bake(answers, out, self.template, lock=lock)
        return self.cache[key]


@pytest.fixture(scope="session")
def cookiecutter_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template as cookiecutter users get it: the repository's files, no .venv."""
    return snapshot(tmp_path_factory.mktemp("template") / "twelve-factor-service-template")


@pytest.fixture(scope="session")
def renders(tmp_path_factory: pytest.TempPathFactory, cookiecutter_template: Path) -> Renders:
    return Renders(tmp_path_factory, cookiecutter_template)
