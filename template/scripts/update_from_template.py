"""Bring the newest release of the service template into this service, ready for review.

`copier check-update` says whether a release newer than the one in `.copier-answers.yml`
is out. If so, `copier update` merges it with the recorded answers (a question the
release adds takes its default). Where the template changed lines this service changed
too, copier marks a conflict; this script resolves each one by keeping the service's
lines, and writes the template's change it left out into the summary (the pull or merge
request's description). So what CI commits never holds a conflict marker, never drops
a line the team wrote, and the request says which template changes to apply by hand.

CI runs it on a schedule and opens the request (.github/workflows/template-update.yml,
or the `template-update` job in .gitlab-ci.yml). By hand, in a clean checkout:

    python3 scripts/update_from_template.py

then review `git status` and `git diff`. It needs git and uv (it runs copier with uvx).

A service made from an unreleased commit of the template (its `_commit` reads like
`0.2.0-5-g1a2b3c4`) is newer than the newest release: copier would call the update a
downgrade. This script says so and changes nothing; the next release updates it as usual.
"""

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ANSWERS_FILE = ".copier-answers.yml"
COPIER = "uvx --from copier>=9.4,<10 copier"
RELEASE = re.compile(r"\d+(\.\d+)*")
# copier's conflict markers (`git merge-file`'s): ours, the base (diff3 style only), theirs.
CONFLICT_START, CONFLICT_BASE = "<<<<<<< ", "||||||| "
CONFLICT_MIDDLE, CONFLICT_END = "=======", ">>>>>>> "


class UpdateError(Exception):
    """Stops the update with one message, without a traceback."""


def run(command: list[str], root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)  # noqa: S603


def recorded(root: Path, key: str) -> str:
    answers = root / ANSWERS_FILE
    if not answers.is_file():
        raise UpdateError(
            f"no {ANSWERS_FILE}: this service does not record the template release it was "
            "made from (a service made with cookiecutter is adopted by writing it: see the "
            "template's docs/updating.md)"
        )
    found = re.search(rf"^{key}:\s*['\"]?([^'\"\n]+)", answers.read_text(), re.MULTILINE)
    if not found:
        raise UpdateError(f"{ANSWERS_FILE} records no {key}")
    return found[1].strip()


def check_update(copier: list[str], root: Path) -> dict:
    checked = run([*copier, "check-update", "--output-format", "json"], root)
    if checked.returncode != 0:
        raise UpdateError(f"copier check-update failed:\n{checked.stdout}{checked.stderr}")
    return json.loads(checked.stdout.strip().splitlines()[-1])


def files_with_markers(root: Path) -> list[str]:
    listed = run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], root)
    marked = []
    for name in sorted(set(filter(None, listed.stdout.split("\0")))):
        path = root / name
        if path.is_file():
            lines = path.read_bytes().decode("utf-8", "replace").splitlines()
            if any(line.startswith(CONFLICT_START) for line in lines):
                marked.append(name)
    return marked


def keep_ours(path: Path) -> list[str]:
    """Resolve every conflict in `path` to the service's side; return the template's
    changes left out, each as a diff from the service's lines to the template's."""
    kept, left_out, side = [], [], None
    ours: list[str] = []
    theirs: list[str] = []
    for line in path.read_text().splitlines(keepends=True):
        if side is None and line.startswith(CONFLICT_START):
            side, ours, theirs = "ours", [], []
        elif side == "ours" and line.startswith(CONFLICT_BASE):
            side = "base"
        elif side in ("ours", "base") and line.rstrip("\r\n") == CONFLICT_MIDDLE:
            side = "theirs"
        elif side == "theirs" and line.startswith(CONFLICT_END):
            kept += ours
            hunk = [f"-{text}" for text in ours] + [f"+{text}" for text in theirs]
            left_out.append("".join(hunk))
            side = None
        elif side == "ours":
            ours.append(line)
        elif side == "theirs":
            theirs.append(line)
        elif side is None:
            kept.append(line)
    path.write_text("".join(kept))
    return left_out


