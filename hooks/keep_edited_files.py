"""Give back the service's edits to files an update deleted, and say so.

`copier update` deletes every file the old template version rendered and the new one
does not: files a release drops, and files an answer change switches off
(`--data worker=none` drops tasks.py and worker.py). It deletes them even when the team
changed them. Run by copier.yml's `_migrations` once copier has merged, in the service's
folder: every file the update deleted (it is in the last commit, not in the work tree)
whose committed content differs from what the old template version rendered is written
back as `<file>.kept`, and named. Files the team never changed stay deleted. The
rejected hunks copier may have left for such a file (`<file>.rej`, with
`--conflict rej`) are removed: the `.kept` file holds all of the team's version.

Derived files (openapi.json, ...) are left alone: the next step writes them again.
"""

import subprocess
import tempfile
from pathlib import Path

import copier
import yaml

ANSWERS_FILE = ".copier-answers.yml"
SUFFIX = ".kept"
# Written from the code after every update (`python -m <package> derive`), never merged.
DERIVED_FILES = {"openapi.json", ".env.example", "docs/settings.md", "uv.lock"}


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True
    ).stdout


def deleted_by_update(root: Path) -> list[str]:
    """Files of the last commit that are gone from the work tree."""
    listed = git(root, "diff", "--name-only", "--diff-filter=D", "-z", "HEAD", "--")
    return [path for path in listed.split("\0") if path and path not in DERIVED_FILES]


def render_old_version(root: Path, destination: Path) -> Path:
    """What the template rendered for this service before the update (no tasks)."""
    answers = yaml.safe_load(git(root, "show", f"HEAD:{ANSWERS_FILE}"))
    copier.run_copy(
        answers["_src_path"],
        destination,
        data={name: value for name, value in answers.items() if not name.startswith("_")},
        vcs_ref=answers["_commit"],
        defaults=True,
        quiet=True,
        skip_tasks=True,
        overwrite=True,
    )
    return destination


def main() -> None:
    root = Path.cwd()
    deleted = deleted_by_update(root)
    if not deleted:
        return
    kept = []
    with tempfile.TemporaryDirectory(prefix="keep-edited-files-") as scratch:
        old = render_old_version(root, Path(scratch, "old"))
        for path in deleted:
            ours = subprocess.run(
                ["git", "show", f"HEAD:{path}"], cwd=root, capture_output=True, check=True
            ).stdout
            rendered = old / path
            if rendered.is_file() and rendered.read_bytes() == ours:
                continue
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / f"{path}{SUFFIX}").write_bytes(ours)
            (root / f"{path}.rej").unlink(missing_ok=True)
            kept.append(path)
    if kept:
        print(
            "copier update: the template no longer makes these files, which you had changed; "
            f"each is kept as <file>{SUFFIX}: " + ", ".join(kept) + ". Move what you need "
            f"into your own modules, then delete the {SUFFIX} files."
        )


if __name__ == "__main__":
    main()
