"""Tier 2: the Kubernetes manifests every overlay renders have the properties we promise.

Schemas (test_static) say the manifests are well-formed; these tests say they are
right: probes, graceful shutdown, Pod Security "restricted", scaling, disruption
budgets, network policy, secrets, and overlays that differ only in config, scale
and resources. All read what `kustomize build` renders, never the sources alone.
"""

import copy
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.deploy_artifacts import (
    OVERLAYS,
    SECRET_FILE,
    Manifests,
    kustomize_build,
    variant_params,
)

# The `projects` and `kustomize` fixtures.
pytest_plugins = ["tests.deploy_fixtures"]
pytestmark = pytest.mark.static

# Names whose values are credentials or carry them (URLs with passwords).
SECRET_NAME = re.compile(r"(_URL|_BACKEND|PASSWORD|PASS|TOKEN|SECRET|_KEY)$")
CREDENTIALS_IN_URL = re.compile(r"://[^/@\s:]*:[^/@\s]+@")


@pytest.fixture(params=variant_params())
def project(request, projects):
    return projects(request.param)


@pytest.fixture(params=OVERLAYS)
def overlay(request) -> str:
    return request.param


@pytest.fixture
def manifests(project, overlay) -> Manifests:
    return project.manifests(overlay)


def web_parts(project, manifests: Manifests) -> tuple[dict, dict, dict]:
    """The web Deployment, its pod spec and its (only) container."""
    deployment = manifests.one("Deployment", f"{project.slug}-web")
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    return deployment, pod, container


def config(project, manifests: Manifests) -> dict[str, str]:
    return manifests.named_like("ConfigMap", f"{project.slug}-config")["data"]


def selects(selector: dict, labels: dict) -> bool:
    assert set(selector) <= {"matchLabels"}, f"unsupported selector {selector}"
    return all(labels.get(key) == value for key, value in selector.get("matchLabels", {}).items())


# --- web: probes and graceful shutdown --------------------------------------------------


def test_web_probes_are_distinct(project, manifests):
    _, _, container = web_parts(project, manifests)
    probes = {kind: container.get(f"{kind}Probe") for kind in ("startup", "liveness", "readiness")}
    assert all(probes.values()), f"missing probes: {[k for k, v in probes.items() if not v]}"
    paths = {kind: probe["httpGet"]["path"] for kind, probe in probes.items()}
    assert paths == {"startup": "/livez", "liveness": "/livez", "readiness": "/readyz"}
    ports = {port["name"] for port in container["ports"]}
    assert {probe["httpGet"]["port"] for probe in probes.values()} <= ports
    # Liveness must give up later than readiness: a slow dependency makes the pod
    # unready long before anything restarts it.
    liveness, readiness = probes["liveness"], probes["readiness"]
    assert liveness["periodSeconds"] * liveness.get("failureThreshold", 3) > readiness[
        "periodSeconds"
    ] * readiness.get("failureThreshold", 3)


def test_readiness_probe_waits_longer_than_each_backing_service_check(project, manifests):
    _, _, container = web_parts(project, manifests)
    check_timeout = float(config(project, manifests)["READINESS_TIMEOUT_SECONDS"])
    assert container["readinessProbe"]["timeoutSeconds"] > check_timeout


def test_grace_period_covers_prestop_sleep_and_drain(project, manifests):
    _, pod, container = web_parts(project, manifests)
    pre_stop = container["lifecycle"]["preStop"]
    if "sleep" in pre_stop:
        sleep = pre_stop["sleep"]["seconds"]
    else:
        command = pre_stop["exec"]["command"]
        assert command[0] == "sleep", f"preStop is not a sleep: {command}"
        sleep = float(command[1])
    assert sleep > 0
    drain = float(config(project, manifests)["SHUTDOWN_TIMEOUT_SECONDS"])
    assert pod["terminationGracePeriodSeconds"] > sleep + drain


def test_web_listens_on_the_configured_port_behind_a_cluster_ip_service(project, manifests):
    _, _, container = web_parts(project, manifests)
    (port,) = container["ports"]
    assert str(port["containerPort"]) == config(project, manifests)["PORT"]
    service = manifests.one("Service", f"{project.slug}-web")
    assert service["spec"]["type"] == "ClusterIP"
    assert {p["targetPort"] for p in service["spec"]["ports"]} == {port["name"]}
    template_labels = manifests.one("Deployment", f"{project.slug}-web")["spec"]["template"][
        "metadata"
    ]["labels"]
    assert selects({"matchLabels": service["spec"]["selector"]}, template_labels)


