"""The example resource: POST /v1/slugs, validated, stateless (factor VI)."""

import pytest
from fastapi.testclient import TestClient
from support import credentials

from {{ cookiecutter.package_name }}.app import create_app


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Hello, Wörld!", "hello-world"),
        ("  Crème   brûlée  ", "creme-brulee"),
        ("already-a-slug", "already-a-slug"),
        ("C'est la vie", "c-est-la-vie"),
        ("100% pure", "100-pure"),
    ],
)
def test_a_text_becomes_a_slug(client, text, slug):
    response = client.post("/v1/slugs", json={"text": text})
    assert response.status_code == 200
    assert response.json() == {"slug": slug}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"text": ""}, "String should have at least 1 character"),
        ({"text": "x" * 201}, "String should have at most 200 characters"),
        ({"text": "?!"}, "String should match pattern '[A-Za-z0-9]'"),
        ({"text": 42}, "Input should be a valid string"),
        ({}, "Field required"),
    ],
    ids=["empty", "too-long", "no-letters", "not-a-string", "missing"],
)
def test_bad_input_is_a_422_saying_what_is_wrong(client, body, message):
    response = client.post("/v1/slugs", json=body)
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "text"]
    assert error["msg"] == message


def test_any_process_gives_the_same_answer(settings, client):
    """No state between requests: a second, separate app answers exactly like the first."""
    with TestClient(create_app(settings), headers=credentials()) as other:
        for text in ["one", "Two words", "one"]:
            assert (
                client.post("/v1/slugs", json={"text": text}).json()
                == other.post("/v1/slugs", json={"text": text}).json()
            )
