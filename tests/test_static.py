"""Tier 2: every variant's own linters and offline validators pass on what it generates.

Each validator runs on the files a user gets (or, for Kubernetes, on what the
overlays render, since kustomize silently drops a patch that matches nothing).
Everything works offline: schemas and rules are bundled with the PyPI packages.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from kubernetes_validate.utils import SchemaNotFoundError, ValidationError

from tests.deploy_artifacts import (
    OVERLAYS,
    load_documents,
    variant_params,
)
from tests.variants import DEFAULT, RENDER_VARIANTS

# The `projects` and `kustomize` fixtures.
pytest_plugins = ["tests.deploy_fixtures"]
pytestmark = pytest.mark.static

BIN = Path(sys.executable).parent
CHECKOV_SKIPS_FILE = Path(__file__).with_name("checkov-skips.yaml")
CHECKOV_SKIPS: dict[str, str] = yaml.safe_load(CHECKOV_SKIPS_FILE.read_text())
# The oldest Kubernetes the manifests support, and the newest the schemas know.
KUBERNETES_VERSIONS = ("1.30.0", kubernetes_validate.latest_version())
DEFAULT_NAME = next(name for name, answers in RENDER_VARIANTS.items() if answers == DEFAULT)


def tool(name: str) -> str:
    """A validator from this repository's environment (uv sync installs them all)."""
    found = BIN / name
    return str(found) if found.exists() else shutil.which(name) or name


