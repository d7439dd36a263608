"""Finish a generated service; shared by both engines.

cookiecutter renders this file, then runs it as its post_gen_project hook, inside
the new project. copier runs it unrendered from `_tasks`, passing the answers as
JSON and the operation ("copy" or "update"; "relock" from `_migrations`) on the command
line. So the one line below that reads the answers is the only template syntax this file
may hold.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

RENDERED_ANSWERS = r"""{{ cookiecutter | tojson }}"""

# Folders switched off by an answer render to this name (see copier.yml `_exclude`).
PLACEHOLDER = "__skip__"
FALLBACK_COMMITTER = {
    "GIT_COMMITTER_NAME": "Service Template",
    "GIT_COMMITTER_EMAIL": "template@example.invalid",
}


def read_arguments(argv: list[str]) -> tuple[dict, str]:
    if len(argv) > 1:  # copier
        return json.loads(argv[1]), argv[2] if len(argv) > 2 else "copy"
    return json.loads(RENDERED_ANSWERS), "copy"  # cookiecutter


def remove_placeholders(root: Path) -> None:
    for path in sorted(root.rglob(PLACEHOLDER), reverse=True):
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()


def lock_dependencies(root: Path) -> None:
    """Write uv.lock so the Dockerfile and CI can install with --locked."""
    if os.environ.get("TEMPLATE_SKIP_LOCK"):
        print("note: TEMPLATE_SKIP_LOCK is set, so no uv.lock was written; run `uv lock`.")
        return
    uv = shutil.which("uv")
    if uv is None:
        print("note: uv is not installed, so no uv.lock was written; install uv and run `uv lock`.")
        return
    result = subprocess.run(
        [uv, "lock", "--quiet"], cwd=root, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        print(
            "note: `uv lock` failed (is the package index reachable?), so uv.lock is missing "
            "or stale; run `uv lock` when it is.\n" + result.stderr.strip()
        )


def git_has_identity(root: Path) -> bool:
    def configured(key: str) -> bool:
        found = subprocess.run(["git", "config", key], cwd=root, capture_output=True, check=False)
        return found.returncode == 0 and bool(found.stdout.strip())

    return configured("user.name") and configured("user.email")


def commit_initial_version(root: Path, answers: dict) -> None:
    """Start history, so that `copier update` has a clean tree to merge into."""
    if shutil.which("git") is None:
        print("note: git is not installed, so the project was not put under version control.")
        return
    if (root / ".git").exists():
        return
    env = dict(os.environ)
    subprocess.run(
        ["git", "init", "--quiet", "--initial-branch=main"], cwd=root, check=True, env=env
    )
    if not git_has_identity(root):
        env |= {
            "GIT_AUTHOR_NAME": answers["author_name"],
            "GIT_AUTHOR_EMAIL": answers["author_email"],
        }
        env |= FALLBACK_COMMITTER
    subprocess.run(["git", "add", "--all"], cwd=root, check=True, env=env)
    subprocess.run(
        ["git", "commit", "--quiet", "--no-verify", "--message", "Generate service from template"],
        cwd=root,
        check=True,
        env=env,
    )


def main(argv: list[str]) -> None:
    answers, operation = read_arguments(argv)
    root = Path.cwd()
    remove_placeholders(root)
    if operation == "copy":
        lock_dependencies(root)
        commit_initial_version(root, answers)
    elif operation == "relock" and (root / "uv.lock").exists():
        # After an update, from copier.yml's `_migrations`: copier has merged the template's
        # changes with the service's own by then, so the service's added dependencies keep
        # their pins. (Tasks run before that merge, on the template's pyproject.toml alone.)
        lock_dependencies(root)


if __name__ == "__main__":
    main(sys.argv)
