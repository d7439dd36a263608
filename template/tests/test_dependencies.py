"""Dependencies (factor II): everything the code imports is declared; nothing is assumed."""

import ast
import importlib.metadata
import re
import sys
import tomllib

import pytest
from support import PACKAGE, PROJECT_ROOT

# Reads code only: it passes with every backing service down.
pytestmark = pytest.mark.code_only


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_modules() -> set[str]:
    modules = set()
    for path in (PROJECT_ROOT / "src").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return modules - set(sys.stdlib_module_names) - {PACKAGE}


def test_every_imported_package_is_a_declared_dependency():
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    # The service's own list and the template's group: both are installed in the image.
    specs = [*pyproject["project"]["dependencies"], *pyproject["dependency-groups"]["template"]]
    declared = {canonical(re.match(r"[\w.-]+", spec)[0]) for spec in specs}
    distributions = importlib.metadata.packages_distributions()
    undeclared = {
        module
        for module in imported_modules()
        if not {canonical(name) for name in distributions.get(module, [module])} & declared
    }
    assert undeclared == set()
