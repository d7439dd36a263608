"""Base images for the generated Dockerfile and compose file: official or local stand-ins.

When a registry answers, the official images the generated files name are used as
they are. Otherwise each official image is mapped to a stand-in built here from the
recipes in images/ once, and kept in the daemon under a tag carrying a hash of its
recipe (files, parent image, inputs), so later runs find it and skip the build.
"""

import hashlib
import os
import re
import shutil
import ssl
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests import sid_python

from . import cpython, debian_rootfs
from .engine import Engine

RECIPES = Path(__file__).parent / "images"
REPOSITORY = "template-ci"
REGISTRIES = ("https://registry-1.docker.io/v2/", "https://ghcr.io/v2/")
# CONTAINERS_BASE_IMAGES=local|official forces a choice; auto probes the registries.
MODE_VARIABLE = "CONTAINERS_BASE_IMAGES"
PROBE_TIMEOUT_SECONDS = 3


def registry_reachable() -> bool:
    """True when every registry the official images live in answers (401 counts)."""
    context = ssl.create_default_context()
    for url in REGISTRIES:
        try:
            urllib.request.urlopen(url, timeout=PROBE_TIMEOUT_SECONDS, context=context)
        except urllib.error.HTTPError:
            continue  # it answered: anonymous /v2/ is 401 by design
        except (urllib.error.URLError, OSError):
            return False
    return True


def use_official_images() -> bool:
    mode = os.environ.get(MODE_VARIABLE, "auto")
    if mode not in {"auto", "local", "official"}:
        raise ValueError(f"{MODE_VARIABLE} must be auto, local or official, not {mode!r}")
    return mode == "official" or (mode == "auto" and registry_reachable())


def recipe_digest(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:12]


def folder_bytes(folder: Path) -> list[bytes]:
    return [
        str(path.relative_to(folder)).encode() + path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    ]


