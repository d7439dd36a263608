"""A team's first week of edits meets the next template release: no conflict, nothing lost.

The service is made from this design (the repository's HEAD), edited the way teams
edit in their first week, then updated to a later template commit whose changes touch
the same files: a new dependency, a new API module, a new setting, new README and docs
text, a new default for prod's scale. Both conflict modes copier offers are tried.
"""

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.template_versions import TemplateClone, clone_template, git
from tests.update.service import UPDATABLE as DEFAULT
from tests.update.service import commit, conflicts, generate, replace_once, shipped, update, uv

pytestmark = pytest.mark.update

ANSWERS = DEFAULT
PACKAGE = "my_service"  # from the default project name
TEMPLATE_SRC = "template/src/{{cookiecutter.package_name}}"

# --- the team's week -------------------------------------------------------------------

SIZES_MODULE = f'''"""Sizes: a byte count in words people read, such as "3.0 MB"."""

from typing import Annotated

import humanize
from fastapi import APIRouter, Path
from pydantic import BaseModel

from {PACKAGE}.api import API_RESPONSES
from {PACKAGE}.auth import requires

router = APIRouter(prefix="/v1/sizes", tags=["sizes"], responses=API_RESPONSES)
READ = requires("sizes:read")


class Size(BaseModel):
    text: str


@router.get("/{{count}}", summary="Say a byte count in words", dependencies=[READ])
async def describe_size(count: Annotated[int, Path(ge=0, le=2**63 - 1)]) -> Size:
    return Size(text=humanize.naturalsize(count))
'''
SIZES_TEST = """def test_a_byte_count_reads_as_words(client):
    response = client.get("/v1/sizes/3000000")
    assert response.status_code == 200
    assert response.json() == {"text": "3.0 MB"}
"""
TEAM_SETTINGS = """
    billing_currency: str = Field(
        default="EUR", min_length=3, max_length=3, description="ISO 4217 code of every price."
    )
    billing_grace_days: int = Field(
        default=14, ge=0, description="Days an unpaid invoice waits before it is chased."
    )
"""
README_PARAGRAPH = "\nOwned by the billing team; ask in #billing before changing its API.\n"


def make_first_week_edits(project: Path) -> None:
    package = project / "src" / PACKAGE
    uv(project, "add", "--quiet", "humanize>=4.9")
    (package / "api" / "sizes.py").write_text(SIZES_MODULE)
    (project / "tests" / "test_sizes.py").write_text(SIZES_TEST)
    settings = package / "service_settings.py"
    text = settings.read_text().replace(
        "from pydantic_settings import BaseSettings",
        "from pydantic import Field\nfrom pydantic_settings import BaseSettings",
    )
    settings.write_text(text + TEAM_SETTINGS)
    readme = project / "README.md"
    readme.write_text(readme.read_text() + README_PARAGRAPH)
    replace_once(
        project / "k8s/overlays/prod/tuning/kustomization.yaml", "count: 2\n", "count: 4\n"
    )
    uv(project, "run", "--frozen", "python", "-m", PACKAGE, "derive")


# --- the template's next commit ------------------------------------------------------------

PING_MODULE = '''"""/v1/ping: answers at once, to check the API from outside."""

from fastapi import APIRouter
from pydantic import BaseModel

from {{ cookiecutter.package_name }}.api import API_RESPONSES

router = APIRouter(prefix="/v1/ping", tags=["ping"], responses=API_RESPONSES)


class Pong(BaseModel):
    pong: bool = True


@router.get("", summary="Answer at once")
async def ping() -> Pong:
    return Pong()
'''
CORE_SETTING = """    readiness_cache_seconds: float = Field(
        default=0, ge=0, description="How long /readyz may answer from its last checks."
    )
"""
TEMPLATE_TEXT = "\nThe template's next release says more here.\n"


