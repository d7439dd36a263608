"""Every setting comes from the environment and is validated at start (factor III).

Names follow platform conventions (PORT, LOG_LEVEL, DATABASE_URL, ...). Secrets are
`SecretStr`, and can also be files named after the variable in SECRETS_DIR, as
Kubernetes and compose mount them. There is deliberately no "environment name"
switch: each behaviour has its own variable, so every deploy is configured the same way.

Adding a setting: add a field in the group it belongs to, then a row in the README's
table and a line in `.env.example` (tests/test_readme.py and tests/test_config.py check both).
"""

import os
from pathlib import Path
from typing import Annotated, Literal
{%- if cookiecutter.database == 'postgres' or cookiecutter.cache == 'redis' or cookiecutter.worker == 'celery' %}
from urllib.parse import urlsplit
{%- endif %}

from pydantic import {% if cookiecutter.database == 'postgres' or cookiecutter.cache == 'redis' or cookiecutter.worker == 'celery' %}AfterValidator, {% endif %}{% if cookiecutter.telemetry == 'yes' or cookiecutter.auth == 'jwt' %}AnyHttpUrl, {% endif %}BeforeValidator, Field, {% if cookiecutter.database == 'postgres' or cookiecutter.cache == 'redis' or cookiecutter.worker == 'celery' %}SecretStr, {% endif %}ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

# Where Docker and compose mount secrets; Kubernetes mounts wherever SECRETS_DIR points.
DEFAULT_SECRETS_DIR = Path("/run/secrets")

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
{%- if cookiecutter.telemetry == 'yes' %}

# The samplers the OpenTelemetry SDK has built in, by their OTEL_TRACES_SAMPLER names.
TracesSampler = Literal[
    "always_on",
    "always_off",
    "traceidratio",
    "parentbased_always_on",
    "parentbased_always_off",
    "parentbased_traceidratio",
]
{%- endif %}
{%- if cookiecutter.database == 'postgres' %}


def _postgres_url(url: SecretStr) -> SecretStr:
    # The messages never quote the URL: it holds the password.
    parts = urlsplit(url.get_secret_value())
    if parts.scheme not in {"postgres", "postgresql", "postgresql+psycopg"}:
        raise ValueError("must be a PostgreSQL URL: postgresql://user:password@host:5432/name")
    try:
        parts.port  # noqa: B018 - reading it validates it
    except ValueError:
        raise ValueError("has a port that is not a number from 0 to 65535") from None
    if not parts.hostname and "host=" not in parts.query:
        raise ValueError("names no host: postgresql://user:password@host:5432/name")
    if not parts.path.strip("/"):
        raise ValueError("names no database: postgresql://user:password@host:5432/name")
    return url
{%- endif %}
{%- if cookiecutter.cache == 'redis' or cookiecutter.worker == 'celery' %}


def _redis_url(url: SecretStr) -> SecretStr:
    if urlsplit(url.get_secret_value()).scheme not in {"redis", "rediss", "unix"}:
        raise ValueError("must be a Redis URL: redis://[:password@]host:6379/0")
    return url
{%- endif %}
{%- if cookiecutter.worker == 'celery' %}


def _broker_url(url: SecretStr) -> SecretStr:
    if urlsplit(url.get_secret_value()).scheme not in {"amqp", "amqps", "redis", "rediss"}:
        raise ValueError("must be an amqp:// (RabbitMQ) or redis:// URL")
    return url
{%- endif %}


class ConfigError(Exception):
    """The environment does not hold a valid configuration; the message names each variable."""