# --- every pod: Pod Security "restricted", resources, scratch space --------------------


def test_every_pod_meets_pod_security_restricted(manifests):
    problems = []
    for workload, template in manifests.workloads():
        where = f"{workload['kind']}/{workload['metadata']['name']}"
        pod = template["spec"]
        pod_context = pod.get("securityContext", {})
        if pod_context.get("runAsNonRoot") is not True:
            problems.append(f"{where}: runAsNonRoot is not true")
        if pod_context.get("runAsUser", 0) < 10000:
            problems.append(f"{where}: runAsUser is not >= 10000")
        if pod_context.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            problems.append(f"{where}: seccompProfile is not RuntimeDefault")
        for key in ("hostNetwork", "hostPID", "hostIPC"):
            if pod.get(key):
                problems.append(f"{where}: {key}")
        for container in pod["containers"] + pod.get("initContainers", []):
            context = container.get("securityContext", {})
            name = f"{where} container {container['name']}"
            if context.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{name}: allowPrivilegeEscalation is not false")
            if context.get("privileged"):
                problems.append(f"{name}: privileged")
            if context.get("capabilities", {}).get("drop") != ["ALL"]:
                problems.append(f"{name}: capabilities are not all dropped")
            if context.get("capabilities", {}).get("add"):
                problems.append(f"{name}: adds capabilities")
            if context.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{name}: root file system is writable")
    assert not problems, "\n".join(problems)


def test_service_pods_write_only_to_an_empty_dir_tmp(project, manifests):
    for component, (_, template) in manifests.app_workloads(project.slug).items():
        pod = template["spec"]
        volumes = {volume["name"]: volume for volume in pod["volumes"]}
        for container in pod["containers"]:
            mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
            assert "/tmp" in mounts, f"{component}: no /tmp"
            assert "emptyDir" in volumes[mounts["/tmp"]], f"{component}: /tmp is no emptyDir"


def test_every_container_has_requests_and_limits(manifests):
    for workload, template in manifests.workloads():
        for container in template["spec"]["containers"]:
            resources = container.get("resources", {})
            for bound in ("requests", "limits"):
                assert set(resources.get(bound, {})) >= {"cpu", "memory"}, (
                    f"{workload['kind']}/{workload['metadata']['name']} {container['name']}: "
                    f"no cpu and memory {bound}"
                )


# --- scaling and disruption ---------------------------------------------------------------


def test_hpa_owns_the_web_replica_count(project, manifests):
    deployment, _, _ = web_parts(project, manifests)
    assert "replicas" not in deployment["spec"], "an apply would reset what the HPA scaled"
    (hpa,) = manifests.of_kind("HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": deployment["metadata"]["name"],
    }
    assert hpa["spec"]["minReplicas"] >= 2
    assert hpa["spec"]["maxReplicas"] >= hpa["spec"]["minReplicas"]


def test_disruption_budget_lets_drains_progress(project, manifests):
    deployment, _, _ = web_parts(project, manifests)
    pdb = manifests.one("PodDisruptionBudget", f"{project.slug}-web")
    (hpa,) = manifests.of_kind("HorizontalPodAutoscaler")
    assert selects(pdb["spec"]["selector"], deployment["spec"]["template"]["metadata"]["labels"])
    assert 1 <= pdb["spec"]["minAvailable"] < hpa["spec"]["minReplicas"]


def test_every_deployment_has_a_disruption_budget(project, manifests):
    budgets = manifests.of_kind("PodDisruptionBudget")
    for component, (workload, template) in manifests.app_workloads(project.slug).items():
        if workload["kind"] != "Deployment":
            continue
        labels = template["metadata"]["labels"]
        (pdb,) = [pdb for pdb in budgets if selects(pdb["spec"]["selector"], labels)]
        assert pdb["spec"].get("unhealthyPodEvictionPolicy") == "AlwaysAllow", component
    if project.has_celery:
        # One worker at a time: a drain never stops every worker at once, and never stalls.
        pdb = manifests.one("PodDisruptionBudget", f"{project.slug}-worker")
        assert pdb["spec"]["maxUnavailable"] == 1


