"""Bad answers are refused by both engines, naming the answer and why; nothing is written."""

import pytest

from tests.generate import copier_copy, lock_step

pytestmark = pytest.mark.render

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
    pytest.param({"package_name": "celery"}, "package_name", "shadow", id="pkg-dep-celery"),
    pytest.param({"package_name": "fastapi"}, "package_name", "shadow", id="pkg-dep-fastapi"),
    pytest.param({"package_name": "redis"}, "package_name", "shadow", id="pkg-dep-redis"),
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
def test_cookiecutter_refuses(
    cookies, cookiecutter_template, tmp_path, capfd, answers, question, why
):
    with lock_step(False):
        result = cookies.bake(extra_context=answers, template=str(cookiecutter_template))
    assert result.exit_code != 0
    # pytest-cookies bakes into <tmp_path>/cookies/bakeNN: nothing may be left there.
    assert list((tmp_path / "cookies").glob("bake*/*")) == []
    message = capfd.readouterr().err
    assert f"error: {question}" in message
    assert why in message


def test_good_answers_are_accepted_by_cookiecutter(cookies, cookiecutter_template):
    answers = {"project_name": "Billing API", "package_name": "billing"}
    with lock_step(False):
        result = cookies.bake(extra_context=answers, template=str(cookiecutter_template))
    assert result.exit_code == 0, result.exception
    assert (result.project_path / "src" / "billing" / "__init__.py").is_file()
    assert result.project_path.name == "billing-api"
