"""Write hooks/reserved_names.json: the names a service's package may not take.

Both engines read the file: copier.yml includes it as a computed value its validators
and derived defaults use; hooks/pre_prompt.py hands it to cookiecutter's prompts and
hooks/pre_gen_project.py refuses the same names. Nothing in it is typed by hand except
LAYOUT:

- keywords: `keyword.kwlist` and `keyword.softkwlist` of every interpreter named;
- stdlib: `sys.stdlib_module_names` of every interpreter named;
- dependencies: every distribution in a generated service's `uv.lock` and every top-level
  module its environment installs (`importlib.metadata.packages_distributions()`).

A service's package named like one of them shadows it (or, for a distribution, makes
`uv lock` fail: the project would depend on itself). The file keeps names it already
holds, so a refresh on a machine with fewer interpreters drops nothing.
tests/test_questions.py fails when the file misses a name, and says how to refresh it:

    python hooks/reserved_names.py --python python3.13 --python python3.14 \
        --project /path/to/a/generated/service/with/every/option/on/and/a/synced/.venv
"""

import argparse
import json
import re
import subprocess
import tomllib
from pathlib import Path

from pre_prompt import dumps

DATA = Path(__file__).with_name("reserved_names.json")

# Names the generated layout itself uses: its folders and the image's working directory.
LAYOUT = ["app", "src", "tests"]

INTERPRETER_NAMES = (
    "import json, keyword, sys; print(json.dumps({"
    "'keywords': keyword.kwlist + getattr(keyword, 'softkwlist', []),"
    "'stdlib': sorted(sys.stdlib_module_names)}))"
)
INSTALLED_MODULES = (
    "import importlib.metadata as m, json; print(json.dumps(sorted(m.packages_distributions())))"
)


def public(names: set[str]) -> set[str]:
    """Names a package could take: identifiers, not private ('_x'), lower-cased."""
    return {name.lower() for name in names if name.isidentifier() and not name.startswith("_")}


def interpreter_names(python: str) -> dict[str, set[str]]:
    found = json.loads(
        subprocess.run([python, "-c", INTERPRETER_NAMES], capture_output=True, check=True).stdout
    )
    # sys.stdlib_module_names leaves out the standard library's own test package.
    return {"keywords": set(found["keywords"]), "stdlib": public({*found["stdlib"], "test"})}


def normalised(distribution: str) -> str:
    return re.sub(r"[-_.]+", "_", distribution).lower()


def dependency_names(project: Path) -> set[str]:
    lock = tomllib.loads((project / "uv.lock").read_text())
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    distributions = {normalised(package["name"]) for package in lock["package"]}
    distributions.discard(normalised(pyproject["project"]["name"]))
    modules = json.loads(
        subprocess.run(
            [str(project / ".venv" / "bin" / "python"), "-c", INSTALLED_MODULES],
            capture_output=True,
            check=True,
        ).stdout
    )
    own = pyproject["tool"]["uv"]["build-backend"]["module-name"]
    return public(distributions | set(modules)) - {own}


def load() -> dict[str, list[str]]:
    return json.loads(DATA.read_text()) if DATA.exists() else {}


def write(found: dict[str, set[str]]) -> None:
    current = load()
    merged = {
        group: sorted(set(current.get(group, [])) | found.get(group, set()))
        for group in ("keywords", "stdlib", "dependencies")
    }
    merged["layout"] = LAYOUT
    DATA.write_text(dumps(merged), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", action="append", default=[], help="an interpreter to ask")
    parser.add_argument("--project", type=Path, help="a generated service with a synced .venv")
    args = parser.parse_args()
    found: dict[str, set[str]] = {"keywords": set(), "stdlib": set(), "dependencies": set()}
    for python in args.python:
        for group, names in interpreter_names(python).items():
            found[group] |= names
    if args.project:
        found["dependencies"] = dependency_names(args.project)
    write(found)


if __name__ == "__main__":
    main()
