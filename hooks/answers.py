"""Refuse bad answers under cookiecutter, in one line each, before anything is written.

copier refuses the same answers through the validators in copier.yml; both read the
reserved names from hooks/reserved_names.json, so both engines refuse the same names.

cookiecutter has no validators, and a failing pre_gen_project hook ends under a traceback
of cookiecutter's own. So cookiecutter.json loads `RefuseBadAnswers` (cookiecutter puts
the template's folder on the import path for its `_extensions`), and the template folder's
name is `{{ cookiecutter | refuse_bad_answers }}`: the first thing rendered. A refusal
raises the error cookiecutter's command line prints as its message alone.
"""

import json
import re
from pathlib import Path

from jinja2.ext import Extension

RESERVED_NAMES = Path(__file__).with_name("reserved_names.json")

SLUG = re.compile(r"^[a-z]([a-z0-9-]*[a-z0-9])?$")
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def errors(answers: dict[str, str], reserved: dict[str, list[str]]) -> list[str]:
    found = []
    if not answers["project_name"].strip():
        found.append("project_name must not be blank")
    slug = answers["project_slug"]
    if not SLUG.match(slug):
        found.append(
            f"project_slug '{slug}' must be a DNS-1123 label: lowercase letters, digits "
            "and '-', starting with a letter and not ending with '-'"
        )
    elif len(slug) > 40:
        found.append(
            f"project_slug '{slug}' is {len(slug)} characters long; "
            "at most 40 keep Kubernetes names with suffixes under 63"
        )
    elif (derived := slug.replace("-", "_")) in reserved["dependencies"]:
        found.append(
            f"project_slug '{slug}' is the name of a package the service depends on "
            f"({derived}): uv cannot lock a project that depends on itself"
        )
    elif derived in reserved["keywords"] + reserved["stdlib"] + reserved["layout"]:
        found.append(
            f"project_slug '{slug}' would make the package name '{derived}', which is reserved; "
            "choose another slug"
        )
    package = answers["package_name"]
    if not IDENTIFIER.match(package):
        found.append(
            f"package_name '{package}' must be a valid Python identifier in lowercase "
            "(letters, digits, '_'; not starting with a digit)"
        )
    elif package in reserved["keywords"]:
        found.append(f"package_name '{package}' is a Python keyword")
    elif package in reserved["stdlib"]:
        found.append(f"package_name '{package}' would shadow the standard-library module {package}")
    elif package in reserved["dependencies"]:
        found.append(
            f"package_name '{package}' would shadow {package}, a package the service depends on"
        )
    elif package in reserved["layout"]:
        found.append(f"package_name '{package}' would shadow the service's own {package} folder")
    if not answers["author_name"].strip():
        found.append("author_name must not be blank")
    email = answers["author_email"]
    if not EMAIL.match(email):
        found.append(f"author_email '{email}' is not an email address (expected name@domain.tld)")
    return found


def refuse_bad_answers(answers: dict) -> str:
    """The project folder's name, the slug; or the reasons the answers are refused."""
    problems = errors(answers, json.loads(RESERVED_NAMES.read_text(encoding="utf-8")))
    if problems:
        from cookiecutter.exceptions import FailedHookException

        raise FailedHookException("\n".join(f"error: {problem}" for problem in problems))
    return answers["project_slug"]


class RefuseBadAnswers(Extension):
    def __init__(self, environment) -> None:
        super().__init__(environment)
        environment.filters["refuse_bad_answers"] = refuse_bad_answers
