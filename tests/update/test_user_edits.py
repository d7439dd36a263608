"""A service from the oldest release, edited as teams edit theirs, updated to HEAD.

The edits: a new route with its test and its contract, a dependency it uses, the
README's opening paragraph, a value in the prod overlay, and the real secrets in the
overlays' git-ignored env files.
"""

import re
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.generate import recorded_answers
from tests.template_versions import TemplateClone
from tests.update.service import (
    commit,
    conflicts,
    different,
    generate,
    keep_both_sides,
    replace_once,
    shipped,
    update,
    uv,
)
from tests.variants import DEFAULT

pytestmark = pytest.mark.update

PACKAGE = "my_service"  # from DEFAULT's project name
# Generated from the code, so a conflict there is resolved by generating it again.
REGENERATED = {
    "openapi.json": [
        "--env-file",
        ".env",
        "python",
        "-m",
        PACKAGE,
        "openapi",
        "--output",
        "openapi.json",
    ]
}

SIZES_MODULE = f'''"""Sizes: a byte count in words people read, such as "3.0 MB"."""

import humanize
from fastapi import APIRouter
from pydantic import BaseModel

from {PACKAGE}.errors import ERROR_RESPONSES

router = APIRouter(prefix="/v1/sizes", tags=["sizes"], responses=ERROR_RESPONSES)


class Size(BaseModel):
    text: str


@router.get("/{{count}}", summary="Say a byte count in words")
async def describe_size(count: int) -> Size:
    return Size(text=humanize.naturalsize(count))
'''
SIZES_TEST = """def test_a_byte_count_reads_as_words(client):
    response = client.get("/v1/sizes/3000000")
    assert response.status_code == 200
    assert response.json() == {"text": "3.0 MB"}
"""
ADDED = {f"src/{PACKAGE}/api/sizes.py", "tests/test_sizes.py"}
DESCRIPTION = "A 12-factor Python web service."  # copier.yml's default
README_PARAGRAPH = (
    "Turns byte counts into words for the billing team. Owned by the Platform\n"
    "team; ask in #platform before changing its API.\n"
)
PROD_OVERLAY = "k8s/overlays/prod/kustomization.yaml"
LOCAL_SETTING = "LOG_FORMAT=console\n"
SECRET_VALUES = "DATABASE_URL=postgresql://billing:s3cret@db.internal:5432/billing\n"
# Conflicts here come from both sides adding to one list (dependencies, imports,
# routers): keeping both sides resolves them, and tools check the result.
KEEP_BOTH_SIDES = {"pyproject.toml", f"src/{PACKAGE}/app.py"}
CHANGED = {
    f"src/{PACKAGE}/app.py",
    "pyproject.toml",
    "uv.lock",
    "openapi.json",
    "README.md",
    PROD_OVERLAY,
}


def secret_files(project: Path, overlay: str) -> list[Path]:
    """The git-ignored env files an overlay's kustomization turns into its Secret."""
    folder = project / "k8s" / "overlays" / overlay
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    return [folder / env for gen in kustomization.get("secretGenerator", []) for env in gen["envs"]]


def register_router(app: Path, module: str) -> None:
    """Import the module with its siblings, in isort's order, and include its router last."""
    imports = re.search(rf"^from {PACKAGE}\.api import (.+)$", app.read_text(), re.MULTILINE)
    assert imports, f"{app.name}: no `from {PACKAGE}.api import ...` line to extend"
    names = ", ".join(sorted([*imports[1].split(", "), module]))
    replace_once(app, imports[0], f"from {PACKAGE}.api import {names}")
    included = f"    app.include_router({module}.router)\n    return app\n"
    replace_once(app, "    return app\n", included)


def make_typical_edits(project: Path) -> None:
    """Add the ADDED files and change the CHANGED ones, as a team would."""
    package = project / "src" / PACKAGE
    (package / "api" / "sizes.py").write_text(SIZES_MODULE)
    (project / "tests" / "test_sizes.py").write_text(SIZES_TEST)
    register_router(package / "app.py", "sizes")
    uv(project, "add", "--quiet", "humanize>=4.9")
    # Local settings, git-ignored; the command that writes openapi.json reads them.
    shutil.copy(project / ".env.example", project / ".env")
    (project / ".env").write_text((project / ".env").read_text() + LOCAL_SETTING)
    uv(project, "run", "--frozen", *REGENERATED["openapi.json"])
    # The opening paragraph, the answer to `description`, now in the team's words.
    replace_once(project / "README.md", f"\n{DESCRIPTION}\n", f"\n{README_PARAGRAPH}")
    replace_once(
        project / PROD_OVERLAY,
        "path: /spec/maxReplicas\n        value: 10\n",
        "path: /spec/maxReplicas\n        value: 20\n",
    )
    for overlay in ("staging", "prod"):
        for secrets in secret_files(project, overlay):
            secrets.write_text(SECRET_VALUES)


