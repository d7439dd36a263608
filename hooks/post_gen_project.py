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


def lock_dependencies(root: Path) -> bool:
    """Write uv.lock so the Dockerfile and CI can install with --locked; True when it did."""
    if os.environ.get("TEMPLATE_SKIP_LOCK"):
        print("note: TEMPLATE_SKIP_LOCK is set, so no uv.lock was written; run `uv lock`.")
        return False
    uv = shutil.which("uv")
    if uv is None:
        print("note: uv is not installed, so no uv.lock was written; install uv and run `uv lock`.")
        return False
    result = subprocess.run(
        [uv, "lock", "--quiet"], cwd=root, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        print(
            f"note: `uv lock` failed: {lock_failure_cause(result.stderr)}; uv.lock is missing "
            "or stale: run `uv lock` once that is fixed.\n" + result.stderr.strip()
        )
        return False
    return True


def lock_failure_cause(stderr: str) -> str:
    """The likely cause of a failed `uv lock`, from what uv said."""
    text = stderr.lower()
    if "failed to parse" in text and "uv.lock" in text:
        return "uv.lock is not valid (conflict markers left from a merge?)"
    if "<<<<<<<" in text or "failed to parse" in text or "toml parse error" in text:
        return "pyproject.toml is not valid TOML (conflict markers left from a merge?)"
    if "shadowed by your project" in text:
        return "the project's name is also the name of a package it depends on"
    unreachable = ("error sending request", "dns error", "connection refused", "timed out")
    if any(sign in text for sign in unreachable):
        return "the package index is unreachable"
    if "no solution found" in text:
        return "the dependencies' version constraints cannot all be met"
    return "see uv's message below"


def unresolved_merge(root: Path) -> list[str]:
    """Files an update left half-merged that re-locking and deriving read."""
    found = []
    for name in ("pyproject.toml", "uv.lock"):
        path = root / name
        if (root / f"{name}.rej").exists():
            found.append(f"{name}.rej")
        if path.is_file() and any(
            line.startswith(("<<<<<<< ", ">>>>>>> ")) for line in path.read_text().splitlines()
        ):
            found.append(name)
    return found


def derive_files(root: Path, package: str) -> None:
    """Write openapi.json, .env.example and docs/settings.md from the code (never templated).

    With the project's locked environment (`uv run --locked`); the template's own tests
    point TEMPLATE_DERIVE_PYTHON at an interpreter that has the service's dependencies.
    """
    command = ["-m", package, "derive"]
    env = dict(os.environ)
    python = os.environ.get("TEMPLATE_DERIVE_PYTHON")
    if python:
        env["PYTHONPATH"] = str(root / "src")
        command = [python, *command]
    elif (uv := shutil.which("uv")) and (root / "uv.lock").exists():
        command = [uv, "run", "--locked", "--quiet", "python", *command]
    else:
        print(
            f"note: openapi.json, .env.example and docs/settings.md were not written: "
            f"run `uv run python -m {package} derive`."
        )
        return
    result = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        print(
            f"note: `python -m {package} derive` failed, so openapi.json, .env.example and "
            "docs/settings.md are missing or stale; fix the cause and run it again.\n"
            + result.stderr.strip()
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
        derive_files(root, answers["package_name"])
        commit_initial_version(root, answers)
    elif operation == "relock":
        # After an update, from copier.yml's `_migrations`: copier has merged the template's
        # changes with the service's own by then, so the service's added dependencies keep
        # their pins. (Tasks run before that merge, on the template's pyproject.toml alone.)
        if conflicted := unresolved_merge(root):
            print(
                f"note: not re-locked and derived files not rewritten: {', '.join(conflicted)} "
                "hold unresolved update conflicts. Resolve them, then run `uv lock` and "
                f"`uv run python -m {answers['package_name']} derive`."
            )
            return
        if (root / "uv.lock").exists() and not lock_dependencies(root):
            return
        derive_files(root, answers["package_name"])


if __name__ == "__main__":
    main(sys.argv)
