"""Every setting comes from the environment and is validated at start (factor III).

Names follow platform conventions (PORT, LOG_LEVEL, DATABASE_URL, ...). Secrets are
`SecretStr`, and can also be files named after the variable in SECRETS_DIR, as
Kubernetes and compose mount them. There is deliberately no "environment name"
switch: each behaviour has its own variable.
"""

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRETS_DIR = "/run/secrets"


class ConfigError(Exception):
    """The environment does not hold a valid configuration; the message names each variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    port: int = Field(default=8000, ge=1, le=65535, description="TCP port the web process binds.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        default="INFO", description="Lowest level written to stdout."
    )
    log_format: Literal["json", "console"] = Field(
        default="json", description="`json` lines for machines, `console` for people."
    )
    shutdown_timeout_seconds: float = Field(
        default=20.0,
        gt=0,
        description="How long in-flight requests may take to finish after SIGTERM.",
    )
    readiness_timeout_seconds: float = Field(
        default=1.0, gt=0, description="Time limit for each backing-service check of /readyz."
    )


def load_settings() -> Settings:
    """Read the environment, turning validation errors into one line per variable.

    The message never carries the offending value: it may be a secret.
    """
    secrets_dir = Path(os.environ.get("SECRETS_DIR", DEFAULT_SECRETS_DIR))
    try:
        if secrets_dir.is_dir():
            return Settings(_secrets_dir=secrets_dir)
        return Settings()
    except ValidationError as error:
        problems = [
            f"{'.'.join(str(part) for part in problem['loc']).upper()}: {problem['msg']}"
            for problem in error.errors(include_input=False, include_url=False)
        ]
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from None
