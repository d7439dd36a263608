import pytest

from tests.template_versions import TemplateClone, clone_template


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> TemplateClone:
    """This repository cloned, its releases tagged, its uncommitted work as HEAD."""
    clone = clone_template(tmp_path_factory.mktemp("update") / "template")
    assert clone.releases, "CHANGELOG.md names no release (a `## X.Y.Z` heading) to update from"
    assert clone.oldest.commit != clone.head(), "HEAD is the only release: nothing to update"
    return clone
