"""Ready cookiecutter's throw-away copy of the template (cookiecutter only; copier never runs it).

Both engines ask the questions written in copier.yml. cookiecutter runs this hook before it
reads cookiecutter.json, so the hook rewrites that file from copier.yml: the same names,
defaults (with `cookiecutter.` before each answer they refer to), choices and help, and
the reserved names the derived defaults steer clear of. The committed cookiecutter.json is
the same output (tests/test_questions.py fails when it is stale; refresh it with
`python hooks/pre_prompt.py --refresh`).

Both engines render the same `template/` tree. copier reads it through `_subdirectory`;
cookiecutter wants a folder named after an answer, so this hook renames it too, to a name
that refuses bad answers (hooks/answers.py).
"""

import json
import re
import sys
import textwrap
from pathlib import Path

import yaml  # cookiecutter depends on PyYAML

ROOT = Path(__file__).resolve().parent.parent
# Computed values of copier.yml that cookiecutter's defaults read, as private variables.
COMPUTED = {"reserved_names": "_reserved_names"}
STRING = re.compile(r"""('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""")


def questions(copier: dict) -> dict[str, dict]:
    """Questions a user answers: not settings (`_x`), not computed (`when: false`)."""
    return {
        name: spec
        for name, spec in copier.items()
        if not name.startswith("_") and spec.get("when") is not False
    }


def for_cookiecutter(expression: str, names: list[str]) -> str:
    """Refer to answers as cookiecutter.x: `{{ x | f }}` becomes `{{ cookiecutter.x | f }}`."""
    renames = {name: name for name in names} | COMPUTED
    pattern = re.compile(r"(?<![.\w])(" + "|".join(map(re.escape, renames)) + r")\b")
    parts = STRING.split(expression)
    return "".join(
        part if index % 2 else pattern.sub(lambda m: f"cookiecutter.{renames[m[1]]}", part)
        for index, part in enumerate(parts)
    )


def cookiecutter_json(root: Path) -> dict:
    copier = yaml.safe_load((root / "copier.yml").read_text(encoding="utf-8"))
    asked = questions(copier)
    context: dict = {
        "_extensions": ["hooks.answers.RefuseBadAnswers"],
        "_reserved_names": json.loads(
            (root / "hooks" / "reserved_names.json").read_text(encoding="utf-8")
        ),
    }
    for name, spec in asked.items():
        if "choices" in spec:
            # cookiecutter offers a list's first item as the default (so does copier.yml).
            context[name] = spec["choices"]
        else:
            context[name] = for_cookiecutter(str(spec["default"]), list(asked))
    # Values computed from the answers: the `"__x": expression,` lines of the mapping.
    mapping = copier["cookiecutter"]["default"]
    for name, expression in re.findall(r'^\s*"(__\w+)": (.+),$', mapping, flags=re.MULTILINE):
        context[name] = "{{ " + for_cookiecutter(expression, list(asked)) + " }}"
    context["__prompts__"] = {name: spec["help"] for name, spec in asked.items()}
    return context


def dumps(data: dict) -> str:
    """JSON with two-space indents; a list of names fills lines of up to 100 characters."""
    text = json.dumps(data, indent=2, ensure_ascii=False)

    def fill(match: re.Match) -> str:
        indent = match[1]
        names = re.findall(r'"[^"]*"', match[2])
        if len(", ".join(names)) <= 60:
            return "[" + ", ".join(names) + "]"
        lines = textwrap.wrap(", ".join(names), 100 - len(indent) - 2, break_on_hyphens=False)
        body = "".join(f"\n{indent}  {line}" for line in lines)
        return f"[{body}\n{indent}]"

    return re.sub(r'\[\n( *)  ("[^"\n]*",?\n(?:\1  "[^"\n]*",?\n)*)\1\]', fill, text) + "\n"


def write(root: Path) -> None:
    (root / "cookiecutter.json").write_text(dumps(cookiecutter_json(root)), encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] == ["--refresh"]:
        write(ROOT)
    else:
        write(Path.cwd())
        # Rendered first; refuses bad answers (hooks/answers.py).
        Path("template").rename("{{ cookiecutter | refuse_bad_answers }}")