def release_next_template_commit(clone: TemplateClone) -> str:
    """Change, in the clone, the files the team's week touched; the new commit's hash."""
    root = clone.path
    replace_once(
        root / "template/pyproject.toml",
        '    "structlog>=24.4",\n',
        '    "structlog>=24.4",\n    "tenacity>=9.0",\n',
    )
    (root / TEMPLATE_SRC / "api" / "ping.py").write_text(PING_MODULE)
    settings = root / TEMPLATE_SRC / "settings.py"
    replace_once(
        settings,
        "\n\n# Documentation order",
        "\n" + CORE_SETTING.rstrip("\n") + "\n\n\n# Documentation order",
    )
    for doc in ("template/README.md", "template/docs/service.md"):
        (root / doc).write_text((root / doc).read_text() + TEMPLATE_TEXT)
    replace_once(
        root / "template/k8s/overlays/prod/tuning/kustomization.yaml", "count: 2\n", "count: 3\n"
    )
    git("add", "--all", cwd=root)
    git("commit", "--quiet", "--message", "Next: /v1/ping, a setting, tenacity, text", cwd=root)
    return clone.head()


@dataclass(frozen=True)
class Week:
    project: Path
    conflicted: set[str]
    shipped_before: set[str]


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> tuple[TemplateClone, str, str]:
    """A clone whose HEAD is this design, plus one later commit of template changes."""
    template = clone_template(tmp_path_factory.mktemp("first-week") / "template")
    designed = template.head()
    return template, designed, release_next_template_commit(template)


@pytest.fixture(scope="module", params=["inline", "rej"])
def week(request, clone, tmp_path_factory: pytest.TempPathFactory) -> Week:
    template, designed, following = clone
    work = tmp_path_factory.mktemp(f"week-{request.param}")
    project = generate(template, designed, ANSWERS, work / "service", lock=True)
    uv(project, "sync", "--locked", "--quiet")
    make_first_week_edits(project)
    commit(project, "Our first week: /v1/sizes, billing settings, README, prod scale")
    before = shipped(project)
    update(project, following, lock=True, conflict=request.param)
    return Week(project, conflicts(project), before)


def test_no_conflict_marker_and_no_rej_file(week):
    assert week.conflicted == set()


def test_every_team_edit_is_kept(week):
    project, package = week.project, week.project / "src" / PACKAGE
    assert (package / "api" / "sizes.py").read_text() == SIZES_MODULE
    assert (project / "tests" / "test_sizes.py").read_text() == SIZES_TEST
    assert (package / "service_settings.py").read_text().endswith(TEAM_SETTINGS)
    readme = (project / "README.md").read_text()
    assert readme.endswith(README_PARAGRAPH)
    assert TEMPLATE_TEXT not in readme  # the README is the team's: the update left it alone
    assert "count: 4\n" in (project / "k8s/overlays/prod/tuning/kustomization.yaml").read_text()
    assert '"humanize>=4.9"' in (project / "pyproject.toml").read_text()
    assert not [path for path in week.shipped_before if not (project / path).exists()]


def test_the_template_changes_arrive(week):
    project = week.project
    assert (project / "src" / PACKAGE / "api" / "ping.py").exists()
    assert '"tenacity>=9.0"' in (project / "pyproject.toml").read_text()
    assert (project / "docs/service.md").read_text().endswith(TEMPLATE_TEXT)
    settings_doc = (project / "docs/settings.md").read_text()
    for name in ("READINESS_CACHE_SECONDS", "BILLING_CURRENCY", "BILLING_GRACE_DAYS"):
        assert f"| `{name}` |" in settings_doc
    openapi = (project / "openapi.json").read_text()
    assert '"/v1/ping"' in openapi
    assert '"/v1/sizes/{count}"' in openapi


def test_uv_lock_keeps_every_dependency_and_matches_pyproject(week):
    lock = (week.project / "uv.lock").read_text()
    assert 'name = "humanize"' in lock
    assert 'name = "tenacity"' in lock
    uv(week.project, "lock", "--check")


def test_the_updated_service_passes_its_own_checks(week):
    project = week.project
    uv(project, "sync", "--locked", "--quiet")
    uv(project, "run", "--frozen", "ruff", "check", ".")
    uv(project, "run", "--frozen", "ruff", "format", "--check", ".")
    uv(project, "run", "--frozen", "python", "-m", PACKAGE, "derive", "--check")
    suite = uv(project, "run", "--frozen", "pytest", "-p", "no:cacheprovider", "-q")
    assert " passed" in suite.stdout.splitlines()[-1]
