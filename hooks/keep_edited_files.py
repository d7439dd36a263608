"""Keep the service's edits to files an update would delete, and say so.

`copier update` deletes every file the old template version rendered and the new one
does not: files a release drops, and files an answer change switches off
(`--data worker=none` drops tasks.py and worker.py). It deletes them even when the team
changed them. Run by copier.yml's `_migrations` before copier merges, in the service's
folder, this renders the old and the new version (no tasks) and, for each file about to
go that differs from its old render, renames it to `<file>.kept` in the index and the
work tree. copier then deletes nothing of the team's: the `.kept` file is theirs to
merge into their code or delete. Files the team never changed go as before.

`keep_edited_files.py OLD_COMMIT NEW_COMMIT NEW_ANSWERS_JSON`, from the template the
answers file names. Derived files (openapi.json, ...) are left alone: the after-update
step writes them again from the code.
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import copier
import yaml

ANSWERS_FILE = ".copier-answers.yml"
SUFFIX = ".kept"
# Written from the code after every update (`python -m <package> derive`), never merged.
DERIVED_FILES = {"openapi.json", ".env.example", "docs/settings.md"}


def render(src: str, ref: str, answers: dict, destination: Path) -> set[str]:
    """Render the template at `ref` with `answers`, no tasks; the relative file paths."""
    copier.run_copy(
        src,
        destination,
        data=answers,
        vcs_ref=ref,
        defaults=True,
        quiet=True,
        skip_tasks=True,
        overwrite=True,
    )
    return {
        path.relative_to(destination).as_posix()
        for path in destination.rglob("*")
        if path.is_file() and ".git" not in path.relative_to(destination).parts
    }


def asked(answers: dict) -> dict:
    """The questions' answers, without copier's own `_` entries."""
    return {name: value for name, value in answers.items() if not name.startswith("_")}


def main(argv: list[str]) -> None:
    old_ref, new_ref, new_answers = argv[1], argv[2], json.loads(argv[3])
    root = Path.cwd()
    old_answers = yaml.safe_load((root / ANSWERS_FILE).read_text(encoding="utf-8"))
    src = old_answers["_src_path"]
    with tempfile.TemporaryDirectory(prefix="keep-edited-files-") as scratch:
        old_dir, new_dir = Path(scratch, "old"), Path(scratch, "new")
        old_files = render(src, old_ref, asked(old_answers), old_dir)
        new_files = render(src, new_ref, asked(new_answers), new_dir)
        kept = []
        for path in sorted(old_files - new_files - DERIVED_FILES - {ANSWERS_FILE}):
            ours = root / path
            if ours.is_file() and ours.read_bytes() != (old_dir / path).read_bytes():
                subprocess.run(["git", "mv", "--force", path, path + SUFFIX], cwd=root, check=True)
                kept.append(path)
    if kept:
        print(
            "copier update: these files you changed are no longer part of the template "
            f"(a release or an answer removed them); each was kept as <file>{SUFFIX}: "
            + ", ".join(kept)
            + ". Move what you need into your own modules, then delete the "
            f"{SUFFIX} files."
        )


if __name__ == "__main__":
    main(sys.argv)
