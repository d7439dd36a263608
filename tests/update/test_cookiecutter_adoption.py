"""docs/updating.md's steps for adopting a cookiecutter-made service, run word for word.

The template is published as its users meet it (tests/template_versions.py: a bare
repository tagged by README.md's release command). The service is baked by cookiecutter
from a release, its first commit dated that release's day; then each step of the
guide's section runs as written: its `git log` finds the date, CHANGELOG.md's dated
headings give the release, its answers file is the guide's (with that release's tag
and the published template's address), and its commands run in a shell. `uvx copier`
runs the copier this repository locks (the same program, without fetching it again).
"""

import datetime
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from packaging.version import Version

from tests.docs_commands import block_commands, fenced_blocks, inline_commands
from tests.generate import ANSWERS_FILE, TEMPLATE_ROOT, cookiecutter_bake, environment
from tests.template_versions import IDENTITY, Publication, TemplateClone, publish
from tests.update.service import conflicts, different, generate, shipped, update

pytestmark = pytest.mark.update

GUIDE = TEMPLATE_ROOT / "docs" / "updating.md"
SECTION = "## Adopt a service made with cookiecutter"
COPIER = str(Path(sys.executable).with_name("copier"))
DERIVED = {"openapi.json", ".env.example", "docs/settings.md", "uv.lock"}
DATED_RELEASE = re.compile(r"^## (\d+(?:\.\d+)*) - (\d{4}-\d{2}-\d{2})$", re.MULTILINE)


def section() -> str:
    text = GUIDE.read_text()
    assert SECTION in text, f"docs/updating.md lost its section {SECTION!r}"
    body = text.split(SECTION, 1)[1]
    return body.split("\n## ", 1)[0]


def dated_releases(publication: Publication) -> dict[str, datetime.date]:
    changelog = (publication.maintainer / "CHANGELOG.md").read_text()
    found = {v: datetime.date.fromisoformat(d) for v, d in DATED_RELEASE.findall(changelog)}
    assert set(found) == {release.version for release in publication.releases}
    return found


def newest_on_or_before(day: datetime.date, releases: dict[str, datetime.date]) -> str:
    """What the guide's step 1 says to pick: the newest release dated `day` or before."""
    return max((v for v, date in releases.items() if date <= day), key=Version)


def shell(command: str, cwd: Path) -> str:
    command = command.replace("uvx copier ", f"{COPIER} ")
    done = subprocess.run(
        command,
        shell=True,  # the guide's command line, as a reader pastes it
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env=os.environ | IDENTITY | {"TEMPLATE_SKIP_LOCK": "1"},  # CI machines have no git user
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 0, f"{command}\n{done.stdout}{done.stderr}"
    return done.stdout


def test_a_cookiecutter_service_adopted_as_the_guide_says_updates(tmp_path):
    published = publish(tmp_path / "publication")
    releases = dated_releases(published)
    steps = section()
    yaml_block, sh_block = (
        next(block for block in fenced_blocks(steps) if block.language == language)
        for language in ("yaml", "sh")
    )
    example = yaml.safe_load("\n".join(yaml_block.lines))
    answers = {key: value for key, value in example.items() if not key.startswith("_")}

    # A service made in the past: from the newest release of the oldest release's day.
    made_on = min(releases.values())
    made_from = newest_on_or_before(made_on, releases)
    archive = subprocess.run(
        ["git", "archive", "--format=tar", made_from],
        cwd=published.maintainer,
        capture_output=True,
        check=True,
    ).stdout
    release = tmp_path / "release" / "twelve-factor-service-template"
    release.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(release)], input=archive, check=True)
    stamp = f"{made_on.isoformat()}T12:00:00+00:00"
    with environment(GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp):
        project = cookiecutter_bake(answers, tmp_path / "baked", release)
    assert (project / ".git").is_dir(), "the post-generation hook did not commit the service"
    assert not (project / ANSWERS_FILE).exists()

    # Step 1: the date of the first commit, and the newest release on or before it.
    [log_command] = [c for c in inline_commands(steps) if c.startswith("git log")]
    first_day = datetime.date.fromisoformat(shell(log_command, project).strip())
    guessed = newest_on_or_before(first_day, releases)
    assert guessed == made_from

    # Step 2: the guide's answers file, with that release's tag and the template's address.
    assert re.fullmatch(r"\d+(\.\d+)*", str(example["_commit"])), "tags are bare versions"
    text = "\n".join(yaml_block.lines) + "\n"
    text = text.replace(f"_commit: {example['_commit']}\n", f"_commit: {guessed}\n")
    text = text.replace(f"_src_path: {example['_src_path']}\n", f"_src_path: {published.url}\n")
    (project / ANSWERS_FILE).write_text(text)
    (project / "NOTES.md").write_text("Our own notes.\n")
    shell("git add NOTES.md && git commit --quiet -m 'Our notes'", project)

    # Step 3, word for word: commit it, update to the newest release.
    for command in block_commands(sh_block):
        shell(command, project)
    recorded = yaml.safe_load((project / ANSWERS_FILE).read_text())
    assert recorded["_commit"] == published.releases[-1].version
    assert conflicts(project) == set()

    # From then on it updates like any other service: here to the unreleased HEAD.
    shell("git add --all && git commit --quiet --allow-empty -m 'Update'", project)
    update(project, "HEAD")
    assert conflicts(project) == set()
    clone = TemplateClone(published.maintainer, published.releases)
    fresh = generate(clone, "HEAD", answers, tmp_path / "fresh")
    assert shipped(project) - shipped(fresh) == {"NOTES.md"}
    # The same service, but for where each came from (the published URL, or the clone)
    # and for the files derived from the code, which the update writes with uv.lock: these
    # tests skip locking (TEMPLATE_SKIP_LOCK); the update tier's own scenarios lock.
    # The README is the team's (skip_if_exists): the update leaves the one it had.
    compared = shipped(fresh) - DERIVED - {"README.md"}
    assert different(project, fresh, compared) == [ANSWERS_FILE]
    adopted, made = (yaml.safe_load((path / ANSWERS_FILE).read_text()) for path in (project, fresh))
    assert adopted.pop("_src_path") == published.url
    made.pop("_src_path")
    assert adopted == made
