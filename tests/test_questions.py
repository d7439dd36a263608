"""copier.yml and cookiecutter.json ask the same questions, with the same defaults and choices."""

import json
import re

import pytest
import yaml

from tests.generate import TEMPLATE_ROOT
from tests.variants import CHOICES

pytestmark = pytest.mark.render

COPIER = yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text())
COOKIECUTTER = json.loads((TEMPLATE_ROOT / "cookiecutter.json").read_text())


def copier_questions() -> dict[str, dict]:
    """Questions a user answers: not settings (`_x`), not computed (`when: false`)."""
    return {
        name: spec
        for name, spec in COPIER.items()
        if not name.startswith("_") and spec.get("when") is not False
    }


def cookiecutter_questions() -> dict[str, object]:
    return {name: value for name, value in COOKIECUTTER.items() if not name.startswith("_")}


def normalise(default: str) -> str:
    """`{{ cookiecutter.x | f }}` and `{{ x | f }}` are the same expression."""
    return re.sub(r"\bcookiecutter\.", "", default)


def test_same_questions_in_the_same_order():
    assert list(copier_questions()) == list(cookiecutter_questions())


@pytest.mark.parametrize("name", list(copier_questions()))
def test_same_default_and_choices(name):
    spec = copier_questions()[name]
    theirs = cookiecutter_questions()[name]
    if "choices" in spec:
        # cookiecutter offers a list's first item as the default.
        assert theirs == spec["choices"]
        assert spec["default"] == spec["choices"][0]
    else:
        assert normalise(str(theirs)) == normalise(str(spec["default"]))


@pytest.mark.parametrize("name", list(copier_questions()))
def test_same_help(name):
    assert COOKIECUTTER["__prompts__"][name] == copier_questions()[name]["help"]


def test_the_computed_mapping_carries_every_question():
    mapping = COPIER["cookiecutter"]["default"]
    assert set(re.findall(r'"(\w+)": \w+', mapping)) == set(copier_questions())


def test_test_variants_know_every_choice():
    choice_questions = {n: s["choices"] for n, s in copier_questions().items() if "choices" in s}
    assert choice_questions == CHOICES


def test_options_page_documents_every_question():
    page = (TEMPLATE_ROOT / "docs" / "options.md").read_text()
    headings = set(re.findall(r"^## `(\w+)`", page, flags=re.MULTILINE))
    assert headings == set(copier_questions())
    for name, spec in copier_questions().items():
        for choice in spec.get("choices", []):
            assert f"`{choice}`" in page, f"{name}: choice {choice} is not documented"