@dataclass
class StandIns:
    """Maps official image references to local stand-ins, building each at most once."""

    engine: Engine
    workdir: Path
    official: bool = False  # a registry answers: every image stays what the files say
    timings: dict[str, float] = field(default_factory=dict)
    _built: dict[str, str] = field(default_factory=dict)

    def resolve(self, image: str) -> str:
        """The image to use in place of `image` (itself when official images are used)."""
        return image if self.official else self.for_image(image)

    def for_image(self, official: str) -> str:
        """The local stand-in for an official reference like `postgres:17-bookworm`."""
        repository, _, tag = official.partition(":")
        name = repository.rsplit("/", 1)[-1]
        if repository in {"python", "library/python", "docker.io/library/python"}:
            return self.python(_minor_version(official, tag))
        if repository == "ghcr.io/astral-sh/uv":
            if tag.startswith("python"):
                raise LookupError(
                    f"no stand-in for {official} (uv plus a CPython): copy uv from the plain "
                    "uv image, as uv's Docker guide shows, or add a recipe here"
                )
            return self.uv()
        if name in {"postgres", "redis", "rabbitmq"}:
            return self.service(name)
        raise LookupError(f"no local stand-in for {official}: add a recipe in {RECIPES}")

    def debian(self, suite: str | None = None) -> str:
        """Debian minbase: this machine's release, or another suite from the same mirror."""
        release = debian_rootfs.codename()
        suite = suite or release
        mirror = debian_rootfs.apt_mirror(release)  # the same archive serves every suite
        digest = recipe_digest(*debian_rootfs.recipe_inputs(suite, mirror))
        ref = f"{REPOSITORY}/debian:{suite}-{digest}"
        if self._cached(ref):
            return ref
        started = time.monotonic()
        tarball = debian_rootfs.build_rootfs_tar(suite, mirror, self.workdir)
        try:
            self.engine.run(
                "import",
                "--change",
                'CMD ["bash"]',
                str(tarball),
                ref,
                timeout=600,
            )
        finally:
            tarball.unlink()
        return self._done(ref, started)

    def python(self, minor: str) -> str:
        if minor in sid_python.VERSIONS:
            return self.sid_python(minor)
        build = cpython.find_cpython(minor)
        base = self.debian()
        recipe = RECIPES / "python"
        inputs = [base.encode(), build.version.encode(), str(build.prefix).encode()]
        inputs.append(Path(cpython.__file__).read_bytes())  # how the interpreter is staged
        ref = f"{REPOSITORY}/python:{minor}-slim-{recipe_digest(*inputs, *folder_bytes(recipe))}"
        if self._cached(ref):
            return ref
        started = time.monotonic()
        context = self._context(recipe)
        cpython.stage_cpython(build, context / "cpython")
        self._build(ref, context, base)
        return self._done(ref, started)

    def sid_python(self, minor: str) -> str:
        """Debian sid's CPython `minor` on a sid base (no build of it runs on this Debian)."""
        base = self.debian(sid_python.SUITE)
        recipe = RECIPES / "python-sid"
        digest = recipe_digest(base.encode(), minor.encode(), *folder_bytes(recipe))
        ref = f"{REPOSITORY}/python:{minor}-slim-{digest}"
        if self._cached(ref):
            return ref
        started = time.monotonic()
        self._build(ref, self._context(recipe), base, PYTHON=minor)
        return self._done(ref, started)

    def uv(self) -> str:
        uv_binary = uv_executable()
        uvx_binary = uv_binary.with_name("uvx")
        recipe = RECIPES / "uv"
        binaries = [uv_binary.read_bytes(), uvx_binary.read_bytes()]
        ref = f"{REPOSITORY}/uv:{recipe_digest(*binaries, *folder_bytes(recipe))}"
        if self._cached(ref):
            return ref
        started = time.monotonic()
        context = self._context(recipe)
        shutil.copy2(uv_binary, context / "uv")
        shutil.copy2(uvx_binary, context / "uvx")
        self._build(ref, context)
        return self._done(ref, started)

    def service(self, name: str) -> str:
        base = self.debian()
        recipe = RECIPES / name
        ref = f"{REPOSITORY}/{name}:{recipe_digest(base.encode(), *folder_bytes(recipe))}"
        if self._cached(ref):
            return ref
        started = time.monotonic()
        self._build(ref, self._context(recipe), base)
        return self._done(ref, started)

    def _cached(self, ref: str) -> bool:
        if ref in self._built:
            return True
        if self.engine.image_exists(ref):
            self._built[ref] = ref
            return True
        return False

    def _context(self, recipe: Path) -> Path:
        context = Path(tempfile.mkdtemp(prefix=f"{recipe.name}-", dir=self.workdir))
        shutil.copytree(recipe, context, dirs_exist_ok=True)
        return context

    def _build(self, ref: str, context: Path, base: str | None = None, **build_args: str) -> None:
        if base:
            build_args = {"BASE": base} | build_args
        args = [
            item
            for name, value in build_args.items()
            for item in ("--build-arg", f"{name}={value}")
        ]
        try:
            self.engine.run(
                "build", "--pull=false", "--tag", ref, *args, str(context), timeout=1800
            )
        finally:
            shutil.rmtree(context, ignore_errors=True)

    def _done(self, ref: str, started: float) -> str:
        self.timings[ref] = time.monotonic() - started
        self._built[ref] = ref
        self._remove_stale(ref)
        return ref

    def _remove_stale(self, ref: str) -> None:
        """Drop older builds of the same recipe (same name, other hash) to save disk."""
        repository, tag = ref.split(":")
        family = tag.rsplit("-", 1)[0] if "-" in tag else ""
        listed = self.engine.run("images", "--format", "{{.Repository}}:{{.Tag}}", repository)
        for other in listed.stdout.split():
            other_tag = other.split(":")[1]
            other_family = other_tag.rsplit("-", 1)[0] if "-" in other_tag else ""
            if other != ref and other_family == family:
                self.engine.run("rmi", other, check=False)


def uv_executable() -> Path:
    """The running uv binary: `uv run` exports it as UV; PATH may hold only a shell shim."""
    candidate = os.environ.get("UV") or shutil.which("uv") or "uv"
    path = Path(candidate).resolve()
    uvx = path.with_name("uvx")
    for binary in (path, uvx):
        if not binary.is_file() or not _is_elf(binary):
            raise RuntimeError(
                f"{binary} is not the uv executable the uv stand-in image needs: run the "
                "tests with `uv run pytest` (it exports UV)"
            )
    return path


def _is_elf(path: Path) -> bool:
    with path.open("rb") as file:
        return file.read(4) == b"\x7fELF"


def _minor_version(official: str, tag: str) -> str:
    match = re.match(r"(\d+\.\d+)", tag)
    if not match:
        raise LookupError(f"{official}: cannot tell the Python version from the tag")
    return match.group(1)