class Settings(BaseSettings):
    # Environment variables are the only source besides SECRETS_DIR: no .env file is
    # read here (`uv run --env-file .env` and compose do that), so production and a
    # laptop read configuration the same way.
    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    # --- web process ------------------------------------------------------------------
    port: int = Field(default=8000, ge=1, le=65535, description="TCP port the web process binds.")
    shutdown_timeout_seconds: int = Field(
        default=20,
        ge=1,
        description="After SIGTERM, how long in-flight requests may take to finish.",
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
{%- if cookiecutter.database == 'postgres' %}

    # --- PostgreSQL (db.py) -----------------------------------------------------------
    database_url: Annotated[SecretStr, AfterValidator(_postgres_url)] = Field(
        description="postgresql://user:password@host:5432/name (secret: holds the password)."
    )
    database_pool_size: int = Field(
        default=5, ge=1, description="Connections each web process keeps open."
    )
    database_max_overflow: int = Field(
        default=5, ge=0, description="Extra connections allowed under load, closed when idle."
    )
    database_pool_timeout_seconds: float = Field(
        default=5, gt=0, description="How long a request waits for a free connection."
    )
    database_connect_timeout_seconds: int = Field(
        default=5, ge=2, description="Time limit for opening a connection (whole seconds, >= 2)."
    )
    database_statement_timeout_seconds: float = Field(
        default=30, gt=0, description="The server cancels any statement that runs longer."
    )
{%- endif %}
{%- if cookiecutter.cache == 'redis' %}

    # --- Redis (cache.py, rate_limit.py) ----------------------------------------------
    redis_url: Annotated[SecretStr, AfterValidator(_redis_url)] = Field(
        description="redis://[:password@]host:6379/0 (secret: may hold a password)."
    )
    redis_timeout_seconds: float = Field(
        default=1, gt=0, description="Time limit for connecting to Redis and for each command."
    )
    rate_limit_writes: int = Field(
        default=60, ge=1, description="Writes (POST, PUT, PATCH, DELETE) per client per window."
    )
    rate_limit_window_seconds: int = Field(
        default=60, ge=1, description="Length of the rate limit's window."
    )
{%- endif %}
{%- if cookiecutter.cache == 'redis' or cookiecutter.worker == 'celery' %}

    # --- Redis keys (the cache's and the worker's) ------------------------------------
    redis_key_prefix: str = Field(
        default="{{ cookiecutter.project_slug }}:",
        description="Prefix of every Redis key the service writes, so services can share a Redis.",
    )
{%- endif %}
{%- if cookiecutter.worker == 'celery' %}

    # --- worker (worker.py) -----------------------------------------------------------
    celery_broker_url: Annotated[SecretStr, AfterValidator(_broker_url)] = Field(
        description="amqp://user:password@host:5672// (RabbitMQ) or redis://host:6379/0 (secret)."
    )
    celery_result_backend: Annotated[SecretStr, AfterValidator(_redis_url)] = Field(
        description="redis://host:6379/0, where job states and results are kept (secret)."
    )
    celery_queue: str = Field(
        default="{{ cookiecutter.project_slug }}",
        min_length=1,
        description="Queue the jobs go through.",
    )
    worker_concurrency: int = Field(
        default=2, ge=1, description="Jobs each worker process runs at once (a child process each)."
    )
    celery_visibility_timeout_seconds: int = Field(
        default=3600,
        ge=1,
        description="Redis broker only: a job unacknowledged this long is delivered again.",
    )
{%- endif %}
{%- if cookiecutter.telemetry == 'yes' %}

    # --- telemetry (telemetry.py, metrics.py): the standard OpenTelemetry variables ---
    otel_exporter_otlp_endpoint: AnyHttpUrl | None = Field(
        default=None,
        description="OTLP/HTTP collector, http://collector:4318; tracing is off while unset.",
    )
    otel_exporter_otlp_protocol: Literal["http/protobuf"] = Field(
        default="http/protobuf", description="The one protocol spans are exported with."
    )
    otel_service_name: str = Field(
        default="{{ cookiecutter.project_slug }}",
        min_length=1,
        description="`service.name` of every span this service exports.",
    )
    otel_traces_sampler: TracesSampler = Field(
        default="parentbased_always_on", description="Which traces are recorded and exported."
    )
    otel_traces_sampler_arg: float = Field(
        default=1.0, ge=0, le=1, description="Share of traces kept by the *traceidratio samplers."
    )
    otel_sdk_disabled: bool = Field(
        default=False, description="`true` turns tracing off, whatever else is set."
    )
{%- if cookiecutter.worker == 'celery' %}
    worker_metrics_port: int = Field(
        default=9464,
        ge=0,
        le=65535,
        description="Port the worker serves its /metrics on; 0 picks a free one.",
    )
{%- endif %}
{%- endif %}
{%- if cookiecutter.auth == 'jwt' %}

    # --- authentication (auth.py): any OpenID Connect provider ------------------------
    auth_issuer: str = Field(
        min_length=1, description="Issuer the tokens must name (`iss`), as the provider writes it."
    )
    auth_audience: str = Field(
        min_length=1, description="Audience the tokens must name (`aud`): this API at the provider."
    )
    auth_jwks_uri: AnyHttpUrl = Field(
        description="The provider's public signing keys: `jwks_uri` in its discovery document."
    )
    auth_jwks_cache_seconds: int = Field(
        default=300, ge=1, description="How long fetched keys are used before being fetched again."
    )
    auth_jwks_refresh_cooldown_seconds: int = Field(
        default=30, ge=0, description="Least time between fetches for key ids the cached keys lack."
    )
{%- endif %}


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
