"""Tier 2: the dev loop's files agree with the process model, in every variant.

- compose.dev.yaml matches the compose spec; it only adds to compose.yaml's services
  (`develop.watch` on every process built from the image) and a `dev` service for the
  dev container, with the same backing-service URLs as the processes.
- .devcontainer/devcontainer.json names compose files that exist and services they define.
- Procfile.dev runs the Procfile's processes (release before web) with web reloading.

No JSON schema of devcontainer.json can be had offline here (it lives in the devcontainers/
spec repository and on schemastore.org, neither reachable, and no PyPI or npm package
ships it), so its structure is checked field by field against what the spec requires.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.deploy_artifacts import variant_params

pytest_plugins = ["tests.deploy_fixtures"]
pytestmark = pytest.mark.static

BIN = Path(sys.executable).parent
URL_SETTINGS = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")


@pytest.fixture(params=variant_params())
def project(request, projects):
    return projects(request.param)


def compose_dev(project) -> dict:
    return yaml.safe_load((project.root / "compose.dev.yaml").read_text())


def test_compose_dev_matches_the_compose_spec(project):
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec",
         "compose.dev.yaml"],
        cwd=project.root, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_dev_watches_every_process_of_the_image(project):
    base, dev = project.compose, compose_dev(project)
    image = base["x-app"]["image"]
    long_running = {
        name
        for name, service in base["services"].items()
        if service.get("image") == image and service.get("restart") == "unless-stopped"
    }
    watched = {name for name, service in dev["services"].items() if "develop" in service}
    assert watched == long_running
    for name in watched:
        rules = dev["services"][name]["develop"]["watch"]
        assert {(rule["action"], rule["path"]) for rule in rules} == {
            ("rebuild", "src"),
            ("rebuild", "pyproject.toml"),
            ("rebuild", "uv.lock"),
        }
    assert set(dev["services"]) - {"dev"} <= set(base["services"]), "adds no process"


def test_dev_service_reaches_the_backing_services_as_the_processes_do(project):
    base, dev = project.compose, compose_dev(project)
    app_env = base["x-app"]["environment"]
    dev_service = dev["services"]["dev"]
    urls = {name: app_env[name] for name in URL_SETTINGS if name in app_env}
    assert {name: dev_service["environment"].get(name) for name in urls} == urls
    assert set(dev_service["environment"]) & set(URL_SETTINGS) == set(urls)
    backing = {name for name in base["services"] if name in {"postgres", "redis", "rabbitmq"}}
    assert set(dev_service.get("depends_on", {})) == backing
    assert dev_service["profiles"] == ["dev"], "`up` and `watch` must leave it out"


def test_devcontainer_uses_the_compose_services(project):
    config = json.loads((project.root / ".devcontainer" / "devcontainer.json").read_text())
    folder = project.root / ".devcontainer"
    files = [(folder / name).resolve() for name in config["dockerComposeFile"]]
    assert files == [project.root / "compose.yaml", project.root / "compose.dev.yaml"]
    services = set(project.compose["services"]) | set(compose_dev(project)["services"])
    assert config["service"] == "dev"
    assert set(config["runServices"]) <= services
    backing = {
        name for name in project.compose["services"] if name in {"postgres", "redis", "rabbitmq"}
    }
    assert set(config["runServices"]) == {"dev"} | backing
    # The spec's required fields for a compose-based dev container, and their types.
    assert isinstance(config["workspaceFolder"], str)
    assert config["shutdownAction"] in {"none", "stopCompose"}
    assert all(isinstance(port, int) for port in config["forwardPorts"])
    known = {
        "name", "dockerComposeFile", "service", "runServices", "workspaceFolder",
        "shutdownAction", "postCreateCommand", "forwardPorts", "customizations",
    }  # fmt: skip
    assert set(config) <= known


def test_procfile_dev_runs_the_procfile_processes(project):
    procfile = dict(re.findall(r"^(\w+): (.+)$", (project.root / "Procfile").read_text(), re.M))
    dev = dict(re.findall(r"^(\w+): (.+)$", (project.root / "Procfile.dev").read_text(), re.M))
    assert set(dev) == set(procfile) - {"release"}
    package = project.package
    web = f"exec uv run python -m {package}.dev"
    if "release" in procfile:
        assert dev["web"] == f"uv run {procfile['release']} && {web}"
    else:
        assert dev["web"] == web
    for name in set(dev) - {"web"}:
        assert dev[name] == f"exec uv run {procfile[name]}"