def test_web_pods_spread_over_zones_and_nodes(project, manifests):
    deployment, pod, _ = web_parts(project, manifests)
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    constraints = pod["topologySpreadConstraints"]
    assert {c["topologyKey"] for c in constraints} == {
        "topology.kubernetes.io/zone",
        "kubernetes.io/hostname",
    }
    for constraint in constraints:
        assert selects(constraint["labelSelector"], labels)
        assert constraint["maxSkew"] == 1


# --- isolation and identity ----------------------------------------------------------------


def test_network_policies_cover_every_pod(project, manifests):
    policies = [
        policy
        for policy in manifests.of_kind("NetworkPolicy")
        if "Ingress" in policy["spec"]["policyTypes"]
    ]
    for workload, template in manifests.workloads():
        labels = template["metadata"]["labels"]
        assert any(selects(p["spec"]["podSelector"], labels) for p in policies), (
            f"{workload['kind']}/{workload['metadata']['name']} accepts any connection"
        )
    # Only the web pods' HTTP port is opened to other pods, and the worker's metrics port
    # when it serves one.
    opened = {
        policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"]: [
            port["port"] for rule in policy["spec"]["ingress"] for port in rule["ports"]
        ]
        for policy in policies
        if policy["spec"].get("ingress")
        and policy["spec"]["podSelector"]["matchLabels"].get("app.kubernetes.io/name")
        == project.slug
    }
    serves_worker_metrics = project.has_celery and project.recorded["telemetry"] == "yes"
    assert opened == {"web": ["http"]} | ({"worker": ["metrics"]} if serves_worker_metrics else {})


def test_service_pods_use_their_own_account_without_a_token(project, manifests):
    account = manifests.one("ServiceAccount", project.slug)
    assert account["automountServiceAccountToken"] is False
    for component, (_, template) in manifests.app_workloads(project.slug).items():
        pod = template["spec"]
        assert pod["serviceAccountName"] == project.slug, component
        assert pod["automountServiceAccountToken"] is False, component
    for workload, template in manifests.workloads():
        assert template["spec"].get("automountServiceAccountToken") is False, workload["metadata"]


def test_overlay_namespace_enforces_restricted_pod_security(project, overlay, manifests):
    (namespace,) = manifests.of_kind("Namespace")
    assert namespace["metadata"]["name"] == f"{project.slug}-{overlay}"
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for doc in manifests.documents:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == namespace["metadata"]["name"], doc["kind"]


# --- the other process types -----------------------------------------------------------------


