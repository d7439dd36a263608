"""The template as its users meet it: published, tagged by the release command, updated.

Each test publishes this repository (with its uncommitted work as the newest commit) to
a bare repository that stands in for `gh:OWNER/REPO`, and runs README.md's release
command in a maintainer's clone of it, as CI does on main. Services are then made and
updated with copier's own command line, without `--vcs-ref` unless a test says why.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.generate import ANSWERS_FILE, TEMPLATE_ROOT, recorded_answers
from tests.template_versions import Publication, git, publish
from tests.update.service import commit, conflicts

pytestmark = pytest.mark.update

COPIER = str(Path(sys.executable).with_name("copier"))
UPDATE_SCRIPT = TEMPLATE_ROOT / "template" / "scripts" / "update_from_template.py"
# The smallest service, otherwise each release's defaults: these tests are about versions.
SMALL = {"database": "none", "cache": "none", "worker": "none"}
# Template-owned files the published next release changes in the tests.
CONFLICTING, MERGING = "template/.gitignore", "template/.dockerignore"


def copier(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    env = os.environ | {"TEMPLATE_SKIP_LOCK": "1"}  # versions are the point, not uv.lock
    result = subprocess.run(
        [COPIER, *args], cwd=cwd, capture_output=True, text=True, check=False, env=env
    )
    assert "Traceback" not in result.stderr, result.stderr
    if check:
        assert result.returncode == 0, f"copier {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result


def make_service(src: str, dst: Path, *args: str) -> Path:
    data = [f"--data={key}={value}" for key, value in SMALL.items()]
    copier("copy", "--trust", "--defaults", *data, *args, src, str(dst), cwd=dst.parent)
    return dst


def check_update(project: Path) -> dict:
    return json.loads(copier("check-update", "--output-format", "json", cwd=project).stdout)


def update_script(project: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess, dict]:
    """The script the template-update workflow runs, with its outputs and summary files."""
    outputs, summary = tmp_path / "outputs", tmp_path / "summary.md"
    outputs.unlink(missing_ok=True)
    ran = subprocess.run(
        [
            sys.executable,
            UPDATE_SCRIPT,
            "--copier",
            COPIER,
            "--outputs",
            outputs,
            "--summary",
            summary,
        ],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        env=os.environ | {"TEMPLATE_SKIP_LOCK": "1"},
    )
    assert "Traceback" not in ran.stderr, ran.stderr
    assert ran.returncode == 0, ran.stdout + ran.stderr
    found = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    if summary.exists():
        found["summary"] = summary.read_text()
    return ran, found


def propose(project: Path, version: str) -> None:
    """What the workflow does with the script's work: one commit on the update branch."""
    git("switch", "--quiet", "--create", "template-update", cwd=project)
    commit(project, f"Update from the service template to {version}")


@pytest.fixture
def published(tmp_path: Path) -> Publication:
    return publish(tmp_path / "publication")


def test_copier_copy_without_a_ref_records_the_newest_release_tag(published, tmp_path):
    """Issue 13's check: a clone of main, the release command run in it, then a copy."""
    newest = published.releases[-1].version
    tags = git("tag", "--list", cwd=published.maintainer).split()
    assert sorted(tags) == sorted(release.version for release in published.releases)

    # The check's own command, in the clone; then as users copy from where it is published.
    copier("copy", "--trust", "--defaults", str(published.maintainer), "service", cwd=tmp_path)
    remote = make_service(published.url, tmp_path / "remote")
    for service in (tmp_path / "service", remote):
        recorded = recorded_answers(service)["_commit"]
        assert recorded == newest, f"{service.name}: {ANSWERS_FILE} records {recorded}"
        assert recorded in tags


def test_the_release_command_is_idempotent_and_never_moves_a_tag(published):
    clone = published.maintainer
    before = git("show-ref", "--tags", cwd=clone)
    again = published.release()
    assert git("show-ref", "--tags", cwd=clone) == before
    assert again.stdout.count("already tagged") == len(published.releases)

    oldest, newest = published.releases[0], published.releases[-1]
    git("tag", "--force", oldest.version, newest.commit, cwd=clone)
    moved = subprocess.run(
        [sys.executable, "tools/release.py"], cwd=clone, capture_output=True, text=True
    )
    assert moved.returncode == 1
    assert f"tag {oldest.version} is on {newest.commit[:12]}" in moved.stderr
    assert "Traceback" not in moved.stderr


