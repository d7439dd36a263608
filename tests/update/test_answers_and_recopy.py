"""Changing answers on update, updating from every release, recopying, refusing."""

import copier
import pytest
from copier import VcsRef
from copier.errors import UserMessageError

from tests.generate import lock_step, recorded_answers
from tests.update.service import UPDATABLE as DEFAULT
from tests.update.service import (
    assert_same_service,
    commit,
    conflicts,
    different,
    generate,
    replace_once,
    shipped,
    update,
    uv,
)

pytestmark = pytest.mark.update

BEFORE = DEFAULT | {"worker": "celery", "ci": "github"}
CHANGES = {"worker": "none", "ci": "gitlab"}


@pytest.mark.parametrize("ref", [VcsRef.CURRENT, "HEAD"], ids=["same-release", "oldest-to-head"])
def test_changing_answers_on_update_swaps_the_files_of_each_choice(template, tmp_path, ref):
    project = generate(template, template.oldest.version, BEFORE, tmp_path / "service", lock=True)
    update(project, ref, data=CHANGES, lock=True)
    uv(project, "lock", "--check")  # re-locked: celery's packages are gone from uv.lock

    target = template.oldest.version if ref is VcsRef.CURRENT else "HEAD"
    old_choices = shipped(generate(template, target, BEFORE, tmp_path / "before"))
    new_choices = shipped(generate(template, target, BEFORE | CHANGES, tmp_path / "after"))
    dropped, added = old_choices - new_choices, new_choices - old_choices
    assert any(path.startswith(".github/") for path in dropped)
    assert any("worker" in path for path in dropped)
    assert ".gitlab-ci.yml" in added
    files = shipped(project)
    assert files & dropped == set(), "files of the old choices remain"
    assert added <= files, "files of the new choices are missing"
    assert not (project / ".github").exists(), "an empty .github/ folder remains"
    # The README is the team's: an update from the oldest release leaves theirs.
    assert_same_service(project, tmp_path / "after", ignore=frozenset({"uv.lock", "README.md"}))
    assert recorded_answers(project)["worker"] == "none"
    assert "broker" not in recorded_answers(project)  # asked only with a worker


def test_every_release_updates_to_head_as_a_fresh_copy_would_be(template, tmp_path):
    fresh = generate(template, "HEAD", DEFAULT, tmp_path / "fresh")
    for release in template.releases:
        project = generate(template, release.version, DEFAULT, tmp_path / release.version)
        update(project, "HEAD")
        assert conflicts(project) == set(), release.version
        # The README is the team's (skip_if_exists): an update leaves the one they have.
        assert_same_service(project, fresh, ignore=frozenset({"README.md"}))


def test_recopy_renders_head_again_keeping_the_answers_and_the_users_own_files(template, tmp_path):
    answers = DEFAULT | {"project_name": "Ledger", "database": "none", "ci": "gitlab"}
    project = generate(template, template.oldest.version, answers, tmp_path / "service")
    (project / "NOTES.md").write_text("Our own notes.\n")
    replace_once(project / "README.md", "\n## Run it\n", "\n## Run the ledger\n")
    commit(project, "Our notes and README")
    with lock_step(False):
        copier.run_recopy(
            project, defaults=True, overwrite=True, unsafe=True, vcs_ref="HEAD", quiet=True
        )

    fresh = generate(template, "HEAD", answers, tmp_path / "fresh")
    oldest = generate(template, template.oldest.version, answers, tmp_path / "oldest")
    # Recopy renders over the service: it does not know which files newer releases
    # dropped or renamed, so it leaves them (docs/updating.md says so; update removes them).
    left_behind = shipped(oldest) - shipped(fresh)
    assert shipped(project) - shipped(fresh) == {"NOTES.md"} | left_behind
    assert (project / "NOTES.md").read_text() == "Our own notes.\n"
    # It discards changes to the template's own files (its job), but the README is the
    # team's (skip_if_exists), so it keeps the edited heading.
    assert "\n## Run the ledger\n" in (project / "README.md").read_text()
    assert different(project, fresh, shipped(fresh) - {"README.md"}) == []


def test_update_refuses_a_service_with_uncommitted_changes(template, tmp_path):
    project = generate(template, template.oldest.version, DEFAULT, tmp_path / "service")
    (project / "README.md").write_text("Work in progress\n")
    with pytest.raises(UserMessageError, match="Destination repository is dirty"):
        update(project, "HEAD")


def test_answer_changes_keep_what_the_team_wrote_in_files_they_remove(template, tmp_path):
    """worker celery -> none, database postgres -> none, auth none -> jwt, on an edited service."""
    answers = DEFAULT | {"auth": "none"}
    project = generate(template, "HEAD", answers, tmp_path / "service", lock=True)
    package = project / "src" / "my_service"
    edited = {
        "src/my_service/tasks.py": "\n# Our retry policy lives here.\n",
        "src/my_service/api/notes.py": "\n# Notes are archived nightly.\n",
    }
    for path, line in edited.items():
        (project / path).write_text((project / path).read_text() + line)
    untouched = package / "worker.py"
    assert untouched.exists()
    commit(project, "Our notes about tasks and notes")

    update(
        project,
        VcsRef.CURRENT,
        data={"worker": "none", "database": "none", "auth": "jwt"},
        lock=True,
        conflict="rej",
    )
    assert conflicts(project) == set()
    for path, line in edited.items():
        assert not (project / path).exists()
        assert (project / f"{path}.kept").read_text().endswith(line), path
    assert not untouched.exists(), "a file the team never changed goes with its option"
    assert not (project / "src/my_service/worker.py.kept").exists()
    assert "TokenVerifier" in (package / "auth.py").read_text()
    uv(project, "lock", "--check")
