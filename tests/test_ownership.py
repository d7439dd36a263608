"""Every generated file has an owner, written down in docs/updating.md (tier 1).

The ownership table decides how `copier update` treats each file; these tests keep it
complete (no generated file without a row), free of dead rows, and in step with what
copier.yml actually does for team-owned files (`_skip_if_exists`).
"""

import fnmatch
import re
import subprocess
from pathlib import Path

import pathspec
import pytest
import yaml

from tests.generate import TEMPLATE_ROOT, recorded_answers
from tests.variants import RENDER_VARIANTS

pytestmark = pytest.mark.render

OWNERS = {"team", "derived", "shared", "template"}


def ownership_rows() -> list[tuple[str, str]]:
    """(pattern, owner) for each row of docs/updating.md's ownership table, in order."""
    text = (TEMPLATE_ROOT / "docs" / "updating.md").read_text()
    table = text.split("<!-- ownership -->", 1)[1].split("<!-- /ownership -->", 1)[0]
    rows = []
    for line in table.strip().splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows.append((re.fullmatch(r"`([^`]+)`", cells[0])[1], cells[1]))
    return rows


def generated_files(project: Path) -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files"], cwd=project, capture_output=True, text=True, check=True
    )
    return listed.stdout.split()


def owner_row(path: str, package: str, rows: list[tuple[str, str]]) -> int | None:
    for index, (pattern, _) in enumerate(rows):
        if fnmatch.fnmatchcase(path, pattern.replace("<package>", package)):
            return index
    return None


def test_the_table_names_known_owners_only():
    rows = ownership_rows()
    assert rows
    assert {owner for _, owner in rows} <= OWNERS


def test_every_generated_file_has_a_row_and_every_row_a_file(renders):
    rows = ownership_rows()
    used: set[int] = set()
    for name, answers in RENDER_VARIANTS.items():
        project = renders.copier(name, answers)
        package = recorded_answers(project)["package_name"]
        # Render-only projects skip the hook's `uv lock`; every real service has a uv.lock.
        for path in [*generated_files(project), "uv.lock"]:
            row = owner_row(path, package, rows)
            assert row is not None, f"{name}: {path} is in no row of docs/updating.md"
            used.add(row)
    unused = [rows[index][0] for index in range(len(rows)) if index not in used]
    assert not unused, f"rows that match no generated file: {unused}"


def test_team_owned_files_are_exactly_what_copier_never_updates():
    config = yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text())
    skipped = {
        pattern.replace("{{ package_name }}", "<package>").removeprefix("/")
        for pattern in config["_skip_if_exists"]
    }
    team = {pattern for pattern, owner in ownership_rows() if owner == "team"}
    # .env is git-ignored and never generated, so it has no row; it is skipped all the same.
    assert skipped - {".env"} == team


def test_copier_skips_exactly_the_team_owned_files(renders):
    """Matched as copier matches `_skip_if_exists` (gitignore-style), file by file."""
    config = yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text())
    rows = ownership_rows()
    for name in ("default", "minimal"):
        project = renders.copier(name, RENDER_VARIANTS[name])
        package = recorded_answers(project)["package_name"]
        patterns = [p.replace("{{ package_name }}", package) for p in config["_skip_if_exists"]]
        skipped = pathspec.PathSpec.from_lines("gitwildmatch", patterns)
        for path in generated_files(project):
            team = rows[owner_row(path, package, rows)][1] == "team"
            assert skipped.match_file(path) == team, f"{name}: {path}"
