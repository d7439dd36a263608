"""Stage this machine's CPython build for the local python base image.

Debian bookworm ships CPython 3.11 only, uv cannot download interpreters here, and
compiling CPython costs minutes of two shared cores. The machine's pyenv builds are
compiled on this very Debian release against its libraries, so a copy relocated to
/usr/local (as in the official image) runs in a bookworm container once those
libraries are installed there. The copy is slimmed like the official image: no test
suite, no static library, no Tk, no optimised-bytecode variants, and binaries
stripped of debug symbols (the official build links with --strip-all).
"""

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

# Folders and files the official slim images also leave out.
DROPPED_NAMES = {"test", "tests", "idle_test", "idlelib", "tkinter", "turtledemo", "__phello__"}
# Only pip stays in site-packages: anything else there was installed on this host.
KEPT_SITE_PACKAGES = ("pip", "README.txt")


@dataclass(frozen=True)
class CPythonBuild:
    version: str  # full version, e.g. 3.13.0
    prefix: Path

    @property
    def minor(self) -> str:
        return ".".join(self.version.split(".")[:2])


def find_cpython(minor: str) -> CPythonBuild:
    """The host interpreter uv would pick for `minor` (honours PYENV_VERSION)."""
    found = subprocess.run(
        ["uv", "python", "find", "--system", "--no-project", minor],
        capture_output=True,
        text=True,
        check=False,
    )
    if found.returncode != 0:
        raise RuntimeError(
            f"no CPython {minor} on this machine for the local python base image "
            f"(export PYENV_VERSION as the README says): {found.stderr.strip()}"
        )
    facts = subprocess.run(
        [
            found.stdout.strip(),
            "-c",
            "import json, platform, sys;"
            "print(json.dumps([platform.python_version(), sys.base_prefix]))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    version, prefix = json.loads(facts.stdout)
    return CPythonBuild(version, Path(prefix))


def _ignore(build: CPythonBuild):
    top_lib = str(build.prefix / "lib")
    kept_pyc = f".cpython-{build.minor.replace('.', '')}.pyc"

    def ignore(folder: str, names: list[str]) -> set[str]:
        if folder == top_lib:  # libpython and the standard library only
            return {name for name in names if not name.startswith(("libpython", "python3"))}
        dropped = {name for name in names if name in DROPPED_NAMES}
        dropped |= {name for name in names if name.endswith(".a") or name.startswith("_tkinter")}
        if folder.endswith("__pycache__"):
            dropped |= {name for name in names if not name.endswith(kept_pyc)}
        if folder.endswith("site-packages"):
            dropped |= {name for name in names if not name.startswith(KEPT_SITE_PACKAGES)}
        return dropped

    return ignore


def stage_cpython(build: CPythonBuild, destination: Path) -> Path:
    """Copy the interpreter to destination/ as it would sit under /usr/local."""
    destination.mkdir(parents=True)
    bin_dir = destination / "bin"
    bin_dir.mkdir()
    shutil.copy2(build.prefix / "bin" / f"python{build.minor}", bin_dir)
    for alias in ("python3", "python"):
        (bin_dir / alias).symlink_to(f"python{build.minor}")
    lib, include = build.prefix / "lib", build.prefix / "include"
    shutil.copytree(lib, destination / "lib", symlinks=True, ignore=_ignore(build))
    shutil.copytree(include, destination / "include", symlinks=True)
    strip_binaries(destination)
    return destination


def strip_binaries(tree: Path) -> None:
    """Drop debug symbols (libpython alone carries ~25 MB); skipped without binutils."""
    strip = shutil.which("strip")
    if strip is None:
        return
    binaries = [path for path in tree.rglob("*") if path.is_file() and not path.is_symlink()]
    binaries = [path for path in binaries if path.suffix == ".so" or ".so." in path.name]
    binaries += [path for path in (tree / "bin").iterdir() if not path.is_symlink()]
    subprocess.run([strip, "--strip-unneeded", *map(str, binaries)], check=True, timeout=120)
