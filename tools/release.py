#!/usr/bin/env python3
"""Tag every release that CHANGELOG.md lists and git does not know yet.

A release is the commit that added its `## X.Y.Z - YYYY-MM-DD` heading to CHANGELOG.md.
Its tag is the bare version (`0.2.0`, no `v`): what copier reads as the template's
version, and what a service's `.copier-answers.yml` records as `_commit`.

Idempotent: a tag that exists on the right commit is left alone, so running this again
(by hand in a clone, or on every push to main in CI) tags only what is new. It never
moves a tag: one on another commit stops it with the two commits named.

    python3 tools/release.py                  # tag in this clone
    python3 tools/release.py --push origin    # and push the release tags
    python3 tools/release.py --dry-run        # say what it would tag

Needs only git and Python's standard library.
"""

import argparse
import datetime
import re
import subprocess
import sys
from pathlib import Path

CHANGELOG = "CHANGELOG.md"
# Any `## ` heading that starts with a digit is a release, and must read like this one.
RELEASE = re.compile(r"(?P<version>\d+(\.\d+)*) - (?P<date>\d{4}-\d{2}-\d{2})")


class ReleaseError(Exception):
    """A problem the maintainer fixes; printed as one message, without a traceback."""


def git(*args: str, cwd: Path) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ReleaseError(f"git {' '.join(args)} failed:\n{result.stderr.strip()}")
    return result.stdout.strip()


def release_headings(changelog: str) -> list[tuple[str, str]]:
    """(version, date) of every release heading, in the file's order."""
    found = []
    for line in changelog.splitlines():
        if not line.startswith("## ") or not line[3:4].isdigit():
            continue
        heading = RELEASE.fullmatch(line[3:].strip())
        if not heading:
            raise ReleaseError(f"{CHANGELOG}: {line!r} should read `## X.Y.Z - YYYY-MM-DD`")
        try:
            datetime.date.fromisoformat(heading["date"])
        except ValueError:
            raise ReleaseError(f"{CHANGELOG}: {line!r} has no valid date") from None
        found.append((heading["version"], heading["date"]))
    return found


def commit_adding(version: str, repo: Path) -> str:
    """The first commit whose CHANGELOG.md diff has the version's heading line."""
    heading = rf"^## {re.escape(version)}([^.0-9]|$)"
    log = ["log", "--reverse", "--format=%H", "--extended-regexp", "-G", heading]
    history = git(*log, "--", CHANGELOG, cwd=repo).split()
    if not history:
        raise ReleaseError(f"{CHANGELOG}: the {version} heading is not committed yet: commit it")
    return history[0]


def existing_tag(version: str, repo: Path) -> str | None:
    found = subprocess.run(
        ["git", "rev-parse", "--quiet", "--verify", f"refs/tags/{version}^{{commit}}"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    return found.stdout.strip() if found.returncode == 0 else None


def release(repo: Path, *, push: str | None = None, dry_run: bool = False) -> list[str]:
    """Tag the untagged releases; return the versions tagged now."""
    if git("rev-parse", "--is-shallow-repository", cwd=repo) == "true":
        raise ReleaseError(
            "this is a shallow clone, and a release is found by the commit that added its "
            "CHANGELOG.md heading: run `git fetch --unshallow` first "
            "(in GitHub Actions: actions/checkout with `fetch-depth: 0`)"
        )
    changelog = repo / CHANGELOG
    if not changelog.is_file():
        raise ReleaseError(f"no {CHANGELOG} in {repo}")
    headings = release_headings(changelog.read_text(encoding="utf-8"))
    tagged = []
    for version, date in headings:
        commit = commit_adding(version, repo)
        short = commit[:12]
        current = existing_tag(version, repo)
        if current == commit:
            print(f"{version} ({date}): already tagged at {short}")
            continue
        if current is not None:
            raise ReleaseError(
                f"tag {version} is on {current[:12]}, but {short} added its heading: "
                "a published tag must not move; fix the tag or the CHANGELOG.md by hand"
            )
        if not dry_run:
            git("tag", version, commit, cwd=repo)
        subject = git("log", "-1", "--format=%s", commit, cwd=repo)
        print(f"{version} ({date}): {'would tag' if dry_run else 'tagged'} {short} {subject}")
        tagged.append(version)
    if not headings:
        print(f"{CHANGELOG} lists no release (a `## X.Y.Z - YYYY-MM-DD` heading): nothing to tag")
    if push and headings and not dry_run:
        refs = [f"refs/tags/{version}" for version, _ in headings]
        git("push", "--quiet", push, *refs, cwd=repo)
        print(f"pushed {len(refs)} release tags")
    return tagged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--push", metavar="REMOTE", help="push the release tags to REMOTE")
    parser.add_argument("--dry-run", action="store_true", help="tag nothing, say what it would")
    args = parser.parse_args(argv)
    root = Path(__file__).resolve().parent.parent
    try:
        release(root, push=args.push, dry_run=args.dry_run)
    except ReleaseError as error:
        print(f"release: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
