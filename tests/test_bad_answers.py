"""Any name a person types gives a working project or a one-line refusal, under both engines.

Bad answers are refused naming the answer and why, without a traceback, and nothing is
written; any project name (Korean, emoji, digits first, 130 characters, a dependency's name)
derives a slug and package name that pass.
"""

import json
import sys
from pathlib import Path

import copier
import pytest
from cookiecutter.generate import generate_context
from cookiecutter.main import _patch_import_path_for_repo
from cookiecutter.prompt import prompt_for_config

from hooks import answers as answers_hook  # the checks cookiecutter runs
from tests.generate import TEMPLATE_ROOT, copier_copy, lock_step
from tests.terminal import Terminal

pytestmark = pytest.mark.render


RESERVED = json.loads((TEMPLATE_ROOT / "hooks" / "reserved_names.json").read_text())

# Packages in the generated service's resolved dependency tree (not only the direct ones).
DEPENDENCY_TREE = [
    "amqp", "billiard", "click", "vine", "h11", "mako", "requests", "urllib3", "idna",
    "greenlet", "wrapt", "six", "celery", "fastapi", "redis", "kombu",
]  # fmt: skip

# (answers, the question the message must name, a phrase saying why)
BAD_ANSWERS = [
    pytest.param({"project_name": "   "}, "project_name", "must not be blank", id="blank-name"),
    pytest.param({"project_slug": "My_Service"}, "project_slug", "DNS-1123", id="slug-charset"),
    pytest.param(
        {"project_slug": "9lives"}, "project_slug", "starting with a letter", id="slug-digit"
    ),
    pytest.param(
        {"project_slug": "service-"}, "project_slug", "not ending with '-'", id="slug-dash"
    ),
    pytest.param({"project_slug": "a" * 41}, "project_slug", "at most 40", id="slug-too-long"),
    pytest.param(
        {"package_name": "my-service"}, "package_name", "Python identifier", id="pkg-dash"
    ),
    pytest.param({"package_name": "2fast"}, "package_name", "Python identifier", id="pkg-digit"),
    pytest.param({"package_name": "class"}, "package_name", "keyword", id="pkg-keyword"),
    pytest.param({"package_name": "logging"}, "package_name", "shadow", id="pkg-stdlib-logging"),
    pytest.param({"package_name": "json"}, "package_name", "shadow", id="pkg-stdlib-json"),
    pytest.param({"package_name": "test"}, "package_name", "shadow", id="pkg-test"),
    *[
        pytest.param(
            {"package_name": name},
            "package_name",
            "a package the service depends on",
            id=f"pkg-{name}",
        )
        for name in DEPENDENCY_TREE
    ],
    pytest.param({"project_slug": "click"}, "project_slug", "depends on", id="slug-click"),
    pytest.param({"project_slug": "json"}, "project_slug", "reserved", id="slug-json"),
    pytest.param({"project_slug": "🚀"}, "project_slug", "'🚀' must be", id="slug-emoji"),
    pytest.param({"package_name": "결제"}, "package_name", "'결제' must be", id="pkg-korean"),
    pytest.param({"author_name": ""}, "author_name", "must not be blank", id="blank-author"),
    pytest.param({"author_email": "nobody"}, "author_email", "not an email", id="email-no-at"),
    pytest.param({"author_email": "a@b"}, "author_email", "not an email", id="email-no-domain"),
    pytest.param(
        {"author_email": "a b@example.com"}, "author_email", "not an email", id="email-space"
    ),
]


@pytest.mark.parametrize(("answers", "question", "why"), BAD_ANSWERS)
def test_copier_refuses(tmp_path, answers, question, why):
    dst = tmp_path / "service"
    with pytest.raises(ValueError, match=f"question '{question}'") as refused:
        copier_copy(answers, dst)
    assert why in str(refused.value)
    assert not dst.exists()


@pytest.mark.parametrize(("answers", "question", "why"), BAD_ANSWERS)
def test_cookiecutter_refuses(cookies, cookiecutter_template, tmp_path, answers, question, why):
    with lock_step(False):
        result = cookies.bake(extra_context=answers, template=str(cookiecutter_template))
    assert result.exit_code != 0
    # pytest-cookies bakes into <tmp_path>/cookies/bakeNN: nothing may be left there.
    assert list((tmp_path / "cookies").glob("bake*/*")) == []
    # The message cookiecutter's command line prints, alone (see hooks/answers.py).
    message = str(result.exception)
    assert f"error: {question}" in message
    assert why in message


def test_good_answers_are_accepted_by_cookiecutter(cookies, cookiecutter_template):
    answers = {"project_name": "Billing API", "package_name": "billing"}
    with lock_step(False):
        result = cookies.bake(extra_context=answers, template=str(cookiecutter_template))
    assert result.exit_code == 0, result.exception
    assert (result.project_path / "src" / "billing" / "__init__.py").is_file()
    assert result.project_path.name == "billing-api"


