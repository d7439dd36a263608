"""A service cookiecutter made, adopted by copier as docs/updating.md says, then updated."""

import subprocess

import pytest
import yaml

from tests.generate import ANSWERS_FILE, cookiecutter_bake
from tests.update.service import commit, conflicts, different, generate, shipped, update
from tests.variants import DEFAULT

pytestmark = pytest.mark.update


def adoption_answers(answers: dict, src: str, version: str) -> str:
    """The answers file docs/updating.md tells cookiecutter users to write."""
    return yaml.safe_dump({"_commit": version, "_src_path": src, **answers}, sort_keys=False)


def test_a_cookiecutter_service_adopted_by_copier_updates_to_head(template, tmp_path):
    answers = DEFAULT | {"project_name": "Baked Service", "cache": "none"}
    # The oldest release as cookiecutter gets it: the repository's files at that tag.
    release = tmp_path / "release" / "twelve-factor-service-template"
    release.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", "--format=tar", template.oldest.version],
        cwd=template.path,
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(release)], input=archive, check=True)
    project = cookiecutter_bake(answers, tmp_path / "baked", release)
    assert (project / ".git").is_dir(), "the post-generation hook did not commit the service"
    assert not (project / ANSWERS_FILE).exists()

    (project / ANSWERS_FILE).write_text(
        adoption_answers(answers, str(template.path), template.oldest.version)
    )
    (project / "NOTES.md").write_text("Our own notes.\n")
    commit(project, "Record the service template's release and answers")
    update(project, "HEAD")

    assert conflicts(project) == set()
    fresh = generate(template, "HEAD", answers, tmp_path / "fresh")
    assert shipped(project) - shipped(fresh) == {"NOTES.md"}
    assert different(project, fresh, shipped(fresh)) == []
