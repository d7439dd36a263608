"""The releases the tier finds, and the helpers it relies on: moving files, resolving conflicts."""

import itertools
import subprocess
import sys

import pytest
from packaging.version import Version

from tests.generate import TEMPLATE_ROOT, run
from tests.template_versions import clone_template
from tests.update.service import keep_both_sides

pytestmark = pytest.mark.update

MOVE = [sys.executable, str(TEMPLATE_ROOT / "hooks" / "move_user_file.py")]


def test_releases_are_pep440_versions_in_history_order(template):
    versions = [Version(release.version) for release in template.releases]
    assert versions == sorted(versions)
    assert len(set(versions)) == len(versions)
    for older, newer in itertools.pairwise(template.releases):
        assert older.commit != newer.commit, f"{older.version} and {newer.version} share a commit"
        ancestry = subprocess.run(
            ["git", "merge-base", "--is-ancestor", older.commit, newer.commit],
            cwd=template.path,
            check=False,
        )
        assert ancestry.returncode == 0, f"{older.version} is not an ancestor of {newer.version}"


def test_copier_reads_each_release_tag_as_its_version(template):
    for release in template.releases:
        assert template.describe(release.commit) == release.version


def test_the_move_migration_moves_a_file_and_makes_its_folder(tmp_path):
    (tmp_path / "old.env").write_text("A=1\n")
    moved = run([*MOVE, "old.env", "new/place.env", "absent.env", "other.env"], tmp_path)
    assert (tmp_path / "new" / "place.env").read_text() == "A=1\n"
    assert not (tmp_path / "old.env").exists()
    assert not (tmp_path / "other.env").exists()
    assert moved.stdout == "moved old.env to new/place.env (the template renamed it)\n"


def test_the_move_migration_never_overwrites(tmp_path):
    (tmp_path / "old.env").write_text("A=1\n")
    (tmp_path / "new.env").write_text("A=2\n")
    kept = run([*MOVE, "old.env", "new.env"], tmp_path)
    assert (tmp_path / "old.env").read_text() == "A=1\n"
    assert (tmp_path / "new.env").read_text() == "A=2\n"
    assert "both old.env and new.env exist" in kept.stdout


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["only-one"], "usage: move_user_file.py OLD NEW [OLD NEW ...]"),
        (["../outside.env", "inside.env"], "../outside.env is outside the project; nothing moved"),
    ],
)
def test_the_move_migration_refuses_bad_arguments(tmp_path, arguments, message):
    refused = subprocess.run([*MOVE, *arguments], cwd=tmp_path, capture_output=True, text=True)
    assert refused.returncode == 1
    assert message in refused.stderr


def test_a_shallow_clone_is_refused_with_what_to_do(tmp_path):
    shallow = tmp_path / "shallow"
    run(["git", "clone", "--quiet", "--depth=1", f"file://{TEMPLATE_ROOT}", str(shallow)], tmp_path)
    with pytest.raises(RuntimeError, match=r"shallow clone.*git fetch --unshallow"):
        clone_template(tmp_path / "clone", shallow)


def test_keeping_both_sides_drops_only_the_markers_of_conflicts(tmp_path):
    merged = tmp_path / "README.md"
    merged.write_text(
        "Title\n=======\n"
        "<<<<<<< before updating\nours\n=======\ntheirs\n>>>>>>> after updating\n"
        "end\n"
    )
    keep_both_sides(merged)
    assert merged.read_text() == "Title\n=======\nours\ntheirs\nend\n"
