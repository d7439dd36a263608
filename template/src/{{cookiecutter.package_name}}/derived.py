"""Files derived from the code: the `derive` command (cli.py) writes them.

openapi.json (the API's contract), .env.example (every variable, for local work) and
docs/settings.md (every variable, for people) are computed from the app and from
`Settings`: never edit them by hand, and never merge them. The template writes them when
it makes the service and again after every `copier update`; tests/test_derived_files.py
fails when a committed one differs from what the code says.
"""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, get_args

from pydantic import SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

from {{ cookiecutter.package_name }}.settings import (
    DEFAULT_SECRETS_DIR,
    SETTINGS_GROUPS,
    Settings,
)

NOT_SET = "—"
COMMAND = f"python -m {__package__} derive"


def example_settings() -> Settings:
    """Settings from defaults and each required field's example, whatever the environment."""
    examples = {
        name: field.examples[0]
        for name, field in Settings.model_fields.items()
        if field.is_required() and field.examples
    }
    return Settings.model_construct(**examples)


def openapi_json() -> str:
    from {{ cookiecutter.package_name }}.app import create_app, openapi_document

    return openapi_document(create_app(example_settings()))


def _fields(group: type[BaseSettings]) -> Iterator[tuple[str, FieldInfo]]:
    """The fields a group declares itself, in order (not those it inherits)."""
    for name in group.__annotations__:
        if name in group.model_fields:
            yield name, group.model_fields[name]


def env_value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _title(group: type[BaseSettings]) -> str:
    return (group.__doc__ or group.__name__).strip().splitlines()[0].rstrip(".")


def env_example() -> str:
    lines = [
        "# Every variable the service reads. Derived from the code: regenerate it with",
        f"#   {COMMAND}",
        "# For local work: cp .env.example .env, then",
        f"#   uv run --env-file .env python -m {__package__} web",
        "# .env is git-ignored. Real secrets belong in the platform's secret store, or in",
        "# files in SECRETS_DIR; never in git.",
    ]
    for group in SETTINGS_GROUPS:
        fields = list(_fields(group))
        if not fields:
            continue
        lines += ["", f"# --- {_title(group)}"]
        for name, field in fields:
            lines.append(f"# {field.description}" if field.description else "#")
            if field.is_required():
                example = field.examples[0] if field.examples else ""
                lines.append(f"{name.upper()}={example}")
            elif field.default is None:
                example = field.examples[0] if field.examples else ""
                lines.append(f"# {name.upper()}={example}")
            else:
                lines.append(f"{name.upper()}={env_value(field.default)}")
    lines += [
        "",
        "# --- Secrets as files named after their variable, read when the directory exists",
        f"# SECRETS_DIR={DEFAULT_SECRETS_DIR}",
    ]
    return "\n".join(lines) + "\n"


def _is_secret(field: FieldInfo) -> bool:
    return SecretStr in (field.annotation, *get_args(field.annotation))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def settings_doc() -> str:
    lines = [
        "# Settings",
        "",
        f"<!-- Derived from the code by `{COMMAND}`: do not edit. -->",
        "",
        "Every variable the service reads, by the part of the code that reads it. A missing or",
        "malformed one stops every process at start with one line naming it (never its value).",
    ]
    for group in SETTINGS_GROUPS:
        fields = list(_fields(group))
        if not fields:
            continue
        lines += [
            "",
            f"## {_title(group)}",
            "",
            "| Variable | Default | Required | Secret | What it sets |",
            "|---|---|---|---|---|",
        ]
        for name, field in fields:
            required = field.is_required()
            shown = env_value(field.default)
            default = NOT_SET if required or field.default is None else f"`{_cell(shown)}`"
            lines.append(
                f"| `{name.upper()}` | {default} | "
                f"{'yes' if required else 'no'} | {'yes' if _is_secret(field) else 'no'} | "
                f"{_cell(field.description or '')} |"
            )
    lines += [
        "",
        "## Secrets as files",
        "",
        f"`SECRETS_DIR` (default `{DEFAULT_SECRETS_DIR}`): a directory of files, each named after",
        "a variable and holding its value, as Docker, compose and Kubernetes mount secrets;",
        "read when it exists. The environment variable wins when both are set.",
    ]
    return "\n".join(lines) + "\n"


# Each derived file, by its path in the project, and what writes it.
DERIVED_FILES: dict[str, Callable[[], str]] = {
    "openapi.json": openapi_json,
    ".env.example": env_example,
    "docs/settings.md": settings_doc,
}


def stale_files(root: Path) -> list[str]:
    """The derived files under `root` that differ from what the code says."""
    return [
        path
        for path, derive in DERIVED_FILES.items()
        if not (root / path).is_file() or (root / path).read_text(encoding="utf-8") != derive()
    ]


def write_derived_files(root: Path) -> list[str]:
    """Write every derived file under `root`; returns the paths that changed."""
    changed = []
    for path, derive in DERIVED_FILES.items():
        target = root / path
        content = derive()
        if not target.is_file() or target.read_text(encoding="utf-8") != content:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
            changed.append(path)
    return changed
