"""docs/service.md stays true: its factor map and its commands."""

import re

from support import PACKAGE, PROJECT_ROOT

from {{ cookiecutter.package_name }} import cli

SERVICE_DOC = (PROJECT_ROOT / "docs" / "service.md").read_text()
FACTORS = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]


def table_after(heading: str) -> list[list[str]]:
    """The rows (cells stripped) of the first table after a heading, without its header."""
    section = SERVICE_DOC.split(heading, 1)[1]
    lines = section.splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith("|"))
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))
    rows = [line.strip("|").split(" | ") for line in lines[start + 2 : end]]
    return [[cell.strip() for cell in row] for row in rows]


def backticked(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


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


def test_the_service_doc_documents_exactly_the_registered_commands():
    documented = set(re.findall(rf"python -m {PACKAGE} (\w+)", SERVICE_DOC))
    assert documented == set(cli.COMMANDS)


def test_every_extension_point_names_a_file_that_exists():
    for row in table_after("## Where your code goes"):
        for path in backticked(row[1]):
            if path.startswith(("src/", "k8s/")) and "<" not in path:
                assert (PROJECT_ROOT / path).exists(), f"{row[0]}: {path}"