def locked_version(project: Path, package: str) -> str:
    lock = tomllib.loads((project / "uv.lock").read_text())
    return next(entry["version"] for entry in lock["package"] if entry["name"] == package)


def resolve_as_documented(project: Path, conflicted: set[str]) -> None:
    """What docs/updating.md tells a team to do with the conflicts an update leaves."""
    for path in conflicted & KEEP_BOTH_SIDES:
        keep_both_sides(project / path)
    if "pyproject.toml" in conflicted:
        uv(project, "lock", "--quiet")  # the update could not re-lock a conflicted file
    uv(project, "sync", "--locked", "--quiet")
    if python := sorted(path for path in conflicted if path.endswith(".py")):
        uv(project, "run", "--frozen", "ruff", "check", "--fix", "--quiet", *python)
        uv(project, "run", "--frozen", "ruff", "format", "--quiet", *python)
    for path in conflicted & REGENERATED.keys():
        uv(project, "run", "--frozen", *REGENERATED[path])


@dataclass(frozen=True)
class Updated:
    project: Path
    conflicted: set[str]  # as the update left them; resolved since
    locked_before: str  # the added dependency's version in uv.lock before updating
    fresh: Path  # a fresh copy of HEAD with the same answers


@pytest.fixture(scope="module")
def updated(template: TemplateClone, tmp_path_factory: pytest.TempPathFactory) -> Updated:
    work = tmp_path_factory.mktemp("edited")
    project = generate(template, template.oldest.version, DEFAULT, work / "service", lock=True)
    uv(project, "sync", "--locked", "--quiet")
    make_typical_edits(project)
    commit(project, "Add /v1/sizes; our README; more prod replicas")
    locked_before = locked_version(project, "humanize")
    update(project, "HEAD", lock=True)
    conflicted = conflicts(project)
    resolve_as_documented(project, conflicted)
    fresh = generate(template, "HEAD", DEFAULT, work / "fresh", lock=True)
    return Updated(project, conflicted, locked_before, fresh)


def test_no_conflicts_in_files_the_user_did_not_touch(updated):
    assert not updated.conflicted - CHANGED


def test_conflicts_only_where_keeping_both_sides_or_regenerating_resolves_them(updated):
    assert not updated.conflicted - KEEP_BOTH_SIDES - REGENERATED.keys(), (
        "a typical edit now conflicts with a change of the template on the same lines; "
        "make that change merge-friendly, or say in CHANGELOG.md how to resolve it"
    )


def test_the_users_edits_are_kept(updated):
    project = updated.project
    assert (project / "src" / PACKAGE / "api" / "sizes.py").read_text() == SIZES_MODULE
    assert (project / "tests" / "test_sizes.py").read_text() == SIZES_TEST
    assert "app.include_router(sizes.router)" in (project / "src" / PACKAGE / "app.py").read_text()
    assert README_PARAGRAPH in (project / "README.md").read_text()
    assert '"humanize>=4.9"' in (project / "pyproject.toml").read_text()
    assert 'name = "humanize"' in (project / "uv.lock").read_text()
    assert "path: /spec/maxReplicas\n        value: 20\n" in (project / PROD_OVERLAY).read_text()


def test_the_users_local_settings_are_left_alone(updated):
    assert (updated.project / ".env").read_text().endswith(LOCAL_SETTING)


def test_the_users_secrets_are_where_the_updated_overlays_read_them(updated):
    for overlay in ("staging", "prod"):
        files = secret_files(updated.project, overlay)
        assert files, f"the {overlay} overlay reads no secrets file"
        for secrets in files:
            assert secrets.exists(), f"{secrets.name} was not moved with its template counterpart"
            assert secrets.read_text() == SECRET_VALUES


def test_the_untouched_files_equal_a_fresh_copy_of_head(updated):
    project, fresh = updated.project, updated.fresh
    expected, actual = shipped(fresh), shipped(project)
    assert actual - expected == ADDED
    assert expected - actual == set()
    assert different(project, fresh, expected - CHANGED) == []


def test_the_uv_lock_matches_the_merged_pyproject(updated):
    uv(updated.project, "lock", "--check")


def test_the_added_dependency_keeps_its_locked_version(updated):
    assert locked_version(updated.project, "humanize") == updated.locked_before


def test_the_answers_file_records_head(updated, template):
    assert recorded_answers(updated.project)["_commit"] == template.describe("HEAD")
    assert recorded_answers(updated.project) == recorded_answers(updated.fresh)


def test_the_updated_service_passes_its_own_checks(updated):
    project = updated.project
    uv(project, "sync", "--locked", "--quiet")
    uv(project, "run", "--frozen", "ruff", "check", ".")
    uv(project, "run", "--frozen", "ruff", "format", "--check", ".")
    suite = uv(project, "run", "--frozen", "pytest", "-p", "no:cacheprovider")
    assert " passed" in suite.stdout.splitlines()[-1]
