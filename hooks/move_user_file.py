"""Move files the service owns when the template moves their counterparts.

Run by copier.yml's `_migrations` during `copier update`, in the service's folder:
`move_user_file.py OLD NEW [OLD NEW ...]`. copier moves the files it renders by
itself; this is for the ones it never sees, such as a git-ignored secrets file next
to a committed `*.example`. It never overwrites: if both paths exist it leaves both
and says so, because only the service's owner can tell which one holds the real values.
"""

import sys
from pathlib import Path


def inside(root: Path, relative: str) -> Path:
    path = (root / relative).resolve()
    if not path.is_relative_to(root.resolve()):
        raise SystemExit(f"move_user_file: {relative} is outside the project; nothing moved")
    return path


def move(root: Path, old: str, new: str) -> str | None:
    source, target = inside(root, old), inside(root, new)
    if not source.exists():
        return None
    if target.exists():
        return (
            f"note: both {old} and {new} exist; the template now reads {new}. "
            f"Merge what {old} holds into {new}, then delete {old}."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    source.rename(target)
    return f"moved {old} to {new} (the template renamed it)"


def main(argv: list[str]) -> None:
    pairs = argv[1:]
    if not pairs or len(pairs) % 2:
        raise SystemExit("usage: move_user_file.py OLD NEW [OLD NEW ...]")
    root = Path.cwd()
    for old, new in zip(pairs[::2], pairs[1::2], strict=True):
        if message := move(root, old, new):
            print(message)


if __name__ == "__main__":
    main(sys.argv)
