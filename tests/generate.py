"""Generate services from this repository's working tree with either engine."""

import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import copier
import yaml
from cookiecutter.main import cookiecutter
from plumbum import local

TEMPLATE_ROOT = Path(__file__).resolve().parent.parent
ANSWERS_FILE = ".copier-answers.yml"


def expose_pyenv_interpreters() -> None:
    """Let uv find every pyenv-installed Python (the generated projects need 3.12/3.13).

    pyenv shims answer only for the versions named in PYENV_VERSION, which pyenv sets
    to the one global version when uv itself runs through a shim; uv would then try to
    download an interpreter. Keep the selected version first and add the others.
    """
    if shutil.which("pyenv") is None:
        return
    installed = subprocess.run(
        ["pyenv", "versions", "--bare"], capture_output=True, text=True, check=False
    ).stdout.split()
    selected = os.environ.get("PYENV_VERSION", "").split(":")
    others = sorted(
        (v for v in installed if v.startswith("3.") and v not in selected), reverse=True
    )
    os.environ["PYENV_VERSION"] = ":".join(v for v in [*selected, *others] if v)


@contextmanager
def environment(**changes: str | None) -> Iterator[None]:
    """Set (or, with None, unset) variables for both engines' hook processes.

    cookiecutter's hooks inherit os.environ; copier's tasks inherit plumbum's
    `local.env`, a copy of os.environ taken when plumbum was imported.
    """
    saved = {name: os.environ.get(name) for name in changes}
    for name, value in changes.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    try:
        with local.env(**os.environ):
            for name, value in changes.items():
                if value is None:
                    local.env.pop(name, None)
            yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# Every option on: its locked environment has every package any variant imports.
EVERY_OPTION = {
    "python_version": "3.13",
    "database": "postgres",
    "cache": "redis",
    "worker": "celery",
    "telemetry": "yes",
    "auth": "jwt",
}


@cache
def derive_python() -> str:
    """An interpreter with every dependency of every variant, for the hook's derive step.

    Render-only tests skip `uv lock`, so their projects have no environment to run
    `python -m <package> derive` in; the hook then uses this one (TEMPLATE_DERIVE_PYTHON,
    the project's src/ first on the path). Made once per machine and template pyproject.
    """
    # Compiled once here: with PYTHONDONTWRITEBYTECODE set (as on these machines) Python
    # would compile every library from source again in each derive, about 2 s of it.
    sync = ["uv", "sync", "--locked", "--quiet", "--compile-bytecode"]
    recipe = hashlib.sha256((TEMPLATE_ROOT / "template" / "pyproject.toml").read_bytes())
    recipe.update(" ".join(sync).encode())
    home = Path(tempfile.gettempdir()) / f"template-derive-env-{recipe.hexdigest()[:12]}"
    python = home / "project" / ".venv" / "bin" / "python"
    home.mkdir(exist_ok=True)
    with (home / ".lock").open("w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)  # xdist workers build it once between them
        if not python.exists():
            shutil.rmtree(home / "project", ignore_errors=True)
            with environment(TEMPLATE_SKIP_LOCK=None, TEMPLATE_DERIVE_PYTHON=None):
                copier_copy(EVERY_OPTION, home / "project", lock=True)
            run(sync, cwd=home / "project")
    return str(python)


def lock_step(enabled: bool):
    """The hook's `uv lock` step needs the index and time; render-only tests skip it and
    derive files with a shared environment instead."""
    if enabled:
        return environment(TEMPLATE_SKIP_LOCK=None, TEMPLATE_DERIVE_PYTHON=None)
    return environment(TEMPLATE_SKIP_LOCK="1", TEMPLATE_DERIVE_PYTHON=derive_python())


def copier_copy(answers: dict, dst: Path, *, lock: bool = False, src: Path = TEMPLATE_ROOT) -> Path:
    """Render with copier's API from `src` at HEAD plus its uncommitted changes."""
    with lock_step(lock):
        copier.run_copy(
            str(src),
            dst,
            data=answers,
            defaults=True,
            unsafe=True,  # the template's own post-generation task
            vcs_ref="HEAD",
            quiet=True,
        )
    return dst


def install_as_the_image_does(project: Path) -> None:
    """`uv sync` the template's runtime group alone, compiled, as the Dockerfile installs it.

    For the benchmarks, which measure what production runs: development packages change
    what the service imports at start (structlog loads rich's tracebacks when rich, which
    schemathesis brings, is installed).
    """
    env = dict(os.environ, UV_PYTHON_DOWNLOADS="never")
    env.pop("VIRTUAL_ENV", None)
    groups = ["--no-default-groups", "--group", "template"]
    run(["uv", "sync", "--quiet", *groups, "--compile-bytecode"], cwd=project, env=env)


def snapshot(dst: Path, src: Path = TEMPLATE_ROOT) -> Path:
    """Copy the files git would ship (tracked, or untracked and not ignored) to `dst`.

    cookiecutter copies its whole template folder before running pre_prompt; from a
    working tree that would include .venv, as a clone from a URL never does.
    """
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=src,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for relative in filter(None, listed.split("\0")):
        source = src / relative
        if source.is_file():
            (dst / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dst / relative)
    return dst


def cookiecutter_bake(
    answers: dict, output_dir: Path, template: Path, *, lock: bool = False
) -> Path:
    """Render `template` (a snapshot) with cookiecutter's API; returns the new project's folder."""
    with lock_step(lock):
        return Path(
            cookiecutter(
                str(template), no_input=True, extra_context=answers, output_dir=str(output_dir)
            )
        )


def run(cmd: list[str], cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    """Run a command in a generated project; fail with its output when it fails."""
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False, **kwargs)
    assert result.returncode == 0, (
        f"{' '.join(map(str, cmd))} failed in {cwd} ({result.returncode}):\n"
        f"{result.stdout}\n{result.stderr}"
    )
    return result


def recorded_answers(project: Path) -> dict:
    return yaml.safe_load((project / ANSWERS_FILE).read_text())