def summary(old: str, new: str, left_out: dict[str, list[str]]) -> str:
    lines = [
        f"The service template's release {new} (this service was at {old}), merged by "
        "`copier update` with the answers in `.copier-answers.yml`; a question the release "
        "adds takes its default. What the release changes is in the template's CHANGELOG.md.",
        "",
    ]
    if not left_out:
        lines += ["Every change merged cleanly. Review the diff, and let CI run the tests."]
    else:
        lines += [
            f"**{len(left_out)} file(s) need a template change applied by hand.** There "
            "the template changed lines this service changed too. This branch keeps the "
            "service's lines; each change it left out is below, from the service's lines "
            "(`-`) to the template's (`+`). Apply what belongs (or decide it does not), "
            "push to this branch, and mark the request ready. If `pyproject.toml` is "
            "among them, run `uv lock` after.",
        ]
        for path, hunks in left_out.items():
            lines += ["", f"### `{path}`"]
            for hunk in hunks:
                lines += ["", "```diff", hunk.rstrip("\n"), "```"]
    return "\n".join(lines) + "\n"


def update(copier: list[str], root: Path) -> dict[str, str]:
    """Update to the newest release; return the outputs CI uses."""
    if run(["git", "status", "--porcelain"], root).stdout.strip():
        raise UpdateError("the working tree has uncommitted changes: commit or stash them first")
    old = recorded(root, "_commit")
    state = check_update(copier, root)
    current, latest = state["current_version"], state["latest_version"]
    if not state["update_available"]:
        if RELEASE.fullmatch(current):
            print(f"Up to date: {ANSWERS_FILE} records {old}, the newest template release.")
        else:
            print(
                f"{ANSWERS_FILE} records {old}, an unreleased commit of the template (version "
                f"{current}), newer than its newest release, {latest}. copier updates only "
                "to a newer release, so there is nothing to update to: the template's next "
                "release updates this service as usual. To take the unreleased changes now, "
                "follow the template's main branch: "
                "`uvx copier update --trust --defaults --vcs-ref HEAD` "
                "(see 'Made from an unreleased commit' in the template's docs/updating.md)."
            )
        return {"version": "", "conflicts": "0"}
    print(f"Updating from {old} to the template's release {latest}")
    updated = run([*copier, "update", "--trust", "--defaults", "--conflict", "inline"], root)
    print(updated.stdout + updated.stderr)
    if updated.returncode != 0:
        raise UpdateError(f"copier update to {latest} failed (exit {updated.returncode})")
    left_out = {}
    for name in files_with_markers(root):
        left_out[name] = keep_ours(root / name)
        run(["git", "add", "--", name], root)  # resolved: no longer "both modified"
        print(f"kept this service's lines in {name}; the template's change is in the summary")
    return {
        "version": latest,
        "conflicts": str(len(left_out)),
        "summary": summary(old, latest, left_out),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copier", default=COPIER, help=f"how to run copier ({COPIER})")
    parser.add_argument("--summary", type=Path, help="write the request's description here")
    parser.add_argument(
        "--outputs", type=Path, help="append version=... and conflicts=... here ($GITHUB_OUTPUT)"
    )
    args = parser.parse_args(argv)
    root = Path.cwd()
    try:
        outputs = update(shlex.split(args.copier), root)
    except UpdateError as error:
        print(f"update_from_template: {error}", file=sys.stderr)
        return 1
    text = outputs.pop("summary", "")
    if args.summary and text:
        args.summary.write_text(text)
    if args.outputs:
        with args.outputs.open("a") as file:
            file.writelines(f"{key}={value}\n" for key, value in outputs.items())
    if os.environ.get("GITHUB_ACTIONS") and not outputs["version"]:
        print("::notice::no newer template release to propose")
    return 0


if __name__ == "__main__":
    sys.exit(main())