def run_tool(cmd: list[str], cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False, **kwargs)
    assert result.returncode == 0, (
        f"{' '.join(cmd)} failed in {cwd} ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    )
    return result


@pytest.fixture(params=variant_params())
def project(request, projects):
    return projects(request.param)


# --- the generated project's own linters ---------------------------------------------


def test_ruff_check_passes(project):
    run_tool([sys.executable, "-m", "ruff", "check", "--no-cache", "."], project.root)


def test_ruff_format_leaves_every_file_unchanged(project):
    run_tool([sys.executable, "-m", "ruff", "format", "--no-cache", "--check", "."], project.root)


def test_yaml_passes_yamllint_with_the_projects_config(project):
    assert (project.root / ".yamllint.yaml").is_file()
    run_tool([tool("yamllint"), "--strict", "."], project.root)


def test_pre_commit_config_is_valid_and_runs_every_linter(project):
    run_tool([tool("pre-commit"), "validate-config", ".pre-commit-config.yaml"], project.root)
    config = yaml.safe_load((project.root / ".pre-commit-config.yaml").read_text())
    hooks = {hook["id"] for repo in config["repos"] for hook in repo["hooks"]}
    expected = {"ruff-check", "ruff-format", "hadolint", "yamllint", "check-compose-spec"}
    expected |= {
        "github": {"check-github-workflows", "check-dependabot"},
        "gitlab": {"check-gitlab-ci", "check-renovate"},
        "none": {"check-renovate"},
    }[project.recorded["ci"]]
    assert hooks == expected


# --- Dockerfile ------------------------------------------------------------------------


def test_dockerfile_passes_hadolint(project):
    # No config file: every rule applies, and any finding (even "info") fails.
    run_tool([tool("hadolint"), "--failure-threshold", "info", "Dockerfile"], project.root)


def test_base_images_are_build_args_with_pinned_defaults(project):
    """Every FROM names a build argument (CI passes its own images) whose default is pinned."""
    instructions = project.dockerfile
    first_from = next(i for i, (name, _) in enumerate(instructions) if name == "FROM")
    global_args = dict(
        args.partition("=")[::2] for name, args in instructions[:first_from] if name == "ARG"
    )
    stages = set()
    for name, args in instructions:
        if name != "FROM":
            continue
        image, _, stage = args.partition(" AS ")
        found = re.fullmatch(r"\$\{(\w+)\}", image.strip())
        assert found, f"FROM {image} is not a build argument"
        default = global_args.get(found.group(1), "")
        assert re.fullmatch(r"[\w./-]+:[\w.-]+", default), (
            f"ARG {found.group(1)} default {default!r} names no tag"
        )
        assert not default.endswith(":latest")
        stages.add(stage.strip())
    assert {"uv", "build", "runtime"} <= stages
    # compose builds with the same defaults unless the environment overrides them.
    compose_args = project.compose["x-app"]["build"]["args"]
    for arg, default in global_args.items():
        if arg.endswith("_IMAGE"):
            assert compose_args[arg] == f"${{{arg}:-{default}}}"


def test_runtime_stage_runs_unprivileged_without_uv(project):
    instructions = project.dockerfile
    runtime_start = max(i for i, (name, _) in enumerate(instructions) if name == "FROM")
    runtime = instructions[runtime_start:]
    users = [args for name, args in runtime if name == "USER"]
    assert users, "the runtime stage sets no USER"
    uid = users[-1].split(":")[0]
    assert uid.isdigit(), f"USER {users[-1]} is not numeric"
    assert int(uid) >= 10000, f"USER {users[-1]} is below 10000"
    copies = [args for name, args in runtime if name == "COPY"]
    assert copies == ["--from=build /app/.venv /app/.venv"], "only the venv enters the image"
    assert project.dockerfile_exec_form("ENTRYPOINT") == ["python", "-m", project.package]
    labels = " ".join(args for name, args in runtime if name == "LABEL")
    assert 'org.opencontainers.image.version="${VERSION}"' in labels
    assert 'org.opencontainers.image.revision="${VCS_REF}"' in labels
    build = instructions[:runtime_start]
    syncs = [i for i, (name, args) in enumerate(build) if name == "RUN" and "uv sync" in args]
    code = [i for i, (name, args) in enumerate(build) if name == "COPY" and args.startswith("src ")]
    assert len(syncs) == 2, "one sync of the dependencies, one of the service"
    assert len(code) == 1, "the service's code is copied once"
    assert all("--locked" in build[i][1] for i in syncs), "both install from the lock"
    assert "--no-install-project" in build[syncs[0]][1], "dependencies first, from the lock alone"
    assert syncs[0] < code[0] < syncs[1], "dependencies install before the code is copied"


def test_dockerignore_keeps_local_state_and_secrets_out(project):
    ignored = set((project.root / ".dockerignore").read_text().split())
    assert {"**/.env", "**/.venv", ".git", "tests", "**/*.secret.env"} <= ignored


# --- Kubernetes ------------------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_renders_valid_manifests_for_supported_kubernetes(project, overlay):
    """Strict schemas (unknown fields fail); an API removed in a version fails too."""
    documents = load_documents(project.overlay_yaml(overlay))
    assert documents, f"overlay {overlay} renders nothing"
    problems = []
    for version in KUBERNETES_VERSIONS:
        for doc in documents:
            where = f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')} on {version}"
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except ValidationError as error:
                path = ".".join(str(part) for part in error.path)
                problems.append(f"{where}: {path}: {error.message}")
            except SchemaNotFoundError as error:
                problems.append(f"{where}: {error.message}")
    assert not problems, "\n".join(problems)


def checkov(directory: Path, *options: str) -> list[dict]:
    """checkov's JSON report for `directory`, one entry per framework."""
    result = subprocess.run(
        [
            tool("checkov"),
            "--directory",
            str(directory),
            "--framework",
            "kubernetes",
            "dockerfile",
            "--output",
            "json",
            "--quiet",
            "--compact",
            "--skip-download",
            *options,
        ],
        capture_output=True,
        text=True,
        check=False,
        # No calls home: no check-to-guideline mapping, no new-version check on PyPI.
        env=os.environ | {"BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "TRUE"},
    )
    assert result.returncode in (0, 1), f"checkov crashed:\n{result.stderr}"
    report = json.loads(result.stdout)
    return report if isinstance(report, list) else [report]


def checkov_input(project) -> Path:
    """The Dockerfile and every overlay's rendered manifests in one directory."""
    directory = project.scratch / "checkov"
    if not directory.exists():
        directory.mkdir()
        shutil.copy(project.root / "Dockerfile", directory / "Dockerfile")
        for overlay in OVERLAYS:
            (directory / f"{overlay}.yaml").write_text(project.overlay_yaml(overlay))
    return directory


def failed_checks(report: list[dict]) -> list[str]:
    return [
        f"{check['check_id']} {check['check_name']}: {check['resource']} ({check['file_path']})"
        for framework in report
        if isinstance(framework.get("results"), dict)
        for check in framework["results"]["failed_checks"]
    ]


def test_checkov_finds_nothing_beyond_the_listed_skips(project):
    report = checkov(checkov_input(project), "--skip-check", ",".join(CHECKOV_SKIPS))
    frameworks = {framework["check_type"] for framework in report}
    assert frameworks == {"kubernetes", "dockerfile"}, f"checkov scanned {frameworks}"
    for framework in report:
        assert framework["summary"]["parsing_errors"] == 0, framework["check_type"]
        assert framework["summary"]["passed"] > 0, framework["check_type"]
    assert not failed_checks(report), "\n".join(failed_checks(report))


def test_every_checkov_skip_has_a_reason():
    assert CHECKOV_SKIPS, "the skip list is empty: delete the file and its use instead"
    for check, reason in CHECKOV_SKIPS.items():
        assert re.fullmatch(r"CKV2?_[A-Z0-9]+_\d+", check), check
        assert isinstance(reason, str), check
        assert len(reason.split()) >= 10, f"{check}: explain why"


def test_every_checkov_skip_is_still_needed(projects):
    """Run only the skipped checks on the default service: each must still fail there."""
    report = checkov(checkov_input(projects(DEFAULT_NAME)), "--check", ",".join(CHECKOV_SKIPS))
    failing = {line.split()[0] for line in failed_checks(report)}
    assert failing == set(CHECKOV_SKIPS), f"no longer needed: {set(CHECKOV_SKIPS) - failing}"


# --- compose and CI ------------------------------------------------------------------------


def check_jsonschema(project, schema: str, *files: str, transform: str | None = None) -> None:
    options = ["--data-transform", transform] if transform else []
    run_tool([tool("check-jsonschema"), "--builtin-schema", schema, *options, *files], project.root)


def test_compose_file_matches_the_compose_spec(project):
    check_jsonschema(project, "vendor.compose-spec", "compose.yaml")


def test_ci_configuration_matches_its_schema(project):
    root = project.root
    ci = project.recorded["ci"]
    github, gitlab = root / ".github", root / ".gitlab-ci.yml"
    if ci == "github":
        assert not gitlab.exists()
        check_jsonschema(
            project,
            "vendor.github-workflows",
            ".github/workflows/ci.yml",
            ".github/workflows/template-update.yml",
        )
        check_jsonschema(project, "vendor.dependabot", ".github/dependabot.yml")
    elif ci == "gitlab":
        assert not github.exists()
        check_jsonschema(project, "vendor.gitlab-ci", ".gitlab-ci.yml", transform="gitlab-ci")
    else:
        assert not github.exists()
        assert not gitlab.exists()
    if ci == "github":
        assert not (root / "renovate.json").exists()
    else:
        check_jsonschema(project, "vendor.renovate", "renovate.json")


def test_the_template_update_workflow_passes_actionlint_and_zizmor(projects):
    """The workflow that opens template-update pull requests: pinned, least privilege."""
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed (.ci/install-container-engine installs it)")
    root = projects(DEFAULT_NAME).root
    workflow = ".github/workflows/template-update.yml"
    run_tool([tool("actionlint"), "-shellcheck", shutil.which("shellcheck"), workflow], root)
    run_tool([tool("zizmor"), "--offline", "--no-progress", workflow], root)


def test_the_template_update_job_passes_shellcheck(projects, tmp_path):
    """GitLab's scheduled job: its shell lines as one POSIX script, as the runner runs them."""
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed (.ci/install-container-engine installs it)")
    gitlab = next(
        name for name, answers in RENDER_VARIANTS.items() if answers.get("ci") == "gitlab"
    )
    job = yaml.safe_load((projects(gitlab).root / ".gitlab-ci.yml").read_text())
    job = job["template-update"]
    assert job["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "schedule" && $TEMPLATE_UPDATE_TOKEN'}]
    script = tmp_path / "template-update.sh"
    script.write_text("\n".join(["#!/bin/sh", "set -e", *job["before_script"], *job["script"]]))
    run_tool([shutil.which("shellcheck"), "--shell=sh", str(script)], tmp_path)


def test_ci_tests_against_the_backing_services_the_variant_uses(project):
    """The test job gets exactly the service containers the chosen options need."""
    ci = project.recorded["ci"]
    expected = set()
    if project.has_postgres:
        expected.add("postgres")
    if project.recorded["cache"] == "redis" or project.has_celery:
        expected.add("redis")
    if project.has_celery and project.recorded["broker"] == "rabbitmq":
        expected.add("rabbitmq")
    if ci == "none":
        assert not (project.root / ".github").exists()
        assert not (project.root / ".gitlab-ci.yml").exists()
        return
    if ci == "github":
        workflow = yaml.safe_load((project.root / ".github/workflows/ci.yml").read_text())
        assert set(workflow["jobs"]) == {"lint", "test", "image"}
        services = set(workflow["jobs"]["test"].get("services", {}))
    else:
        pipeline = yaml.safe_load((project.root / ".gitlab-ci.yml").read_text())
        assert {"lint", "test", "build-image"} <= set(pipeline)
        services = {entry["alias"] for entry in pipeline["test"].get("services", [])}
    assert services == expected
