"""Template versions made from this repository's own history, for the update tests.

A release is the commit that added its `## X.Y.Z` heading to CHANGELOG.md (see
docs/updating.md). Tags are never read from anywhere: the tests clone the repository
to a temporary folder, drop whatever tags came along, and tag each release there.
Uncommitted work in the repository becomes one more commit on top, so the tests
exercise what a developer is about to commit, as the other tiers do.
"""

import os
import re
import shutil
import subprocess
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
    if git("rev-parse", "--is-shallow-repository", cwd=src).strip() == "true":
        raise RuntimeError(
            f"{src} is a shallow clone, but its releases are found in its history: "
            "run `git fetch --unshallow` (in CI, check out with full history)"
        )
    git("clone", "--quiet", str(src), str(dst), cwd=dst.parent)
    for tag in git("tag", "--list", cwd=dst).split():
        git("tag", "--delete", tag, cwd=dst)
    commit_working_tree(src, dst)
    releases = releases_in(dst)
    for release in releases:
        git("tag", release.version, release.commit, cwd=dst)
    return TemplateClone(dst, releases)


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
