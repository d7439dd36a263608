"""A service from the oldest release, edited as teams edit theirs, updated to HEAD.

The oldest release predates the update-safe layout, so this update is the one-time
migration CHANGELOG.md describes: it may conflict where the team edited files the new
layout restructures, and only there. The edits: a new route with its test and its
contract, registered in app.py as that release asked, a dependency it uses, the
README's opening paragraph, a value in the prod overlay, and the real secrets in the
overlays' git-ignored env files. Resolved as the CHANGELOG says, the service keeps all
of it and passes its own checks.
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
    CONFLICT_DIVIDERS,
    CONFLICT_END,
    CONFLICT_START,
    commit,
    conflicts,
    different,
    generate,
    replace_once,
    shipped,
    update,
    uv,
)
from tests.update.service import UPDATABLE as DEFAULT

pytestmark = pytest.mark.update

PACKAGE = "my_service"  # from DEFAULT's project name

SIZES_MODULE = f'''"""Sizes: a byte count in words people read, such as "3.0 MB"."""

from typing import Annotated

import humanize
from fastapi import APIRouter, Path
from pydantic import BaseModel

from {PACKAGE}.errors import ERROR_RESPONSES

router = APIRouter(prefix="/v1/sizes", tags=["sizes"], responses=ERROR_RESPONSES)


class Size(BaseModel):
    text: str


@router.get("/{{count}}", summary="Say a byte count in words")
async def describe_size(count: Annotated[int, Path(ge=0, le=2**63 - 1)]) -> Size:
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
PROD_TUNING = "k8s/overlays/prod/tuning/kustomization.yaml"
LOCAL_SETTING = "LOG_FORMAT=console\n"
SECRET_VALUES = "DATABASE_URL=postgresql://billing:s3cret@db.internal:5432/billing\n"
# The files the new layout restructures that these edits touched: the migration's
# conflicts may only be here (CHANGELOG.md, "The update-safe layout").
MIGRATION_CONFLICTS = {f"src/{PACKAGE}/app.py", "pyproject.toml", PROD_OVERLAY}
CHANGED = {"README.md", "uv.lock", *MIGRATION_CONFLICTS}


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
    uv(
        project,
        "run",
        "--frozen",
        "--env-file",
        ".env",
        "python",
        "-m",
        PACKAGE,
        "openapi",
        "--output",
        "openapi.json",
    )
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


def take_the_templates_side(path: Path) -> None:
    """Resolve each conflict in `path` with the template's lines: the migration's step 2."""
    kept, side = [], None
    for line in path.read_text().splitlines(keepends=True):
        if line.startswith(CONFLICT_START):
            side = "ours"
        elif side and line.startswith(CONFLICT_DIVIDERS):
            side = "theirs"
        elif side and line.startswith(CONFLICT_END):
            side = None
        elif side != "ours":
            kept.append(line)
    path.write_text("".join(kept))


def resolve_as_the_changelog_says(project: Path, conflicted: set[str]) -> None:
    """CHANGELOG.md's steps for moving a service to the update-safe layout."""
    for path in conflicted:
        take_the_templates_side(project / path)
    # app.py: routers are discovered now, so the team's include_router line is not needed.
    if "pyproject.toml" in conflicted:
        uv(project, "add", "--quiet", "--no-sync", "humanize>=4.9")  # into the team's list
    if PROD_OVERLAY in conflicted:  # the scale lives in tuning/ now
        replace_once(
            project / PROD_TUNING,
            "path: /spec/maxReplicas\n        value: 10\n",
            "path: /spec/maxReplicas\n        value: 20\n",
        )
    uv(project, "lock", "--quiet")
    uv(project, "sync", "--locked", "--quiet")
    uv(project, "run", "--frozen", "python", "-m", PACKAGE, "derive")


@dataclass(frozen=True)
class Updated:
    project: Path
    conflicted: set[str]  # as the update left them; resolved since
    hunks: int  # conflict blocks among them
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
    hunks = conflict_hunks(project, conflicted)
    print(f"migration conflicts: {len(conflicted)} files, {hunks} hunks: {sorted(conflicted)}")
    resolve_as_the_changelog_says(project, conflicted)
    fresh = generate(template, "HEAD", DEFAULT, work / "fresh", lock=True)
    return Updated(project, conflicted, hunks, locked_before, fresh)


def conflict_hunks(project: Path, conflicted: set[str]) -> int:
    return sum((project / path).read_text().count(CONFLICT_START) or 1 for path in conflicted)


def test_the_migration_conflicts_only_where_the_new_layout_restructures(updated):
    assert not updated.conflicted - MIGRATION_CONFLICTS, (
        "a typical edit of the old layout conflicts outside the files CHANGELOG.md's "
        "migration steps name"
    )


def test_the_users_edits_are_kept(updated):
    project = updated.project
    assert (project / "src" / PACKAGE / "api" / "sizes.py").read_text() == SIZES_MODULE
    assert (project / "tests" / "test_sizes.py").read_text() == SIZES_TEST
    assert '"/v1/sizes/{count}"' in (project / "openapi.json").read_text()  # discovered
    assert README_PARAGRAPH in (project / "README.md").read_text()
    assert '"humanize>=4.9"' in (project / "pyproject.toml").read_text()
    assert 'name = "humanize"' in (project / "uv.lock").read_text()
    assert "path: /spec/maxReplicas\n        value: 20\n" in (project / PROD_TUNING).read_text()


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
    derived = {"openapi.json", ".env.example", "docs/settings.md", PROD_TUNING}
    assert different(project, fresh, expected - CHANGED - derived) == []


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
