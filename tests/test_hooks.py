"""The post-generation hook's re-lock step says the real cause when it cannot lock."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.generate import TEMPLATE_ROOT

pytestmark = pytest.mark.render

HOOK = TEMPLATE_ROOT / "hooks" / "post_gen_project.py"
PROJECT = """[project]
name = "{name}"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = [{dependencies}]
"""


def relock(root: Path, **env: str) -> str:
    """Run the hook as copier's after-update migration does; what it printed."""
    answers = json.dumps({"package_name": "svc"})
    result = subprocess.run(
        [sys.executable, str(HOOK), answers, "relock"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        env=os.environ | {"UV_NO_PROGRESS": "1"} | env,
    )
    return result.stdout


@pytest.fixture
def service(tmp_path: Path) -> Path:
    """A locked project with no dependencies (locking it needs no index)."""
    (tmp_path / "pyproject.toml").write_text(PROJECT.format(name="svc", dependencies=""))
    subprocess.run(["uv", "lock", "--quiet", "--offline"], cwd=tmp_path, check=True)
    return tmp_path


def test_a_conflict_left_in_pyproject_stops_the_relock_naming_it(service):
    (service / "pyproject.toml").write_text(
        PROJECT.format(name="svc", dependencies="")
        + '<<<<<<< before updating\n"a"\n=======\n"b"\n>>>>>>> after updating\n'
    )
    locked = (service / "uv.lock").read_text()
    printed = relock(service)
    assert "not re-locked" in printed
    assert "pyproject.toml hold unresolved update conflicts" in printed
    assert (service / "uv.lock").read_text() == locked


def test_a_rej_file_next_to_pyproject_stops_the_relock_naming_it(service):
    (service / "pyproject.toml").write_text(PROJECT.format(name="svc", dependencies=""))
    (service / "pyproject.toml.rej").write_text("@@ -1 +1 @@\n")
    assert "pyproject.toml.rej hold unresolved update conflicts" in relock(service)


def test_a_project_named_like_its_dependency_is_named_as_the_cause(service):
    (service / "pyproject.toml").write_text(PROJECT.format(name="click", dependencies='"flask>=3"'))
    printed = relock(service)
    assert "the project's name is also the name of a package it depends on" in printed


def test_an_unreachable_index_is_named_as_the_cause(service, tmp_path_factory):
    (service / "pyproject.toml").write_text(
        PROJECT.format(name="svc", dependencies='"not-in-any-cache-pkg>=1"')
    )
    # Port 9 (discard) on loopback: nothing listens there, so the index refuses at once.
    printed = relock(
        service,
        UV_INDEX_URL="http://127.0.0.1:9/simple",
        UV_CACHE_DIR=str(tmp_path_factory.mktemp("empty-uv-cache")),
    )
    assert "the package index is unreachable" in printed
