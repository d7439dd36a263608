"""Slugs: a title turned into a URL-safe identifier.

Stateless (factor VI): the answer depends on the request alone, never on memory of
earlier requests, so any process can serve any request.
"""

import re
import unicodedata

from fastapi import APIRouter
from pydantic import BaseModel, Field

from {{ cookiecutter.package_name }}.api import API_RESPONSES
from {{ cookiecutter.package_name }}.auth import requires

MAX_TEXT_LENGTH = 200

router = APIRouter(prefix="/v1/slugs", tags=["slugs"], responses=API_RESPONSES)
# The scope the caller's token needs (auth.py): making a slug is a write, like any POST.
WRITE = requires("slugs:write")


def slugify(text: str) -> str:
    """Lowercase ASCII words joined by '-': accents dropped, everything else a separator."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


class SlugRequest(BaseModel):
    # At least one ASCII letter or digit, so the slug is never empty: a rule the schema
    # states (`pattern`), so clients and fuzzers know it before they send.
    text: str = Field(
        min_length=1,
        max_length=MAX_TEXT_LENGTH,
        pattern="[A-Za-z0-9]",
        examples=["Hello, Wörld!"],
    )


class Slug(BaseModel):
    slug: str = Field(examples=["hello-world"])


@router.post("", summary="Make a URL-safe slug from a text", dependencies=[WRITE])
async def create_slug(request: SlugRequest) -> Slug:
    return Slug(slug=slugify(request.text))
