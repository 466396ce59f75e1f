"""OpenAPI 3.1 for the public API (issue 18): served, readable, and fuzzed with schemathesis.

The fuzz runs schemathesis (its own venv, .venv-fuzz, made by scripts/setup_test_deps.sh)
against the real gateway of the session's stack: no 5xx, and every response
matches the schema (status code, content type, body).
"""

from __future__ import annotations

import subprocess
import urllib.request
from pathlib import Path

import pytest

from bot.gateway.openapi import spec
from tests.conftest import get_json

pytestmark = pytest.mark.stack

ROOT = Path(__file__).resolve().parents[2]
SCHEMATHESIS = ROOT / ".venv-fuzz" / "bin" / "schemathesis"
CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance"


def test_spec_is_served_and_covers_the_public_api(stack):
    status, served = get_json(f"{stack.gateway}/api/v1/openapi.json")
    assert status == 200
    assert served == spec() and served["openapi"] == "3.1.0"
    paths = set(served["paths"])
    assert {"/api/v1/chat", "/api/v1/noodpakket", "/api/v1/regio", "/api/v1/risico", "/api/v1/risico/{key}"} <= paths
    assert {"/noodpakket/checklist", "/healthz"} <= paths


def test_readable_page_for_web_teams(stack):
    with urllib.request.urlopen(f"{stack.gateway}/embed/api", timeout=30) as resp:
        html = resp.read().decode()
        assert resp.headers["Content-Security-Policy"].startswith("default-src 'none'")
    for path, item in spec()["paths"].items():
        for method in item:
            assert f"{method.upper()} {path}" in html
    assert "<script" not in html


def test_schemathesis_finds_no_server_error_and_no_schema_mismatch(stack):
    if not SCHEMATHESIS.exists():
        pytest.fail(f"{SCHEMATHESIS} is missing: run scripts/setup_test_deps.sh")
    result = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"{stack.gateway}/api/v1/openapi.json",
            "--checks",
            CHECKS,
            "--max-examples",
            "25",
            "--seed",
            "18",
            "--request-timeout",
            "30",
            "--phases",
            "examples,fuzzing",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert "8 passed" in output or "passed" in output, output[-2000:]
