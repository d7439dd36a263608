"""The generated service's code survives unusual answers, under both engines.

Free text (project name, description, author) lands in TOML, JSON and Markdown, in any
language and at any length; slugs can be 40 characters long. Each must stay valid, keep
its exact value, and leave the generated code clean for the project's own ruff settings.
The service's behaviour itself is proven by its own suite (test_generated_suite.py).
"""

import json
import sys
import tomllib
from pathlib import Path

import pytest

from tests.generate import run
from tests.variants import MINIMAL

pytestmark = pytest.mark.static

ODD_TEXT = MINIMAL | {
    "project_name": "Ünïcode \"quoted\" <Service> & 'co' \\ back",
    "project_slug": "odd-service",
    "package_name": "odd_service",
    "description": 'It\'s a "test" \\ with <html> & {braces} — ünïcode.',
    "author_name": 'O\'Brien "Bob" \\',
}
LONGEST_NAMES = MINIMAL | {
    "project_name": "A service name of the longest slug allowed",
    "project_slug": "a-service-name-of-the-longest-slug-allow",
    "package_name": "a_service_name_of_the_longest_slug_allow",
}
# Slug and package derived from the name (see tests/test_bad_answers.py).
KOREAN = MINIMAL | {
    "project_name": "결제 서비스",
    "description": (
        "카드 결제와 환불을 처리하고, 정산 내역을 매일 밤 회계 시스템으로 보내며, "
        "실패한 결제는 다시 시도하는 서비스입니다."
    ),
}
LONG_TEXT = MINIMAL | {
    "project_name": " ".join(["Payments"] * 15)[:130],
    "description": "Takes card payments (" + "결제 " * 40 + ") — 🚀 " + "x" * 200,
    "author_name": "The " + "Very " * 30 + "Long Team Name",
}
VARIANTS = {
    "odd-text": ODD_TEXT,
    "longest-names": LONGEST_NAMES,
    "korean": KOREAN,
    "long-text": LONG_TEXT,
}


def files(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
        and ".git" not in path.relative_to(root).parts
        and path.name != ".copier-answers.yml"
    }


@pytest.mark.parametrize("name", list(VARIANTS))
def test_both_engines_render_the_same_bytes(renders, name):
    assert files(renders.copier(name, VARIANTS[name])) == files(
        renders.cookiecutter(name, VARIANTS[name])
    )


@pytest.mark.parametrize(
    "name",
    ["odd-text", "korean", "long-text"],
)
def test_free_text_keeps_its_exact_value_in_toml_and_json(renders, name):
    answers = VARIANTS[name]
    project = renders.copier(name, answers)
    package = next((project / "src").iterdir())

    about = json.loads((package / "about.json").read_text(encoding="utf-8"))
    assert about == {"title": answers["project_name"], "description": answers["description"]}

    metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert metadata["description"] == answers["description"]
    assert metadata["authors"][0]["name"] == answers.get("author_name", "Your Name")


def test_free_text_keeps_its_exact_value_in_toml_and_the_openapi_document(renders):
    project = renders.copier("odd-text", ODD_TEXT)
    metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert metadata["description"] == ODD_TEXT["description"]
    assert metadata["authors"][0]["name"] == ODD_TEXT["author_name"]

    info = json.loads((project / "openapi.json").read_text())["info"]
    assert (info["title"], info["description"]) == (
        ODD_TEXT["project_name"],
        ODD_TEXT["description"],
    )


@pytest.mark.parametrize("name", list(VARIANTS))
def test_generated_code_is_lint_clean_and_formatted(renders, name):
    project = renders.copier(name, VARIANTS[name])
    run([sys.executable, "-m", "ruff", "check", "--no-cache", "."], project)
    run([sys.executable, "-m", "ruff", "format", "--no-cache", "--check", "."], project)
