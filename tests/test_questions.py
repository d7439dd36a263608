"""copier.yml is the one source of the questions; cookiecutter.json is written from it.

Also: the reserved names both engines refuse are fresh (keywords and standard library of
every interpreter here; every module and distribution of the service's dependency tree).
"""

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from tests.generate import TEMPLATE_ROOT, copier_copy, run
from tests.variants import CHOICES, DEFAULT

HOOKS = TEMPLATE_ROOT / "hooks"
COPIER = yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text())
COOKIECUTTER = json.loads((TEMPLATE_ROOT / "cookiecutter.json").read_text())
RESERVED = json.loads((HOOKS / "reserved_names.json").read_text())
REFRESH = "refresh it with `python hooks/reserved_names.py` (its docstring says how)"


def load_hook(name: str):
    """A module of hooks/, as run from there (it may import its neighbours)."""
    spec = importlib.util.spec_from_file_location(name, HOOKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(HOOKS))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(HOOKS))
    return module


pre_prompt = load_hook("pre_prompt")


def copier_questions() -> dict[str, dict]:
    return pre_prompt.questions(COPIER)


@pytest.mark.render
def test_committed_cookiecutter_json_is_what_pre_prompt_writes():
    expected = pre_prompt.dumps(pre_prompt.cookiecutter_json(TEMPLATE_ROOT))
    assert (TEMPLATE_ROOT / "cookiecutter.json").read_text() == expected, (
        "cookiecutter.json is stale: run `python hooks/pre_prompt.py --refresh`"
    )


@pytest.mark.render
def test_cookiecutter_asks_every_question_in_order_with_copier_help():
    assert [name for name in COOKIECUTTER if not name.startswith("_")] == list(copier_questions())
    assert COOKIECUTTER["__prompts__"] == {n: s["help"] for n, s in copier_questions().items()}


@pytest.mark.render
@pytest.mark.parametrize("name", [n for n, s in copier_questions().items() if "choices" in s])
def test_a_choice_default_is_its_first_choice(name):
    # cookiecutter offers a list's first item as the default.
    assert COPIER[name]["default"] == COPIER[name]["choices"][0]


@pytest.mark.render
def test_the_computed_mapping_carries_every_question():
    mapping = COPIER["cookiecutter"]["default"]
    assert set(re.findall(r'"(\w+)": \w+', mapping)) == set(copier_questions())


@pytest.mark.render
def test_test_variants_know_every_choice():
    choice_questions = {n: s["choices"] for n, s in copier_questions().items() if "choices" in s}
    assert choice_questions == CHOICES


@pytest.mark.render
def test_options_page_documents_every_question():
    page = (TEMPLATE_ROOT / "docs" / "options.md").read_text()
    headings = set(re.findall(r"^## `(\w+)`", page, flags=re.MULTILINE))
    assert headings == set(copier_questions())
    for name, spec in copier_questions().items():
        for choice in spec.get("choices", []):
            assert f"`{choice}`" in page, f"{name}: choice {choice} is not documented"


def interpreters() -> list[str]:
    found = {sys.executable}
    for minor in range(10, 16):
        if path := shutil.which(f"python3.{minor}"):
            probe = subprocess.run([path, "-c", "pass"], capture_output=True, check=False)
            if probe.returncode == 0:  # a pyenv shim for a version not selected fails
                found.add(path)
    return sorted(found)


@pytest.mark.render
@pytest.mark.parametrize("python", interpreters())
def test_reserved_names_hold_the_keywords_and_standard_library_of(python):
    found = load_hook("reserved_names").interpreter_names(python)
    for group in ("keywords", "stdlib"):
        missing = found[group] - set(RESERVED[group])
        assert not missing, f"{group} misses {sorted(missing)} of {python}: {REFRESH}"


@pytest.mark.behaviour
def test_reserved_names_hold_the_service_dependency_tree(tmp_path):
    """Every option on: the widest tree. Needs the package index (uv lock, uv sync)."""
    answers = DEFAULT | {"auth": "jwt", "broker": "redis", "project_name": "Widest Service"}
    project = copier_copy(answers, tmp_path / "widest-service", lock=True)
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"} | {
        "UV_PYTHON_DOWNLOADS": "never"
    }
    run(["uv", "sync", "--locked", "--no-progress"], project, env=env)
    found = load_hook("reserved_names").dependency_names(project)
    missing = found - set(RESERVED["dependencies"])
    assert not missing, f"dependencies misses {sorted(missing)}: {REFRESH}"
    assert {"amqp", "billiard", "click", "vine", "h11", "mako", "idna", "wrapt"} <= found
