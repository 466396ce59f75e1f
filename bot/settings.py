"""All settings, read from the environment once per process.

`make run` and the tests set these through bot/ops/stack.py; every server
reads them with `Settings.from_env()` at start-up and passes the object on.
Nothing else in bot/ reads os.environ.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Mapping

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = ROOT / "var" / "noodwijzer.sqlite3"


def _ports(value: str) -> tuple[int, ...]:
    return tuple(int(port) for port in value.split(",") if port.strip())


def _urls(value: str) -> tuple[str, ...]:
    """Comma-separated URLs ("http://rasa:5005,http://rasa-b:5005"), without trailing slashes."""
    return tuple(url.strip().rstrip("/") for url in value.split(",") if url.strip())


@dataclass(frozen=True)
class Settings:
    # --- gateway -----------------------------------------------------------------
    host: str = "0.0.0.0"
    port: int = 8080
    # One URL per Rasa replica; the first is the contract's 127.0.0.1:5005.
    rasa_urls: tuple[str, ...] = ("http://127.0.0.1:5005",)
    actions_url: str = "http://127.0.0.1:5055"
    nlg_url: str = "http://127.0.0.1:5056"
    # Every action and NLG server, for /healthz (`make cluster` runs two of each).
    actions_urls: tuple[str, ...] = ("http://127.0.0.1:5055",)
    nlg_urls: tuple[str, ...] = ("http://127.0.0.1:5056",)
    # Shared state (issue 15): empty = each process keeps its own in memory (`make run`).
    # Set, Rasa keeps conversations and locks in this Redis and the gateways share
    # their rate limits and idempotency keys (docs/operations.md).
    redis_url: str = ""
    rasa_timeout: float = 15.0
    # Messages in flight per Rasa replica; more wait in line at the gateway
    # (0 = no limit). 2-3 gave the lowest p95 at 20 residents (docs/performance.md).
    rasa_concurrency: int = 3
    # Per client IP and per session, messages per minute (0 = off).
    ip_rate_per_min: int = 120
    session_rate_per_min: int = 30
    # Per client IP, requests per minute to the other public APIs and the checklist (0 = off).
    api_rate_per_min: int = 120
    # Reverse proxies whose X-Forwarded-For is believed (CIDRs, comma or space separated).
    trusted_proxies: str = ""
    # Idle time after which a conversation is forgotten (Rasa and gateway alike).
    conversation_ttl_s: float = 3600.0
    # Conversations kept as live objects per Rasa replica (bot_rasa/tracker_store.py).
    live_trackers: int = 1000
    # Extra embedding origins per region, "VR17=https://example.nl,..." (docs/embed.md).
    extra_origins: str = ""
    # Tests only: the Redactie's "Instellingen" also accept http://127.0.0.1:port sites (issue 20).
    loopback_origins: bool = False
    # The gateway's public address for the embed snippet; empty = the request's host.
    public_url: str = ""
    access_log: bool = False  # off: query strings can hold a resident's gemeente
    # --- processes (bot/ops/stack.py) ---------------------------------------------------
    # Rasa replicas under `make run`: one Rasa process uses one core (~0.8 GB each).
    rasa_replicas: int = 2
    # Where the action server listens: loopback, or the pod's address on a pod network.
    actions_host: str = "127.0.0.1"
    # Token for Rasa's HTTP API (conversations, model); /model/parse stays open on loopback.
    rasa_token: str = ""
    # --- NLG and Redactie --------------------------------------------------------------
    nlg_port: int = 5056
    # Where the NLG server listens: loopback, or the pod's address on a pod network (deploy/).
    nlg_host: str = "127.0.0.1"
    db_path: Path = DEFAULT_DB
    # PostgreSQL for the Redactie instead of the SQLite file (issue 15), e.g.
    # postgresql://user:pass@host/noodwijzer or postgresql:///noodwijzer?host=/run/dir
    database_url: str = ""
    # --- all servers ---------------------------------------------------------------
    log_level: str = "WARNING"
    # Every text render runs in a worker process (bot/texts/safe_render.py): seconds per
    # render, workers per server, and the memory a worker may add after start-up.
    render_budget_s: float = 0.3
    render_workers: int = 2
    render_memory_mb: int = 256

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = (os.environ if environ is None else environ).get
        rasa_ports = _ports(env("NW_RASA_PORTS") or env("NW_RASA_PORT") or "5005")
        return cls(
            host=env("NW_GATEWAY_HOST", cls.host),
            port=int(env("NW_GATEWAY_PORT", cls.port)),
            rasa_urls=tuple(f"http://127.0.0.1:{port}" for port in rasa_ports),
            actions_url=f"http://127.0.0.1:{env('NW_ACTIONS_PORT', '5055')}",
            nlg_url=f"http://127.0.0.1:{env('NW_NLG_PORT', '5056')}",
            actions_urls=tuple(
                f"http://127.0.0.1:{port}"
                for port in _ports(env("NW_ACTIONS_PORTS") or env("NW_ACTIONS_PORT") or "5055")
            ),
            nlg_urls=tuple(
                f"http://127.0.0.1:{port}" for port in _ports(env("NW_NLG_PORTS") or env("NW_NLG_PORT") or "5056")
            ),
            redis_url=env("NW_REDIS_URL", ""),
            rasa_timeout=float(env("NW_RASA_TIMEOUT", cls.rasa_timeout)),
            rasa_concurrency=int(env("NW_RASA_CONCURRENCY", cls.rasa_concurrency)),
            ip_rate_per_min=int(env("NW_IP_RATE", cls.ip_rate_per_min)),
            session_rate_per_min=int(env("NW_SESSION_RATE", cls.session_rate_per_min)),
            api_rate_per_min=int(env("NW_API_RATE", cls.api_rate_per_min)),
            trusted_proxies=env("NW_TRUSTED_PROXIES", ""),
            conversation_ttl_s=float(env("NW_TRACKER_TTL", cls.conversation_ttl_s)),
            live_trackers=int(env("NW_LIVE_TRACKERS", cls.live_trackers)),
            extra_origins=env("NOODWIJZER_EXTRA_ORIGINS", ""),
            loopback_origins=env("NOODWIJZER_TEST_LOOPBACK_ORIGINS") == "1",
            public_url=env("NOODWIJZER_PUBLIC_URL", "").rstrip("/"),
            access_log=env("NW_ACCESS_LOG") == "1",
            rasa_replicas=int(env("NW_RASA_REPLICAS", cls.rasa_replicas)),
            actions_host=env("NW_ACTIONS_HOST", cls.actions_host),
            rasa_token=env("NW_RASA_TOKEN", ""),
            nlg_port=int(env("NW_NLG_PORT", cls.nlg_port)),
            nlg_host=env("NW_NLG_HOST", cls.nlg_host),
            db_path=Path(env("NOODWIJZER_DB") or DEFAULT_DB),
            database_url=env("NW_DATABASE_URL", ""),
            log_level=env("NW_LOG_LEVEL", cls.log_level),
            render_budget_s=float(env("NW_RENDER_BUDGET", cls.render_budget_s)),
            render_workers=int(env("NW_RENDER_WORKERS", cls.render_workers)),
            render_memory_mb=int(env("NW_RENDER_MEMORY_MB", cls.render_memory_mb)),
        ).with_service_urls(environ)

    def with_service_urls(self, environ: Mapping[str, str] | None = None) -> Settings:
        """On a cluster (deploy/kubernetes) the parts live at service names, not on
        loopback: NW_RASA_URLS, NW_ACTIONS_URLS and NW_NLG_URLS (comma separated full
        URLs) replace the loopback addresses built from the ports."""
        env = (os.environ if environ is None else environ).get
        rasa, actions, nlg = (_urls(env(name, "")) for name in ("NW_RASA_URLS", "NW_ACTIONS_URLS", "NW_NLG_URLS"))
        return replace(
            self,
            rasa_urls=rasa or self.rasa_urls,
            actions_urls=actions or self.actions_urls,
            actions_url=actions[0] if actions else self.actions_url,
            nlg_urls=nlg or self.nlg_urls,
            nlg_url=nlg[0] if nlg else self.nlg_url,
        )

    @property
    def rasa_url(self) -> str:
        return self.rasa_urls[0]
