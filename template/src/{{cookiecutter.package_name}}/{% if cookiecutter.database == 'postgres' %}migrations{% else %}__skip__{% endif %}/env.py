"""Alembic environment: migrate through the connection `migrate` hands over, or DATABASE_URL.

The `migrate` command passes its connection in. The `alembic` command (for writing new
revisions: `uv run alembic revision --autogenerate -m "..."`) connects with the same
settings as every other process.
"""

from alembic import context
from sqlalchemy import Connection, text

from {{ cookiecutter.package_name }}.db import create_admin_engine, database_url
from {{ cookiecutter.package_name }}.models import Base
from {{ cookiecutter.package_name }}.settings import load_settings

# Any number stable across releases; two release processes (a retried deploy, two
# replicas) then wait for each other instead of migrating at the same time.
MIGRATION_LOCK_ID = 1_246_871


def run_migrations(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata, compare_type=True)
    with context.begin_transaction():
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
        context.run_migrations()


if context.is_offline_mode():
    # `alembic upgrade head --sql`: print the SQL for a DBA instead of running it.
    context.configure(
        url=database_url(load_settings()), target_metadata=Base.metadata, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()
elif (given := context.config.attributes.get("connection")) is not None:
    run_migrations(given)
else:
    with create_admin_engine(load_settings()).begin() as connection:
        run_migrations(connection)
