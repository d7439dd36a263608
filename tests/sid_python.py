"""CPython 3.14 and 3.15 for this machine, from Debian sid, where uv can find them.

The generated projects ask for a Python the machine may not have: pyenv here stops at
3.13 and uv cannot download interpreters. Debian's mirror serves sid, whose
python3.14 and python3.15 are built for a newer C library than this Debian 12 has.
So a `debootstrap --variant=minbase sid` root file system (about 40 s) is kept in a
cache folder named by a hash of its recipe, and a copy of each interpreter there is
pointed at that root's own dynamic loader and libraries (patchelf). The copies run
natively on the host, sharing 127.0.0.1 with the backing services: uv locks, syncs and
runs the generated projects with them exactly as with any installed Python, including
the post-generation hook's `uv lock` that runs inside copier. A folder of `python3.X`
links to them goes first on PATH.

Needs root and debootstrap (.ci/install-container-engine installs it); without them
nothing is built and a test that needs one of these versions fails naming it.
"""

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.containers import debian_rootfs

SUITE = "sid"
VERSIONS = ("3.14", "3.15")
PACKAGES = ("ca-certificates", *(f"python{version}" for version in VERSIONS))
# Suffix of the patched copy; python3.X itself stays as Debian ships it.
HOST_SUFFIX = "-host"
# Raise when build() changes what it makes (its inputs above are hashed by themselves).
RECIPE_VERSION = 1
CACHE_VARIABLE = "TEMPLATE_TEST_CACHE"  # where the root file system is kept


def cache_root() -> Path:
    if folder := os.environ.get(CACHE_VARIABLE):
        return Path(folder)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "twelve-factor-service-template"


def mirror() -> str:
    """The host's mirror for its own release: the same archive serves sid."""
    return debian_rootfs.apt_mirror(debian_rootfs.codename())


def recipe_hash() -> str:
    digest = hashlib.sha256()
    for part in (SUITE, mirror(), " ".join(PACKAGES), HOST_SUFFIX, str(RECIPE_VERSION)):
        digest.update(hashlib.sha256(part.encode()).digest())
    return digest.hexdigest()[:12]


def bin_dir(root: Path) -> Path:
    return root / "bin"


def interpreter(root: Path, version: str) -> Path:
    """The patched interpreter in a built root (`root` as returned by ensure_interpreters)."""
    return root / "rootfs" / "usr" / "bin" / f"python{version}{HOST_SUFFIX}"


def ensure_interpreters() -> Path | None:
    """Build the root once per recipe (under a lock); returns its folder, None if impossible."""
    root = cache_root() / f"sid-python-{recipe_hash()}"
    if (root / "ready").is_file():
        return root
    if os.geteuid() != 0 or shutil.which("debootstrap") is None or patchelf() is None:
        return None
    root.parent.mkdir(parents=True, exist_ok=True)
    with (root.parent / "sid-python.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another pytest process may be building it
        if not (root / "ready").is_file():
            build(root)
            remove_stale(root)
    return root


def build(root: Path) -> None:
    shutil.rmtree(root, ignore_errors=True)  # a build that was interrupted
    staging = Path(tempfile.mkdtemp(prefix="sid-python-", dir=root.parent))
    try:
        rootfs = staging / "rootfs"
        subprocess.run(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={','.join(PACKAGES)}",
                SUITE,
                str(rootfs),
                mirror(),
            ],
            check=True,
            capture_output=True,
            timeout=900,
        )
        shutil.rmtree(rootfs / "var/cache/apt/archives", ignore_errors=True)
        staging.rename(root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    # Paths are absolute, so the copies are patched where they stay.
    loader = root / "rootfs/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
    libraries = root / "rootfs/usr/lib/x86_64-linux-gnu"
    bin_dir(root).mkdir()
    for version in VERSIONS:
        debian_build = root / "rootfs/usr/bin" / f"python{version}"
        patched = interpreter(root, version)
        shutil.copy2(debian_build, patched)
        # DT_RPATH (not RUNPATH): it also applies to the extension modules it loads.
        patch = ["--set-interpreter", str(loader), "--force-rpath", "--set-rpath", str(libraries)]
        subprocess.run(
            [patchelf(), *patch, str(patched)],
            check=True,
            capture_output=True,
        )
        (bin_dir(root) / f"python{version}").symlink_to(patched)
        check = subprocess.run(
            [bin_dir(root) / f"python{version}", "-c", "import ssl, sqlite3, ctypes, lzma, zlib"],
            capture_output=True,
            text=True,
            check=False,
        )
        if check.returncode != 0:
            raise RuntimeError(f"the patched python{version} does not run: {check.stderr}")
    (root / "ready").write_text(f"{SUITE} {' '.join(PACKAGES)}\n")


def remove_stale(current: Path) -> None:
    """Drop roots of older recipes (each is about 300 MB)."""
    for other in current.parent.glob("sid-python-*"):
        if other != current and other.is_dir():
            shutil.rmtree(other, ignore_errors=True)


def patchelf() -> str | None:
    """The patchelf of this environment (a dev dependency), else one on PATH."""
    beside = Path(sys.executable).with_name("patchelf")
    return str(beside) if beside.is_file() else shutil.which("patchelf")


def expose_sid_interpreters() -> Path | None:
    """Put python3.14 and python3.15 first on PATH (building them if needed)."""
    root = ensure_interpreters()
    if root is not None:
        os.environ["PATH"] = f"{bin_dir(root)}{os.pathsep}{os.environ.get('PATH', '')}"
    return root


def missing_interpreter_message(version: str) -> str:
    return (
        f"no CPython {version} that uv can find on this machine: tests/sid_python.py makes "
        f"{', '.join(VERSIONS)} from Debian sid, as root with debootstrap installed "
        "(.ci/install-container-engine installs it)"
    )
