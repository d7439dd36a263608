"""API first: the committed openapi.json is the contract, and the app must match it."""

import json

from conftest import PACKAGE, PROJECT_ROOT

COMMITTED = PROJECT_ROOT / "openapi.json"


def test_the_app_matches_the_committed_openapi_document(app):
    committed = json.loads(COMMITTED.read_text())
    assert app.openapi() == committed, (
        "The API changed without its contract: review the difference, then run "
        f"`python -m {PACKAGE} openapi --output openapi.json` and commit it."
    )


def test_every_api_operation_documents_its_error_bodies(app):
    operations = [
        (path, operation)
        for path, methods in app.openapi()["paths"].items()
        if path.startswith("/v1/")
        for operation in methods.values()
    ]
    assert operations
    for path, operation in operations:
        responses = operation["responses"]
        assert {"422", "500"} <= responses.keys(), path
        schema = responses["500"]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Problem"}, path