def test_migration_job_exists_exactly_when_there_is_a_database(project, manifests):
    jobs = manifests.of_kind("Job")
    if not project.has_postgres:
        assert jobs == []
        return
    (job,) = jobs
    assert job["metadata"]["name"] == f"{project.slug}-migrate"
    pod = job["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    assert pod["containers"][0]["args"] == ["migrate"]
    assert job["spec"]["backoffLimit"] >= 1
    assert job["spec"]["activeDeadlineSeconds"] > 0


def test_admin_task_runs_on_a_schedule_one_at_a_time(project, manifests):
    (cronjob,) = manifests.of_kind("CronJob")
    assert cronjob["metadata"]["name"] == f"{project.slug}-check"
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["containers"][0]["args"] == ["check"]
    assert pod["restartPolicy"] == "Never"


def test_worker_deployment_exists_exactly_when_there_is_a_worker(project, manifests):
    workers = [
        deployment
        for deployment in manifests.of_kind("Deployment")
        if deployment["metadata"]["name"] == f"{project.slug}-worker"
    ]
    if not project.has_celery:
        assert workers == []
        return
    (worker,) = workers
    pod = worker["spec"]["template"]["spec"]
    assert pod["containers"][0]["args"] == ["worker"]
    # Warm shutdown: running tasks get longer than web requests do to finish.
    web_grace = web_parts(project, manifests)[1]["terminationGracePeriodSeconds"]
    assert pod["terminationGracePeriodSeconds"] >= web_grace


def test_worker_liveness_reads_its_heartbeat_and_its_metrics_port_is_declared(project, manifests):
    if not project.has_celery:
        return  # no worker: test_worker_deployment_exists_exactly_when_there_is_a_worker
    worker = manifests.one("Deployment", f"{project.slug}-worker")
    (container,) = worker["spec"]["template"]["spec"]["containers"]
    heartbeat_check = ["python", "-m", f"{project.package}.worker_heartbeat"]
    for probe in ("startupProbe", "livenessProbe"):
        assert container[probe]["exec"]["command"] == heartbeat_check, probe
    # The heartbeat goes stale after 60 s (worker_heartbeat.py): never restart sooner.
    liveness = container["livenessProbe"]
    assert liveness["periodSeconds"] * liveness["failureThreshold"] >= 60
    ports = {port["name"]: port["containerPort"] for port in container.get("ports", [])}
    env = {variable["name"]: variable["value"] for variable in container.get("env", [])}
    # The port is the setting's default, as compose runs it too (same variables everywhere).
    assert "WORKER_METRICS_PORT" not in env
    if project.recorded["telemetry"] == "yes":
        assert ports == {"metrics": int(project.env_example["WORKER_METRICS_PORT"])}
    else:
        assert ports == {}


# --- secrets and images --------------------------------------------------------------------------


def test_no_secret_value_in_any_manifest(project, manifests):
    """Secrets exist only as generated Secrets, made from env files outside the manifests."""
    sources = project.root / "k8s"
    for path in sources.rglob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text()):
            if not doc:
                continue
            assert doc.get("kind") != "Secret", f"{path}: a Secret in a manifest"
            for generator in doc.get("secretGenerator", []):
                assert set(generator) <= {"name", "envs", "files", "type", "options"}, (
                    f"{path}: secretGenerator with values inline"
                )
    secrets = manifests.of_kind("Secret")
    secret_names = {name for secret in secrets for name in secret.get("data", {})}
    if project.has_secrets:
        (secret,) = secrets
        assert secret["metadata"]["name"].startswith(f"{project.slug}-secrets-"), "not generated"
    else:
        assert secrets == []
    # No secret travels as a plain value: not in the ConfigMap, not in a container's env.
    settings = config(project, manifests)
    assert not set(settings) & secret_names, "a secret is also in the ConfigMap"
    for key, value in settings.items():
        assert not SECRET_NAME.search(key), key
        assert not CREDENTIALS_IN_URL.search(value), key
    for workload, template in manifests.workloads():
        for container in template["spec"]["containers"]:
            for variable in container.get("env", []):
                if "value" in variable:
                    where = f"{workload['metadata']['name']}: {variable['name']}"
                    assert not SECRET_NAME.search(variable["name"]), where
                    assert not CREDENTIALS_IN_URL.search(variable["value"]), where


def test_secret_files_stay_out_of_git(project):
    if not project.has_secrets:
        assert not list((project.root / "k8s").rglob("*.env.example"))
        return
    for overlay in ("staging", "prod"):
        folder = Path("k8s") / "overlays" / overlay
        assert (project.root / folder / f"{SECRET_FILE}.example").is_file()
        ignored = subprocess.run(
            ["git", "check-ignore", "--quiet", str(folder / SECRET_FILE)],
            cwd=project.root,
            check=False,
        )
        assert ignored.returncode == 0, f"{folder / SECRET_FILE} is not git-ignored"
        tracked = subprocess.run(
            ["git", "ls-files", "--error-unmatch", str(folder / f"{SECRET_FILE}.example")],
            cwd=project.root,
            capture_output=True,
            check=False,
        )
        assert tracked.returncode == 0, "the example is not committed"


def test_overlays_set_the_image_tag(project, overlay, manifests):
    base = yaml.safe_load((project.root / "k8s" / "base" / "kustomization.yaml").read_text())
    assert "images" not in base, "the release is chosen per overlay"
    (image,) = [i for i in project.kustomization(overlay)["images"] if i["name"] == project.slug]
    assert image.get("newTag"), f"{overlay} sets no tag"
    assert image["newTag"] != "latest"
    expected = f"{image.get('newName', project.slug)}:{image['newTag']}"
    for component, (_, template) in manifests.app_workloads(project.slug).items():
        for container in template["spec"]["containers"]:
            assert container["image"] == expected, component
    for _, template in manifests.workloads():
        for container in template["spec"]["containers"]:
            name, _, tag = container["image"].rpartition(":")
            assert name, f"{container['image']} has no tag"
            assert tag != "latest", f"{container['image']} has no pinned tag"


# --- overlays -----------------------------------------------------------------------------------


