"""The root of every local stand-in image: Debian minbase from this machine's apt mirror.

`debootstrap --variant=minbase` (about 40 s), slimmed like Debian's official images,
with the host's extra CA certificates added: every TLS connection here goes through an
egress proxy that re-signs it, so builds inside containers must trust its CA.
"""

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

RECIPE_DIR = Path(__file__).parent / "images" / "debian"
EXTRA_CA_DIR = Path("/usr/local/share/ca-certificates")
DEFAULT_MIRROR = "http://deb.debian.org/debian"
ONE_LINE_ENTRY = re.compile(r"^\s*deb\s+(?:\[[^\]]*\]\s+)?(?P<uri>\S+)\s+(?P<suite>\S+)")
INCLUDED_PACKAGES = ("ca-certificates",)
SLIMMED_PATHS = (
    "usr/share/doc",
    "usr/share/man",
    "usr/share/info",
    "usr/share/locale",
    "var/cache/apt",
    "var/lib/apt/lists",
    "var/log",
)


def codename() -> str:
    for line in Path("/etc/os-release").read_text().splitlines():
        key, _, value = line.partition("=")
        if key == "VERSION_CODENAME":
            return value.strip('"')
    return "bookworm"


def apt_mirror(suite: str, sources: list[Path] | None = None) -> str:
    """The first enabled mirror this machine uses for `suite` (one-line or deb822 format)."""
    if sources is None:
        sources = [Path("/etc/apt/sources.list")]
        sources += sorted(Path("/etc/apt/sources.list.d").glob("*.list"))
        sources += sorted(Path("/etc/apt/sources.list.d").glob("*.sources"))
    for source in sources:
        if not source.is_file():
            continue
        text = source.read_text()
        if source.suffix == ".sources":
            for stanza in text.split("\n\n"):
                fields = dict(
                    line.split(":", 1)
                    for line in stanza.splitlines()
                    if ":" in line and line[0] != "#"
                )
                suites = fields.get("Suites", "").split()
                if suite in suites and fields.get("Enabled", "yes").strip() != "no":
                    return fields["URIs"].split()[0]
        else:
            for line in text.splitlines():
                entry = ONE_LINE_ENTRY.match(line)
                if entry and entry.group("suite") == suite:
                    return entry.group("uri")
    return DEFAULT_MIRROR


def extra_ca_certificates() -> list[Path]:
    return sorted(path for path in EXTRA_CA_DIR.rglob("*.crt") if path.is_file())


def recipe_inputs(suite: str, mirror: str) -> list[bytes]:
    """Everything the rootfs depends on, for the cache key."""
    parts = [suite.encode(), mirror.encode(), " ".join(INCLUDED_PACKAGES).encode()]
    parts += [path.read_bytes() for path in sorted(RECIPE_DIR.iterdir())]
    parts += [path.name.encode() + path.read_bytes() for path in extra_ca_certificates()]
    parts.append(Path(__file__).read_bytes())
    return parts


def build_rootfs_tar(suite: str, mirror: str, workdir: Path) -> Path:
    """Bootstrap, slim and pack the root filesystem; returns the tarball's path."""
    rootfs = Path(tempfile.mkdtemp(prefix="rootfs-", dir=workdir))
    try:
        subprocess.run(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={','.join(INCLUDED_PACKAGES)}",
                suite,
                str(rootfs),
                mirror,
            ],
            check=True,
            capture_output=True,
            timeout=900,
        )
        install_ca_certificates(rootfs)
        slim(rootfs)
        tarball = workdir / f"{suite}-rootfs.tar"
        subprocess.run(
            ["tar", "--numeric-owner", "-C", str(rootfs), "-cf", str(tarball), "."],
            check=True,
            timeout=600,
        )
        return tarball
    finally:
        shutil.rmtree(rootfs, ignore_errors=True)


def install_ca_certificates(rootfs: Path) -> None:
    target = rootfs / EXTRA_CA_DIR.relative_to("/")
    target.mkdir(parents=True, exist_ok=True)
    for certificate in extra_ca_certificates():
        shutil.copy2(certificate, target / certificate.name)
    subprocess.run(
        ["chroot", str(rootfs), "update-ca-certificates"],
        check=True,
        capture_output=True,
        timeout=120,
    )


def slim(rootfs: Path) -> None:
    shutil.copy2(RECIPE_DIR / "slim.dpkg.cfg", rootfs / "etc/dpkg/dpkg.cfg.d/slim")
    shutil.copy2(RECIPE_DIR / "clean.apt.conf", rootfs / "etc/apt/apt.conf.d/docker-clean")
    shutil.copy2(RECIPE_DIR / "policy-rc.d", rootfs / "usr/sbin/policy-rc.d")
    for relative in SLIMMED_PATHS:
        folder = rootfs / relative
        if folder.is_dir():
            for child in folder.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
