"""The public API's OpenAPI 3.1 description: /api/v1/openapi.json and a readable /embed/api.

The description is data (bot/gateway/openapi.yml); the page is rendered from it on
the server (no scripts, no CDN), for the regions' web teams.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web

from bot.gateway.widget import page, public_base

SPEC_FILE = Path(__file__).resolve().parent / "openapi.yml"
SPEC_PATH = "/api/v1/openapi.json"
PAGE_PATH = "/embed/api"
METHODS = ("get", "post", "put", "delete")


@functools.lru_cache(maxsize=1)
def spec() -> dict[str, Any]:
    with open(SPEC_FILE, encoding="utf-8") as fh:
        loaded: dict[str, Any] = yaml.safe_load(fh)
    return loaded


@functools.lru_cache(maxsize=1)
def spec_json() -> bytes:
    return json.dumps(spec(), ensure_ascii=False, indent=1).encode("utf-8")


def resolve(node: Any) -> Any:
    """Follow a local $ref ("#/components/...") to what it names."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def describe(schema: Any) -> str:
    """A short, readable type: 'string (8-64 tekens)', 'integer, 0-50', 'VR01..VR25'."""
    schema = resolve(schema)
    if not isinstance(schema, dict):
        return ""
    if "enum" in schema:
        return "een van: " + ", ".join(str(v) for v in schema["enum"])
    kind = schema.get("type", "object")
    kind = " of ".join(kind) if isinstance(kind, list) else kind
    if kind == "array":
        return f"lijst van {describe(schema.get('items', {})) or 'waarden'}"
    limits = []
    if "minimum" in schema or "maximum" in schema:
        limits.append(f"{schema.get('minimum', '')}-{schema.get('maximum', '')}".strip("-"))
    if "maxLength" in schema:
        limits.append(f"tot {schema['maxLength']} tekens")
    if "pattern" in schema:
        limits.append(f"patroon {schema['pattern']}")
    return kind + (f" ({', '.join(limits)})" if limits else "")


def fields(schema: Any) -> list[dict[str, Any]]:
    schema = resolve(schema)
    if not isinstance(schema, dict):
        return []
    required = set(schema.get("required", []))
    return [
        {
            "name": name,
            "type": describe(prop),
            "required": name in required,
            "text": resolve(prop).get("description", ""),
        }
        for name, prop in (schema.get("properties") or {}).items()
    ]


def operations() -> list[dict[str, Any]]:
    result = []
    for path, item in spec()["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if not op:
                continue
            body: dict[str, Any] = (op.get("requestBody") or {}).get("content", {})
            media: str | None = next(iter(body), None)
            body_schema: dict[str, Any] = body[media] if media else {}
            params = [resolve(p) for p in op.get("parameters", [])]
            result.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "id": op.get("operationId", ""),
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "params": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "required": p.get("required", False),
                            "type": describe(p["schema"]),
                        }
                        for p in params
                    ],
                    "media": media,
                    "body": fields(body_schema.get("schema")) if media else [],
                    "responses": [
                        {"status": status, "text": resolve(response).get("description", "")}
                        for status, response in op["responses"].items()
                    ],
                }
            )
    return result


async def openapi_json(request: web.Request) -> web.Response:
    return web.Response(body=spec_json(), content_type="application/json", charset="utf-8")


async def api_page(request: web.Request) -> web.Response:
    info = spec()["info"]
    return page("api.html", base=public_base(request), info=info, operations=operations(), spec_path=SPEC_PATH)


def setup(app: web.Application) -> None:
    app.router.add_get(SPEC_PATH, openapi_json)
    app.router.add_get(PAGE_PATH, api_page)
