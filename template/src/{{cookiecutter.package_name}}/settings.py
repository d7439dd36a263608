"""Every setting comes from the environment and is validated at start (factor III).

Names follow platform conventions (PORT, LOG_LEVEL, DATABASE_URL, ...). Secrets are
`SecretStr`, and can also be files named after the variable in SECRETS_DIR, as
Kubernetes and compose mount them. There is deliberately no "environment name"
switch: each behaviour has its own variable, so every deploy is configured the same way.

`Settings` is one class made of three parts: the service's own settings
(service_settings.py, yours to extend), each component's (components/), and the core
ones below. Adding a setting: a field in service_settings.py, then `python -m
{{ cookiecutter.package_name }} derive` rewrites .env.example and docs/settings.md from it.
"""

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from {{ cookiecutter.package_name }} import components
from {{ cookiecutter.package_name }}.service_settings import ServiceSettings

# Where Docker and compose mount secrets; Kubernetes mounts wherever SECRETS_DIR points.
DEFAULT_SECRETS_DIR = Path("/run/secrets")

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class ConfigError(Exception):
    """The environment does not hold a valid configuration; the message names each variable."""


class CoreSettings(BaseSettings):
    """Web process, logs and health."""

    # --- web process ------------------------------------------------------------------
    port: int = Field(default=8000, ge=1, le=65535, description="TCP port the web process binds.")
    shutdown_timeout_seconds: int = Field(
        default=20,
        ge=1,
        description="After SIGTERM, how long in-flight requests may take to finish.",
    )
    max_request_body_bytes: int = Field(
        default=1_048_576,
        ge=1,
        description="A larger request body is refused with 413 before it is read whole.",
    )
    forwarded_allow_ips: str = Field(
        default="127.0.0.1,::1",
        min_length=1,
        description="Proxy addresses trusted to set X-Forwarded-* headers (comma-separated).",
    )

    # --- logs -------------------------------------------------------------------------
    log_level: Annotated[LogLevel, BeforeValidator(lambda value: str(value).upper())] = Field(
        default="INFO", description="Lowest level written to stdout."
    )
    log_format: Literal["json", "console"] = Field(
        default="json", description="`json` lines for machines, `console` for people."
    )

    # --- health -----------------------------------------------------------------------
    readiness_timeout_seconds: float = Field(
        default=1, gt=0, description="Time limit for each backing-service check of /readyz."
    )


# Documentation order (docs/settings.md, .env.example): core, components, the service's own.
SETTINGS_GROUPS: tuple[type[BaseSettings], ...] = (
    CoreSettings,
    *(component.Settings for component in components.providing("Settings")),
    ServiceSettings,
)


class Settings(*reversed(SETTINGS_GROUPS)):  # type: ignore[misc]
    """Every setting of this service: the groups above, merged."""

    # Environment variables are the only source besides SECRETS_DIR: no .env file is
    # read here (`uv run --env-file .env` and compose do that), so production and a
    # laptop read configuration the same way.
    model_config = SettingsConfigDict(frozen=True, extra="ignore")


def load_settings(settings_class: type[Settings] = Settings) -> Settings:
    """Read the environment, turning every problem into one line that names each variable.

    The message never carries the offending value: it may be a secret.
    """
    secrets_dir = os.environ.get("SECRETS_DIR")
    if secrets_dir is not None and not Path(secrets_dir).is_dir():
        raise ConfigError(f"SECRETS_DIR: {secrets_dir} is not a directory")
    if secrets_dir is None and DEFAULT_SECRETS_DIR.is_dir():
        secrets_dir = str(DEFAULT_SECRETS_DIR)
    try:
        return settings_class(_secrets_dir=secrets_dir)
    except ValidationError as error:
        problems = [
            f"{'.'.join(str(part) for part in problem['loc']).upper()}: {problem['msg']}"
            for problem in error.errors(include_input=False, include_url=False)
        ]
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from None
    except SettingsError as error:
        # Raised before validation when a value cannot even be decoded; its message names
        # the field and its source, never the value.
        raise ConfigError(f"invalid configuration: {error}") from None
