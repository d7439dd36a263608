import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }}.app import create_app
from {{ cookiecutter.package_name }}.settings import Settings


@pytest.fixture
def client() -> TestClient:
    with TestClient(create_app(Settings())) as client:
        yield client
