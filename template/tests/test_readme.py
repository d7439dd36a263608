"""The README stays true: its settings table, its factor map and its commands."""

import re
from typing import get_args

import pytest
from conftest import PACKAGE, PROJECT_ROOT
from pydantic import SecretStr

from {{ cookiecutter.package_name }} import cli
from {{ cookiecutter.package_name }}.settings import DEFAULT_SECRETS_DIR, Settings

README = (PROJECT_ROOT / "README.md").read_text()
FACTORS = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]


def table_after(heading: str) -> list[list[str]]:
    """The rows (cells stripped) of the first table after a heading, without its header."""
    section = README.split(heading, 1)[1]
    lines = section.splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith("|"))
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))
    rows = [line.strip("|").split(" | ") for line in lines[start + 2 : end]]
    return [[cell.strip() for cell in row] for row in rows]


def backticked(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def settings_rows() -> dict[str, list[str]]:
    return {backticked(row[0])[0]: row[1:4] for row in table_after("## Configuration")}


def test_the_settings_table_lists_every_variable():
    names = {name.upper() for name in Settings.model_fields} | {"SECRETS_DIR"}
    assert set(settings_rows()) == names


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_each_settings_row_says_its_default_and_whether_required_and_secret(name, monkeypatch):
    default, required, secret = settings_rows()[name.upper()]
    field = Settings.model_fields[name]
    assert required == ("yes" if field.is_required() else "no")
    is_secret = SecretStr in (field.annotation, *get_args(field.annotation))
    assert secret == ("yes" if is_secret else "no")
    if field.is_required() or field.default is None:
        assert default == "—"
    else:
        # The documented default, read as the environment would give it, is the real one.
        monkeypatch.setenv(name.upper(), backticked(default)[0])
        assert getattr(Settings(), name) == field.default


def test_the_secrets_dir_row_says_its_default():
    assert settings_rows()["SECRETS_DIR"] == [f"`{DEFAULT_SECRETS_DIR}`", "no", "no"]


def test_the_factor_map_names_all_twelve_with_files_and_tests_that_exist():
    rows = table_after("## Twelve factors")
    numbered = [row[0].split(".")[0] for row in rows if row[0].split(".")[0] in FACTORS]
    assert numbered == FACTORS
    for row in rows:
        where, proven_by = backticked(row[1]), backticked(row[2])
        assert where, row[0]
        assert proven_by, row[0]
        assert all(path.startswith("tests/test_") for path in proven_by), row[0]
        for path in where + proven_by:
            assert (PROJECT_ROOT / path).exists(), f"{row[0]}: {path}"


def test_the_readme_documents_exactly_the_registered_commands():
    documented = set(re.findall(rf"python -m {PACKAGE} (\w+)", README))
    assert documented == set(cli.COMMANDS)
