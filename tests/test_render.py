"""Tier 1: every variant renders under both engines, identically, with no template left over."""

import re
import stat
import subprocess
from pathlib import Path

import pytest

from tests.generate import ANSWERS_FILE, copier_copy, environment, recorded_answers
from tests.variants import MINIMAL, RENDER_VARIANTS

pytestmark = pytest.mark.render

# Jinja statements and comments, or expressions over the template's own variables.
# (Other `{{ }}` survive on purpose: GitHub Actions expressions, Go templates for docker.)
LEFTOVER = re.compile(r"\{%|%\}|\{#-?\s|\{\{-?\s*(cookiecutter|_copier\w*)\b|cookiecutter\.\w")


def tree(root: Path) -> dict[str, tuple[bytes, int]]:
    """Relative path -> (content, permission bits) of every file, .git and answers aside."""
    files = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if relative == ".git" or relative.startswith(".git/") or relative == ANSWERS_FILE:
            continue
        if path.is_file():
            files[relative] = (path.read_bytes(), stat.S_IMODE(path.stat().st_mode))
    return files


@pytest.fixture(params=list(RENDER_VARIANTS), ids=list(RENDER_VARIANTS))
def variant(request: pytest.FixtureRequest) -> tuple[str, dict]:
    return request.param, RENDER_VARIANTS[request.param]


def test_both_engines_render_identical_trees(renders, variant):
    name, answers = variant
    by_copier = tree(renders.copier(name, answers))
    by_cookiecutter = tree(renders.cookiecutter(name, answers))
    assert sorted(by_copier) == sorted(by_cookiecutter)
    different = [path for path in by_copier if by_copier[path] != by_cookiecutter[path]]
    assert different == [], f"content or mode differs: {different}"


def test_no_template_syntax_left(renders, variant):
    name, answers = variant
    project = renders.copier(name, answers)
    leftovers = []
    for relative, (content, _) in tree(project).items():
        if LEFTOVER.search(relative):
            leftovers.append(f"{relative}: in the file name")
        try:
            text = content.decode()
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if LEFTOVER.search(line):
                leftovers.append(f"{relative}:{number}: {line.strip()}")
    assert leftovers == []


def test_switched_off_folders_leave_no_placeholder(renders, variant):
    name, answers = variant
    for project in (renders.copier(name, answers), renders.cookiecutter(name, answers)):
        assert [p for p in project.rglob("*") if "__skip__" in p.name] == []


def test_project_starts_as_a_clean_git_repository(renders, variant):
    name, answers = variant
    for project in (renders.copier(name, answers), renders.cookiecutter(name, answers)):
        log = subprocess.run(
            ["git", "log", "--format=%s"], cwd=project, capture_output=True, text=True, check=True
        )
        assert log.stdout.splitlines() == ["Generate service from template"]
        status = subprocess.run(
            ["git", "status", "--porcelain"],
            cwd=project,
            capture_output=True,
            text=True,
            check=True,
        )
        assert status.stdout == ""


def test_copier_records_every_answer(renders, variant):
    name, answers = variant
    recorded = recorded_answers(renders.copier(name, answers))
    expected = dict(answers)
    if answers["worker"] != "celery":
        expected.pop("broker")  # only asked when there is a worker
    assert {key: recorded[key] for key in expected} == expected


def test_initial_commit_falls_back_to_the_authors_identity(tmp_path):
    """Without a git identity (a fresh CI machine), the hook commits as the answered author."""
    nobody = tmp_path / "empty-gitconfig"
    nobody.write_text("")
    anonymous = {"GIT_CONFIG_GLOBAL": str(nobody), "GIT_CONFIG_NOSYSTEM": "1"}
    anonymous |= {
        f"GIT_{role}_{field}": None
        for role in ("AUTHOR", "COMMITTER")
        for field in ("NAME", "EMAIL")
    }
    with environment(**anonymous):
        project = copier_copy(
            MINIMAL | {"author_name": "Ada Lovelace", "author_email": "ada@example.org"},
            tmp_path / "project",
        )
    author = subprocess.run(
        ["git", "log", "--format=%an <%ae>"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    )
    assert author.stdout.strip() == "Ada Lovelace <ada@example.org>"
