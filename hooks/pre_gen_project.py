"""Refuse bad answers before cookiecutter writes anything (cookiecutter only).

copier refuses the same answers through the validators in copier.yml; the lists of
reserved names are read from there so both engines refuse the same names.
"""

import re
import sys
from pathlib import Path

import yaml

ANSWERS = {
    "project_name": {{ cookiecutter.project_name | tojson }},
    "project_slug": {{ cookiecutter.project_slug | tojson }},
    "package_name": {{ cookiecutter.package_name | tojson }},
    "author_name": {{ cookiecutter.author_name | tojson }},
    "author_email": {{ cookiecutter.author_email | tojson }},
}
COPIER_YML = Path({{ cookiecutter._repo_dir | tojson }}) / "copier.yml"

SLUG = re.compile(r"^[a-z]([a-z0-9-]*[a-z0-9])?$")
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def errors(answers: dict[str, str], keywords: list[str], reserved: list[str]) -> list[str]:
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
    package = answers["package_name"]
    if not IDENTIFIER.match(package):
        found.append(
            f"package_name '{package}' must be a valid Python identifier in lowercase "
            "(letters, digits, '_'; not starting with a digit)"
        )
    elif package in keywords:
        found.append(f"package_name '{package}' is a Python keyword")
    elif package in reserved:
        found.append(
            f"package_name '{package}' would shadow a standard-library module "
            "or a dependency of the service"
        )
    if not answers["author_name"].strip():
        found.append("author_name must not be blank")
    email = answers["author_email"]
    if not EMAIL.match(email):
        found.append(f"author_email '{email}' is not an email address (expected name@domain.tld)")
    return found


def main() -> int:
    questions = yaml.safe_load(COPIER_YML.read_text())
    problems = errors(
        ANSWERS,
        keywords=questions["python_keywords"]["default"],
        reserved=questions["reserved_package_names"]["default"],
    )
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
