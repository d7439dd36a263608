import json
from pathlib import Path

import pytest

from tests.generate import cookiecutter_bake, copier_copy, expose_pyenv_interpreters, snapshot
from tests.sid_python import expose_sid_interpreters


def pytest_configure(config: pytest.Config) -> None:
    expose_pyenv_interpreters()
    expose_sid_interpreters()  # 3.14 and 3.15 (built once, about 45 s, then cached)


class Renders:
    """Each variant rendered once per session by each engine.

    Keyed by the answers too: two tiers may give different answer sets the same name.
    """

    def __init__(self, factory: pytest.TempPathFactory, template: Path) -> None:
        self.factory = factory
        self.template = template
        self.cache: dict[tuple[str, str, bool, str], Path] = {}

    def copier(self, name: str, answers: dict, *, lock: bool = False) -> Path:
        key = ("copier", name, lock, json.dumps(answers, sort_keys=True))
        if key not in self.cache:
            dst = self.factory.mktemp(f"copier-{name[:40]}") / "project"
            self.cache[key] = copier_copy(answers, dst, lock=lock)
        return self.cache[key]

    def cookiecutter(self, name: str, answers: dict, *, lock: bool = False) -> Path:
        key = ("cookiecutter", name, lock, json.dumps(answers, sort_keys=True))
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