# (project name, the slug derived from it)
ANY_NAME = [
    pytest.param("결제 서비스", "gyeolje-seobiseu", id="korean"),
    pytest.param("🚀", "service", id="emoji-only"),
    pytest.param("🚀 Rocket Launch", "rocket-launch", id="emoji-first"),
    pytest.param("2048 Game", "service-2048-game", id="digits-first"),
    pytest.param("Click", "click-service", id="a-dependency"),
    pytest.param("Json", "json-service", id="a-stdlib-module"),
    pytest.param("Café Straße Łódź", "cafe-strasse-lodz", id="accented"),
    pytest.param("東京 サービス", "service", id="other-scripts"),
    pytest.param(
        " ".join(["Payments"] * 15)[:130],
        "payments-payments-payments-payments-paym",
        id="130-characters",
    ),
]


def cookiecutter_answers(template: Path, answers: dict) -> dict:
    """What cookiecutter derives from `answers` with no input, as it would before rendering."""
    context = generate_context(template / "cookiecutter.json", extra_context=answers)
    with _patch_import_path_for_repo(template):  # for cookiecutter.json's `_extensions`
        return prompt_for_config(context, no_input=True)


@pytest.mark.parametrize(("name", "slug"), ANY_NAME)
def test_any_name_derives_a_slug_and_package_both_engines_accept(
    tmp_path, cookiecutter_template, name, slug
):
    # Whole projects from such names: tests/test_service_runtime.py.
    copied = copier.run_copy(
        str(TEMPLATE_ROOT),
        tmp_path / "service",
        data={"project_name": name},
        defaults=True,  # copier validates each derived default as an answer
        pretend=True,
        unsafe=True,
        vcs_ref="HEAD",
        quiet=True,
    ).answers.combined
    baked = cookiecutter_answers(cookiecutter_template, {"project_name": name})
    for answers in (copied, baked):
        assert (answers["project_slug"], answers["package_name"]) == (slug, slug.replace("-", "_"))
    assert answers_hook.errors(baked, RESERVED) == []


# --- typed at the prompts ------------------------------------------------------------------

QUESTIONS_AFTER_PACKAGE = [
    "One-line description", "Author or team name", "Author or team email", "Python version",
    "License", "PostgreSQL attached", "Redis attached", "Background worker", "Message broker",
    "Continuous integration", "OpenTelemetry", "Bearer-token",
]  # fmt: skip
# A plain terminal: prompt_toolkit redraws only what changed on a fancier one.
TERMINAL = {"TEMPLATE_SKIP_LOCK": "1", "TERM": "dumb"}
BIN = Path(sys.executable).parent
ERASE = "\x7f" * 60  # questionary's prompt starts filled with the default


def test_copier_prompts_take_a_korean_name_and_refuse_a_bad_slug_in_one_line(tmp_path):
    terminal = Terminal(
        [str(BIN / "copier"), "copy", "--trust", "--vcs-ref=HEAD", str(TEMPLATE_ROOT), "out"],
        cwd=tmp_path,
        env=TERMINAL,
    )
    terminal.expect(r"Name of the service.*\n.*My Service")
    terminal.send(ERASE + "결제 서비스\r")
    terminal.expect(r"Slug for the.*\n.*gyeolje-seobiseu")
    terminal.send(ERASE + "click\r")
    terminal.expect("project_slug 'click' is the name of a package the service depends on")
    terminal.send(ERASE + "gyeolje\r")
    terminal.expect(r"Python import name.*\n.*gyeolje")
    terminal.send("\r")
    for question in QUESTIONS_AFTER_PACKAGE:
        terminal.expect(question)
        terminal.send("\r")
    assert terminal.wait() == 0, terminal.text
    assert "Traceback" not in terminal.text
    assert (tmp_path / "out" / "src" / "gyeolje" / "__init__.py").is_file()


def cookiecutter_at_the_prompts(template: Path, out: Path, name: str, slug: str) -> Terminal:
    terminal = Terminal(
        [str(BIN / "cookiecutter"), str(template), "--output-dir", str(out)], env=TERMINAL
    )
    terminal.expect(r"Name of the service.*\(My Service\): ")
    terminal.send(name + "\r")
    terminal.expect(r"Slug for the.*\(gyeolje-seobiseu\): ")
    terminal.send(slug + "\r")
    terminal.expect(r"Python import name.*: ")
    terminal.send("\r")
    for question in QUESTIONS_AFTER_PACKAGE:
        terminal.expect(question)
        terminal.send("\r")
    return terminal


def test_cookiecutter_prompts_take_a_korean_name(tmp_path, cookiecutter_template):
    terminal = cookiecutter_at_the_prompts(cookiecutter_template, tmp_path, "결제 서비스", "")
    assert terminal.wait() == 0, terminal.text
    assert "Traceback" not in terminal.text
    assert (tmp_path / "gyeolje-seobiseu" / "src" / "gyeolje_seobiseu").is_dir()


def test_cookiecutter_prompts_refuse_a_bad_slug_in_one_line(tmp_path, cookiecutter_template):
    terminal = cookiecutter_at_the_prompts(cookiecutter_template, tmp_path, "결제 서비스", "🚀")
    assert terminal.wait() == 1
    assert "Traceback" not in terminal.text
    assert "error: project_slug '🚀' must be a DNS-1123 label" in terminal.text
    assert list(tmp_path.iterdir()) == []
