"""Tier 2: Procfile, compose and Kubernetes declare the same processes (factors VI, XII).

One process model, rendered three ways: each process type runs the same command
with the same environment variable names wherever it is declared. Commands are
compared as the container really runs them: the image's ENTRYPOINT and CMD, as
compose's `entrypoint`/`command` and Kubernetes' `command`/`args` override them.
"""

import pytest

from tests.deploy_artifacts import (
    OVERLAYS,
    compose_argv,
    container_argv,
    variant_params,
)

# The `projects` fixture.
pytest_plugins = ["tests.deploy_fixtures"]
pytestmark = pytest.mark.static

# The Procfile names the release phase `release`; compose and Kubernetes name that
# process after what it does.
PROCFILE_ALIASES = {"release": "migrate"}


@pytest.fixture(params=variant_params())
def project(request, projects):
    return projects(request.param)


def expected_process_types(project) -> set[str]:
    types = {"web", "check"}
    if project.has_celery:
        types.add("worker")
    if project.has_postgres:
        types.add("migrate")
    return types


def image_argv(project) -> tuple[list[str], list[str]]:
    return project.dockerfile_exec_form("ENTRYPOINT"), project.dockerfile_exec_form("CMD")


def compose_processes(project) -> dict[str, dict]:
    """compose services that run the service's image, by name."""
    image = project.compose["x-app"]["image"]
    return {
        name: service
        for name, service in project.compose["services"].items()
        if service.get("image") == image
    }


def compose_commands(project) -> dict[str, list[str]]:
    entrypoint, cmd = image_argv(project)
    return {
        name: compose_argv(service, entrypoint, cmd)
        for name, service in compose_processes(project).items()
    }


def kubernetes_commands(project, overlay: str) -> dict[str, list[str]]:
    entrypoint, cmd = image_argv(project)
    commands = {}
    for component, (_, template) in project.manifests(overlay).app_workloads(project.slug).items():
        (container,) = template["spec"]["containers"]
        commands[component] = container_argv(container, entrypoint, cmd)
    return commands


def test_every_process_runs_python_dash_m_package(project):
    entrypoint, cmd = image_argv(project)
    assert entrypoint == ["python", "-m", project.package]
    assert cmd == ["web"], "the image runs the web process unless told otherwise"
    for name, argv in project.procfile.items():
        assert argv[:3] == ["python", "-m", project.package], f"Procfile {name}: {argv}"


def test_procfile_declares_the_variants_process_types(project):
    declared = {PROCFILE_ALIASES.get(name, name) for name in project.procfile}
    # `check` is an admin task run on demand or on a schedule, not a Procfile process.
    assert declared == expected_process_types(project) - {"check"}


def test_compose_runs_each_process_type_with_the_procfile_command(project):
    commands = compose_commands(project)
    assert set(commands) == expected_process_types(project)
    for name, argv in project.procfile.items():
        assert commands[PROCFILE_ALIASES.get(name, name)] == argv, name
    for name, argv in commands.items():
        assert argv == ["python", "-m", project.package, name], name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kubernetes_runs_each_process_type_with_the_procfile_command(project, overlay):
    commands = kubernetes_commands(project, overlay)
    assert commands == compose_commands(project)


def compose_env_names(service: dict) -> set[str]:
    environment = service.get("environment", {})
    if isinstance(environment, list):
        return {entry.partition("=")[0] for entry in environment}
    return set(environment)


def kubernetes_env_names(project, overlay: str, component: str) -> set[str]:
    """Names from the container's env, its ConfigMaps and Secrets (envFrom or mounted files)."""
    manifests = project.manifests(overlay)
    _, template = manifests.app_workloads(project.slug)[component]
    pod = template["spec"]
    (container,) = pod["containers"]
    by_name = {(doc["kind"], doc["metadata"]["name"]): doc for doc in manifests.documents}
    names = {variable["name"] for variable in container.get("env", [])}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            names |= set(by_name["ConfigMap", source["configMapRef"]["name"]]["data"])
        if "secretRef" in source:
            names |= set(by_name["Secret", source["secretRef"]["name"]]["data"])
    mounted = {mount["name"] for mount in container.get("volumeMounts", [])}
    for volume in pod.get("volumes", []):
        if "secret" in volume and volume["name"] in mounted:
            names |= set(by_name["Secret", volume["secret"]["secretName"]]["data"])
    return names


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_process_gets_the_same_variable_names_everywhere(project, overlay):
    """compose and each overlay hand every process type the same settings, all documented."""
    documented = set(project.env_example)
    for name, service in compose_processes(project).items():
        from_compose = compose_env_names(service)
        from_kubernetes = kubernetes_env_names(project, overlay, name)
        assert from_compose == from_kubernetes, (
            f"{name}: only compose sets {sorted(from_compose - from_kubernetes)}, "
            f"only Kubernetes sets {sorted(from_kubernetes - from_compose)}"
        )
        undocumented = from_compose - documented
        assert not undocumented, f"{name} gets settings .env.example lacks: {sorted(undocumented)}"


def test_backing_service_urls_are_set_exactly_for_the_chosen_services(project):
    expected = set()
    if project.has_postgres:
        expected.add("DATABASE_URL")
    if project.recorded["cache"] == "redis":
        expected.add("REDIS_URL")
    if project.has_celery:
        expected |= {"CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"}
    names = compose_env_names(compose_processes(project)["web"])
    assert {name for name in names if name.endswith(("_URL", "_BACKEND"))} == expected


def test_web_listens_on_port_everywhere(project):
    web = compose_processes(project)["web"]
    port = web["environment"]["PORT"]
    assert [mapping.rsplit(":", 1)[1] for mapping in web["ports"]] == [port]
    for overlay in OVERLAYS:
        _, template = project.manifests(overlay).app_workloads(project.slug)["web"]
        (container,) = template["spec"]["containers"]
        assert [str(p["containerPort"]) for p in container["ports"]] == [port]