def test_the_release_command_refuses_a_shallow_clone_saying_what_to_do(published, tmp_path):
    shallow = tmp_path / "shallow"
    git("clone", "--quiet", "--depth=1", published.url, str(shallow), cwd=tmp_path)
    tags = git("tag", "--list", cwd=shallow)  # a tag on HEAD comes along
    refused = subprocess.run(
        [sys.executable, "tools/release.py"], cwd=shallow, capture_output=True, text=True
    )
    assert refused.returncode == 1
    assert "shallow clone" in refused.stderr
    assert "git fetch --unshallow" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert git("tag", "--list", cwd=shallow) == tags


def test_check_update_and_update_move_a_service_to_the_next_release(published, tmp_path):
    *_, previous, newest = published.releases
    service = make_service(published.url, tmp_path / "service", f"--vcs-ref={previous.version}")
    assert recorded_answers(service)["_commit"] == previous.version

    state = check_update(service)
    assert state["update_available"]
    assert (state["current_version"], state["latest_version"]) == (
        previous.version,
        newest.version,
    )
    copier("update", "--trust", "--defaults", cwd=service)
    assert recorded_answers(service)["_commit"] == newest.version
    assert conflicts(service) == set()
    commit(service, "Update from the service template")
    assert check_update(service)["update_available"] is False


def test_the_update_script_proposes_the_next_release_keeping_the_teams_lines(published, tmp_path):
    """The template-update workflow's script, release N to N+1: one change merges, one
    meets a line the team changed. The branch has the first and the team's line, never a
    conflict marker; the request's description shows the template change left out."""
    service = make_service(published.url, tmp_path / "service")
    assert recorded_answers(service)["_commit"] == published.releases[-1].version
    first_line = (service / ".gitignore").read_text().splitlines()[0]
    ours = (service / ".gitignore").read_text().replace(first_line, "# Ours.", 1)
    (service / ".gitignore").write_text(ours)
    commit(service, "Our own first line")

    def change(clone: Path) -> None:
        lines = (clone / CONFLICTING).read_text().splitlines(keepends=True)
        (clone / CONFLICTING).write_text("".join(["# Theirs.\n", *lines[1:]]))
        with (clone / MERGING).open("a") as file:
            file.write("# A line the next release adds.\n")

    following = published.cut_release(change)

    ran, outputs = update_script(service, tmp_path)
    assert outputs["version"] == following
    assert outputs["conflicts"] == "1"
    assert "### `.gitignore`" in outputs["summary"]
    assert "```diff\n-# Ours.\n+# Theirs.\n```" in outputs["summary"]
    assert "kept this service's lines in .gitignore" in ran.stdout
    propose(service, following)
    changed = git("diff", "--name-only", "HEAD~1", "HEAD", cwd=service).split()
    assert {ANSWERS_FILE, ".dockerignore"} <= set(changed)
    assert (service / ".dockerignore").read_text().endswith("# A line the next release adds.\n")
    assert (service / ".gitignore").read_text() == ours
    assert recorded_answers(service)["_commit"] == following
    assert conflicts(service) == set(), "a reject or a conflict marker was committed"
    assert git("status", "--porcelain", cwd=service) == ""


def test_a_service_from_an_unreleased_commit_is_told_what_to_do(published, tmp_path):
    """Never a traceback or a silent "up-to-date"; the next release updates it."""
    newest = published.releases[-1].version
    # Work on main after the newest release (HEAD may be the release itself, as in CI right
    # after one), and a service made from it: what `--vcs-ref HEAD` gives.
    git("commit", "--quiet", "--allow-empty", "-m", "Unreleased work", cwd=published.maintainer)
    git("push", "--quiet", "origin", "HEAD", cwd=published.maintainer)
    service = make_service(published.url, tmp_path / "service", "--vcs-ref=HEAD")
    recorded = recorded_answers(service)["_commit"]
    assert recorded.startswith(f"{newest}-"), recorded

    state = check_update(service)
    assert state["update_available"] is False  # copier's own check says "up-to-date"
    refused = copier("update", "--trust", "--defaults", cwd=service, check=False)
    assert refused.returncode != 0
    assert "Downgrades are not supported" in refused.stderr

    ran, outputs = update_script(service, tmp_path)
    assert outputs == {"version": "", "conflicts": "0"}
    assert f"records {recorded}, an unreleased commit of the template" in ran.stdout
    assert "--vcs-ref HEAD" in ran.stdout
    assert "Made from an unreleased commit" in ran.stdout
    assert "## Made from an unreleased commit" in (TEMPLATE_ROOT / "docs/updating.md").read_text()
    assert git("status", "--porcelain", cwd=service) == ""

    following = published.cut_release()
    _, outputs = update_script(service, tmp_path)
    assert outputs["version"] == following
    assert outputs["conflicts"] == "0"
    assert "Every change merged cleanly" in outputs["summary"]
    propose(service, following)
    assert recorded_answers(service)["_commit"] == following
    assert conflicts(service) == set()
