"""Derived files are what the code says: openapi.json, .env.example and docs/settings.md.

They are written by `python -m <package> derive` (when the service was made, and after
every template update), never by hand; this fails when a committed one is stale.
"""

import pytest
from support import PACKAGE, PROJECT_ROOT

from {{ cookiecutter.package_name }} import derived
from {{ cookiecutter.package_name }}.settings import Settings


@pytest.mark.parametrize("path", sorted(derived.DERIVED_FILES))
def test_the_committed_file_is_what_the_code_writes(path):
    committed = (PROJECT_ROOT / path).read_text(encoding="utf-8")
    assert committed == derived.DERIVED_FILES[path](), (
        f"{path} is stale: run `uv run python -m {PACKAGE} derive` and commit it"
    )


def test_every_setting_is_in_env_example_and_settings_doc():
    env_example = (PROJECT_ROOT / ".env.example").read_text()
    settings_doc = (PROJECT_ROOT / "docs" / "settings.md").read_text()
    for name in Settings.model_fields:
        assert f"{name.upper()}=" in env_example, name
        assert f"| `{name.upper()}` |" in settings_doc, name


def test_env_example_read_as_the_environment_gives_the_documented_settings(monkeypatch):
    """Each value .env.example writes, read back from the environment, is the real one."""
    for name, field in Settings.model_fields.items():
        if field.is_required():
            monkeypatch.setenv(name.upper(), str(field.examples[0]))
        elif field.default is not None:
            monkeypatch.setenv(name.upper(), derived.env_value(field.default))
    loaded = Settings()
    for name, field in Settings.model_fields.items():
        if not field.is_required() and field.default is not None:
            assert getattr(loaded, name) == field.default, name
