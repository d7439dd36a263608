"""Drive copier, git and uv on generated services, and compare what they hold."""

import os
import subprocess
from pathlib import Path

import copier
from copier import VcsRef

from tests.generate import lock_step, run
from tests.template_versions import TemplateClone, git
from tests.variants import DEFAULT

# The default answers, on a Python every release offers (the oldest offers 3.13 and 3.12),
# so one answer set can be generated from any release and updated to any later one.
UPDATABLE = DEFAULT | {"python_version": "3.13"}

CONFLICT_MARKERS = ("<<<<<<< ", ">>>>>>> ")
CONFLICT_START, CONFLICT_END = "<<<<<<< ", ">>>>>>> "
CONFLICT_DIVIDERS = ("=======", "||||||| ")


def generate(template: TemplateClone, ref: str, answers: dict, dst: Path, *, lock=False) -> Path:
    """Generate a service from `ref` of the clone; the template's task commits it."""
    with lock_step(lock):
        copier.run_copy(
            str(template.path),
            dst,
            data=answers,
            defaults=True,
            unsafe=True,  # the template's post-generation task
            vcs_ref=ref,
            quiet=True,
        )
    return dst


def update(
    project: Path,
    ref: str | VcsRef = "HEAD",
    data: dict | None = None,
    *,
    lock=False,
    conflict: str = "inline",
):
    """copier update; `conflict` is "inline" (markers, copier's default) or "rej" (.rej files)."""
    with lock_step(lock):
        copier.run_update(
            project,
            data=data or {},
            defaults=True,  # keep every recorded answer not given in `data`
            unsafe=True,  # the template's task and migrations
            overwrite=True,
            conflict=conflict,
            vcs_ref=ref,
            quiet=True,
        )


def commit(project: Path, message: str) -> None:
    git("add", "--all", cwd=project)
    git("commit", "--quiet", "--message", message, cwd=project)


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{path.name}: expected one {old!r} to edit"
    path.write_text(text.replace(old, new))


def shipped(project: Path) -> set[str]:
    """Files git would commit: tracked, or new and not ignored."""
    listed = git("ls-files", "--cached", "--others", "--exclude-standard", "-z", cwd=project)
    return {path for path in listed.split("\0") if path and (project / path).is_file()}


def conflicts(project: Path) -> set[str]:
    """Files with conflict markers, and rejected hunks (`.rej` files, ignored or not)."""
    found = {
        str(path.relative_to(project))
        for path in project.rglob("*.rej")
        if ".venv" not in path.parts and ".git" not in path.parts
    }
    for path in shipped(project):
        lines = (project / path).read_bytes().decode("utf-8", "replace").splitlines()
        if any(line.startswith(CONFLICT_MARKERS) for line in lines):
            found.add(path)
    return found


def keep_both_sides(path: Path) -> None:
    """Resolve each conflict in `path` by keeping the service's lines, then the template's.

    Right where both sides added to the same list: dependencies, imports, routers.
    """
    kept, inside = [], False
    for line in path.read_text().splitlines(keepends=True):
        if line.startswith(CONFLICT_START):
            inside = True
        elif inside and line.startswith(CONFLICT_END):
            inside = False
        elif not (inside and line.startswith(CONFLICT_DIVIDERS)):
            kept.append(line)
    path.write_text("".join(kept))


def different(left: Path, right: Path, paths: set[str]) -> list[str]:
    return sorted(p for p in paths if (left / p).read_bytes() != (right / p).read_bytes())


def assert_same_service(project: Path, fresh: Path, *, ignore: frozenset[str] = frozenset()):
    expected, actual = shipped(fresh) - ignore, shipped(project) - ignore
    kept, missing = sorted(actual - expected), sorted(expected - actual)
    assert kept == [], f"files the template no longer makes were kept: {kept}"
    assert missing == [], f"files the template makes are missing: {missing}"
    differing = different(project, fresh, expected)
    assert differing == [], f"files unlike a fresh copy's: {differing}"


def uv(project: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ) | {"UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"}
    env.pop("VIRTUAL_ENV", None)  # the template repository's own venv, not the service's
    return run(["uv", *args], project, env=env)
