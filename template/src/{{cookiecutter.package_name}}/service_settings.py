"""This service's own settings. This file is yours: template updates never change it.

Add a field per setting, with a default unless the service cannot start without it,
a `description` (it becomes the variable's line in .env.example and docs/settings.md),
and `examples` for a required one (the value .env.example suggests). The variable is the
field's name in capitals; it is validated at start like every other setting, and a bad
value stops each process with one line naming it. For example:

    greeting: str = Field(default="hello", min_length=1, description="What / answers.")

Then run `python -m {{ cookiecutter.package_name }} derive` and commit what it rewrites.
"""

from pydantic_settings import BaseSettings


class ServiceSettings(BaseSettings):
    """The service's own settings."""