# What overlays may change in the service's own objects: config, scale, resources,
# and where the image comes from; everything else (commands, probes, security) is code.
def _code_only(doc: dict, slug: str) -> dict:
    doc = copy.deepcopy(doc)
    doc["metadata"].pop("namespace", None)
    kind = doc["kind"]
    if kind in ("ConfigMap", "Secret"):
        return {"kind": kind, "name": doc["metadata"]["name"].rsplit("-", 1)[0]}
    if kind == "HorizontalPodAutoscaler":
        doc["spec"].pop("minReplicas")
        doc["spec"].pop("maxReplicas")
    if kind == "PodDisruptionBudget":
        doc["spec"].pop("minAvailable", None)
        doc["spec"].pop("maxUnavailable", None)
    templates = []
    if kind in ("Deployment", "StatefulSet"):
        doc["spec"].pop("replicas", None)
        templates.append(doc["spec"]["template"])
    elif kind == "Job":
        templates.append(doc["spec"]["template"])
    elif kind == "CronJob":
        templates.append(doc["spec"]["jobTemplate"]["spec"]["template"])
    for template in templates:
        for volume in template["spec"].get("volumes", []):
            if "secret" in volume:
                volume["secret"]["secretName"] = volume["secret"]["secretName"].rsplit("-", 1)[0]
        for container in template["spec"]["containers"]:
            container.pop("resources")
            container["image"] = container["image"].rpartition(":")[0].rpartition("/")[2]
            for source in container.get("envFrom", []):
                for ref in source.values():
                    ref["name"] = ref["name"].rsplit("-", 1)[0]
    return doc


def test_overlays_differ_only_in_config_scale_and_resources(project):
    """The service's own objects are the same code in every environment."""
    rendered = {}
    for overlay in OVERLAYS:
        docs = project.manifests(overlay).documents
        rendered[overlay] = sorted(
            (
                _code_only(doc, project.slug)
                for doc in docs
                if doc["metadata"].get("labels", {}).get("app.kubernetes.io/name") == project.slug
                or doc["kind"] in ("ConfigMap", "Secret")
            ),
            key=lambda d: (d["kind"], d.get("metadata", {}).get("name", d.get("name", ""))),
        )
    assert rendered["staging"] == rendered["prod"]
    assert rendered["dev"] == rendered["prod"]


# The patches target objects every variant has; two variants cover them (each build
# with kustomize v4 takes most of a second).
@pytest.mark.parametrize("name", ["default", "minimal"])
def test_every_overlay_patch_changes_what_renders(projects, name, kustomize, tmp_path):
    """kustomize ignores a patch whose target matches nothing: each one must change the output."""
    project = projects(name)
    for overlay in OVERLAYS:
        full = project.overlay_yaml(overlay)
        # The overlay's own patches and its tuning component's (the team's scale).
        for where in ("kustomization.yaml", "tuning/kustomization.yaml"):
            source = project.k8s_copy / "overlays" / overlay / where
            patches = yaml.safe_load(source.read_text()).get("patches", [])
            for index in range(len(patches)):
                trial = tmp_path / f"{overlay}-{where.replace('/', '-')}-{index}"
                shutil.copytree(project.k8s_copy, trial)
                kustomization_path = trial / "overlays" / overlay / where
                kustomization = yaml.safe_load(kustomization_path.read_text())
                del kustomization["patches"][index]
                kustomization_path.write_text(yaml.safe_dump(kustomization))
                without = kustomize_build(kustomize.command, trial / "overlays" / overlay)
                assert without != full, f"{overlay} {where} patch {index} changes nothing"


def test_prod_runs_more_web_pods_than_the_base(project):
    base = project.manifests("staging")
    prod = project.manifests("prod")
    (base_hpa,) = base.of_kind("HorizontalPodAutoscaler")
    (prod_hpa,) = prod.of_kind("HorizontalPodAutoscaler")
    assert prod_hpa["spec"]["minReplicas"] > base_hpa["spec"]["minReplicas"]
    assert prod_hpa["spec"]["maxReplicas"] > base_hpa["spec"]["maxReplicas"]


def test_names_and_labels_fit_kubernetes_limits(manifests):
    """The longest allowed slug still yields valid names once suffixes are added."""
    dns_label = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
    for doc in manifests.documents:
        name = doc["metadata"]["name"]
        # Services and Namespaces are DNS labels; a CronJob's Jobs add 11 characters.
        limit = {"CronJob": 52}.get(doc["kind"], 63)
        assert dns_label.fullmatch(name), f"{doc['kind']} {name}"
        assert len(name) <= limit, f"{doc['kind']} {name} is longer than {limit}"
        for value in doc["metadata"].get("labels", {}).values():
            assert len(value) <= 63, f"{doc['kind']} {name}: label {value}"
