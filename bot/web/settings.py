"""Gateway settings from the environment (bot/stack.py sets them)."""
from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    host: str = "0.0.0.0"
    port: int = 8080
    # One URL per Rasa replica; the first is the contract's 127.0.0.1:5005.
    rasa_urls: tuple[str, ...] = ("http://127.0.0.1:5005",)
    actions_url: str = "http://127.0.0.1:5055"
    nlg_url: str = "http://127.0.0.1:5056"
    rasa_timeout: float = 15.0
    # Messages in flight per Rasa replica; more wait in line at the gateway
    # (0 = no limit). 2-3 gave the lowest p95 at 20 residents (docs/performance.md).
    rasa_concurrency: int = 3
    # Per client IP and per session, messages per minute (0 = off).
    ip_rate_per_min: int = 120
    session_rate_per_min: int = 30

    @classmethod
    def from_env(cls) -> "Settings":
        env = os.environ.get
        return cls(
            host=env("NW_GATEWAY_HOST", cls.host),
            port=int(env("NW_GATEWAY_PORT", cls.port)),
            rasa_urls=tuple(f"http://127.0.0.1:{port.strip()}"
                            for port in env("NW_RASA_PORTS", env("NW_RASA_PORT", "5005")).split(",") if port.strip()),
            actions_url=f"http://127.0.0.1:{env('NW_ACTIONS_PORT', '5055')}",
            nlg_url=f"http://127.0.0.1:{env('NW_NLG_PORT', '5056')}",
            rasa_timeout=float(env("NW_RASA_TIMEOUT", cls.rasa_timeout)),
            rasa_concurrency=int(env("NW_RASA_CONCURRENCY", cls.rasa_concurrency)),
            ip_rate_per_min=int(env("NW_IP_RATE", cls.ip_rate_per_min)),
            session_rate_per_min=int(env("NW_SESSION_RATE", cls.session_rate_per_min)),
        )

    @property
    def rasa_url(self) -> str:
        return self.rasa_urls[0]
