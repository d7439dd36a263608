"""Config (factor III): every setting from the environment, validated before anything serves."""

import os
import re
import subprocess
import sys

import pytest
from conftest import PACKAGE, PROJECT_ROOT
from pydantic import Field, SecretStr

from {{ cookiecutter.package_name }}.settings import ConfigError, Settings, load_settings

OPTIONAL = {name: field for name, field in Settings.model_fields.items() if not field.is_required()}


class WithSecret(Settings):
    """The settings plus a secret, as a service with a database password has."""

    api_token: SecretStr = Field(min_length=20)


@pytest.fixture
def unset_optional(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Unset every variable that has a default, and SECRETS_DIR."""
    for name in [*OPTIONAL, "secrets_dir"]:
        monkeypatch.delenv(name.upper(), raising=False)
    return monkeypatch


def test_every_unset_variable_takes_its_default(unset_optional):
    settings = load_settings()
    for name, field in OPTIONAL.items():
        assert getattr(settings, name) == field.default, name


def test_each_variable_is_read_from_the_environment(unset_optional):
    values = {
        "PORT": "9000",
        "SHUTDOWN_TIMEOUT_SECONDS": "5",
        "FORWARDED_ALLOW_IPS": "*",
        "LOG_LEVEL": "debug",
        "LOG_FORMAT": "console",
        "READINESS_TIMEOUT_SECONDS": "0.5",
    }
    for name, value in values.items():
        unset_optional.setenv(name, value)
    settings = load_settings()
    assert settings.port == 9000
    assert settings.shutdown_timeout_seconds == 5
    assert settings.forwarded_allow_ips == "*"
    assert settings.log_level == "DEBUG"
    assert settings.log_format == "console"
    assert settings.readiness_timeout_seconds == 0.5


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PORT", "abc"),
        ("PORT", "0"),
        ("PORT", "70000"),
        ("PORT", ""),
        ("SHUTDOWN_TIMEOUT_SECONDS", "0"),
        ("FORWARDED_ALLOW_IPS", ""),
        ("LOG_LEVEL", "LOUD"),
        ("LOG_FORMAT", "xml"),
        ("READINESS_TIMEOUT_SECONDS", "-1"),
    ],
)
def test_a_malformed_variable_is_one_line_naming_it(unset_optional, name, value):
    unset_optional.setenv(name, value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    message = str(error.value)
    assert message.startswith(f"invalid configuration: {name}: ")
    assert "\n" not in message


def test_every_problem_is_named_at_once(unset_optional):
    unset_optional.setenv("PORT", "abc")
    unset_optional.setenv("LOG_FORMAT", "xml")
    with pytest.raises(ConfigError, match=r"PORT: .*; LOG_FORMAT: "):
        load_settings()


def test_a_missing_required_variable_is_named(unset_optional):
    unset_optional.delenv("API_TOKEN", raising=False)
    with pytest.raises(ConfigError, match=r"API_TOKEN: Field required"):
        load_settings(WithSecret)


def test_a_secret_value_never_appears_in_the_message(unset_optional):
    unset_optional.setenv("API_TOKEN", "hunter2-too-short")
    with pytest.raises(ConfigError) as error:
        load_settings(WithSecret)
    assert "API_TOKEN" in str(error.value)
    assert "hunter2" not in str(error.value)


def test_a_secret_can_be_a_file_in_secrets_dir(unset_optional, tmp_path):
    token = "t0ken-from-a-mounted-secret"
    (tmp_path / "API_TOKEN").write_text(token + "\n")
    unset_optional.delenv("API_TOKEN", raising=False)
    unset_optional.setenv("SECRETS_DIR", str(tmp_path))

    settings = load_settings(WithSecret)
    assert settings.api_token.get_secret_value() == token
    assert token not in repr(settings)


def test_the_environment_wins_over_a_secrets_file(unset_optional, tmp_path):
    (tmp_path / "API_TOKEN").write_text("from-the-file-000000000")
    unset_optional.setenv("SECRETS_DIR", str(tmp_path))
    unset_optional.setenv("API_TOKEN", "from-the-environment-000")
    assert load_settings(WithSecret).api_token.get_secret_value() == "from-the-environment-000"


def test_a_secrets_dir_that_is_not_a_directory_is_named(unset_optional, tmp_path):
    unset_optional.setenv("SECRETS_DIR", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match=r"^SECRETS_DIR: .* is not a directory$"):
        load_settings()


def test_a_bad_port_stops_the_web_process_with_one_clear_line():
    result = subprocess.run(
        [sys.executable, "-m", PACKAGE, "web"],
        env={**os.environ, "PORT": "abc"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"python -m {PACKAGE} web: invalid configuration: PORT: ")
    assert "abc" not in line  # values are never echoed: they may be secrets
    assert "Traceback" not in result.stderr


def read_env_example(*, commented: bool) -> dict[str, str]:
    """Variables in .env.example with their values; with `commented`, commented-out ones too."""
    pattern = r"^(?:# ?)?([A-Z][A-Z0-9_]*)=(.*)$" if commented else r"^([A-Z][A-Z0-9_]*)=(.*)$"
    text = (PROJECT_ROOT / ".env.example").read_text()
    return dict(re.findall(pattern, text, flags=re.MULTILINE))


def test_env_example_lists_every_variable():
    names = {name.upper() for name in Settings.model_fields} | {"SECRETS_DIR"}
    assert set(read_env_example(commented=True)) == names


def test_env_example_values_are_valid_and_the_defaults(unset_optional):
    for name, value in read_env_example(commented=False).items():
        unset_optional.setenv(name, value)
    settings = load_settings()
    for name, field in OPTIONAL.items():
        assert getattr(settings, name) == field.default, name


def test_no_code_branches_on_an_environment_name():
    """Dev/prod parity (factor X): behaviour follows granular settings, never a stage name."""
    stage = re.compile(
        r"""\b(APP_ENV|ENVIRONMENT|ENV|STAGE)\b|["'](prod|production|dev|development|staging)["']"""
    )
    offenders = [
        f"{path.relative_to(PROJECT_ROOT)}:{number}: {line.strip()}"
        for path in sorted((PROJECT_ROOT / "src").rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if stage.search(line)
    ]
    assert offenders == []
