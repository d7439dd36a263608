"""Template versions made from this repository's own history, for the update tests.

A release is the commit that added its `## X.Y.Z - YYYY-MM-DD` heading to CHANGELOG.md
(see docs/updating.md). Tags are never read from anywhere: the tests clone the repository
to a temporary folder, drop whatever tags came along, and tag the releases there with
the release command README.md gives. Uncommitted work in the repository becomes one more
commit on top, so the tests exercise what a developer is about to commit, as the other
tiers do.
"""

import datetime
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from packaging.version import Version

from tests.generate import TEMPLATE_ROOT

CHANGELOG = "CHANGELOG.md"
# `## 1.2.0` or `## 1.2.0 - 2026-01-31`: the version is the heading's first word.
RELEASE_HEADING = re.compile(r"^## (?P<version>\d+(\.\d+)*)(?![.0-9])", re.MULTILINE)
IDENTITY = {
    "GIT_AUTHOR_NAME": "Template Tests",
    "GIT_AUTHOR_EMAIL": "template-tests@example.invalid",
    "GIT_COMMITTER_NAME": "Template Tests",
    "GIT_COMMITTER_EMAIL": "template-tests@example.invalid",
}


def git(*args: str, cwd: Path) -> str:
    result = subprocess.run(
        ["git", "-c", "core.hooksPath=/dev/null", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env=os.environ | IDENTITY,
    )
    if result.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed in {cwd}:\n{result.stderr}")
    return result.stdout


@dataclass(frozen=True)
class Release:
    version: str
    commit: str
    subject: str


def releases_in(repo: Path) -> list[Release]:
    """Every release in CHANGELOG.md, oldest first, with the commit that added its heading."""
    changelog = repo / CHANGELOG
    if not changelog.exists():
        return []
    found = []
    for match in RELEASE_HEADING.finditer(changelog.read_text()):
        version = match["version"]
        heading = rf"^## {re.escape(version)}([^.0-9]|$)"
        # -G lists commits whose diff adds or removes a matching line; the first added it.
        history = git(
            "log",
            "--reverse",
            "--extended-regexp",
            "--format=%H %s",
            "-G",
            heading,
            "--",
            CHANGELOG,
            cwd=repo,
        ).splitlines()
        if not history:
            raise ValueError(f"{CHANGELOG} heading {version} is not in any commit")
        commit, _, subject = history[0].partition(" ")
        found.append(Release(version, commit, subject))
    return sorted(found, key=lambda release: Version(release.version))


@dataclass(frozen=True)
class TemplateClone:
    """A clone of the template with its releases tagged, and HEAD = the working tree."""

    path: Path
    releases: list[Release]

    @property
    def oldest(self) -> Release:
        return self.releases[0]

    def head(self) -> str:
        return git("rev-parse", "HEAD", cwd=self.path).strip()

    def describe(self, ref: str = "HEAD") -> str:
        """What copier records as `_commit` for `ref`."""
        return git("describe", "--tags", "--always", ref, cwd=self.path).strip()


def clone_template(dst: Path, src: Path = TEMPLATE_ROOT) -> TemplateClone:
    """A clone of `src` plus its uncommitted work, tagged by README.md's release command."""
    clone_untagged(dst, src)
    run_release_command(dst)
    return TemplateClone(dst, releases_in(dst))


def clone_untagged(dst: Path, src: Path = TEMPLATE_ROOT) -> Path:
    if git("rev-parse", "--is-shallow-repository", cwd=src).strip() == "true":
        raise RuntimeError(
            f"{src} is a shallow clone, but its releases are found in its history: "
            "run `git fetch --unshallow` (in CI, check out with full history)"
        )
    git("clone", "--quiet", str(src), str(dst), cwd=dst.parent)
    for tag in git("tag", "--list", cwd=dst).split():
        git("tag", "--delete", tag, cwd=dst)
    commit_working_tree(src, dst)
    return dst


def release_command(readme: Path = TEMPLATE_ROOT / "README.md") -> str:
    """The command README.md's Releasing section gives: the line after its marker's fence."""
    lines = readme.read_text().split("<!-- release-command -->", 1)[1].strip().splitlines()
    assert lines[0].startswith("```"), "the release command is not in a fenced block"
    return lines[1]


def run_release_command(repo: Path) -> subprocess.CompletedProcess:
    """README.md's release command, as a maintainer types it in `repo`."""
    result = subprocess.run(
        release_command(repo / "README.md"),
        shell=True,  # a command line from the README, as .ci/run runs the test command
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"the release command failed in {repo}:\n{result.stderr}")
    return result


@dataclass(frozen=True)
class Publication:
    """The template as published: a bare repository (what `gh:OWNER/REPO` stands for),
    and a maintainer's clone of it, where releases are cut and tagged."""

    bare: Path
    maintainer: Path

    @property
    def url(self) -> str:
        return self.bare.as_uri()

    @property
    def releases(self) -> list[Release]:
        return releases_in(self.maintainer)

    def release(self) -> subprocess.CompletedProcess:
        """README.md's release command in the maintainer's clone, then its tags pushed."""
        released = run_release_command(self.maintainer)
        git("push", "--quiet", "origin", "--tags", cwd=self.maintainer)
        return released

    def cut_release(self, change: Callable[[Path], None] | None = None) -> str:
        """Commit `change` with a CHANGELOG.md heading for the next version, push, release."""
        newest = Version(self.releases[-1].version)
        version = f"{newest.major}.{newest.minor}.{newest.micro + 1}"
        if change:
            change(self.maintainer)
        changelog = self.maintainer / CHANGELOG
        text = changelog.read_text()
        first = text.index("\n## ") + 1
        heading = f"## {version} - {datetime.date.today().isoformat()}\n\nPublished by a test.\n\n"
        changelog.write_text(text[:first] + heading + text[first:])
        git("add", "--all", cwd=self.maintainer)
        git("commit", "--quiet", "--message", f"Release {version}", cwd=self.maintainer)
        git("push", "--quiet", "origin", "HEAD", cwd=self.maintainer)
        self.release()
        return version


def publish(dst: Path, src: Path = TEMPLATE_ROOT) -> Publication:
    """This repository with its uncommitted work, published untagged, then released."""
    dst.mkdir(parents=True, exist_ok=True)
    staging = clone_untagged(dst / "staging", src)
    bare = dst / "published.git"
    git("clone", "--quiet", "--bare", str(staging), str(bare), cwd=dst)
    maintainer = dst / "maintainer"
    git("clone", "--quiet", bare.as_uri(), str(maintainer), cwd=dst)
    publication = Publication(bare, maintainer)
    publication.release()
    return publication


def commit_working_tree(src: Path, clone: Path) -> None:
    """Make the clone's files those git would ship from `src` now, as one more commit."""
    for tracked in filter(None, git("ls-files", "-z", cwd=clone).split("\0")):
        (clone / tracked).unlink(missing_ok=True)
    shipped = git("ls-files", "--cached", "--others", "--exclude-standard", "-z", cwd=src)
    for relative in filter(None, shipped.split("\0")):
        source = src / relative
        if source.is_file():
            (clone / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / relative)
    git("add", "--all", cwd=clone)
    if git("status", "--porcelain", cwd=clone).strip():
        git("commit", "--quiet", "--message", "Uncommitted work of the template", cwd=clone)
