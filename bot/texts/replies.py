"""Bot answers by name, with the full template context.

The one path for every rendered answer: the NLG endpoint (Rasa's utter_*),
the gateway's own answers (112 safety net, degraded mode) and the API texts.
The live-edit store and the incident notice belong to the Redactie; the
programs that start a server hand them in (see bot/nlg/server.py and
bot/gateway/app.py), so this layer depends on bot.core only.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from bot.core.safety import emergency_arguments
from bot.texts.context import template_context
from bot.texts.render import Rendered, Renderer

logger = logging.getLogger(__name__)

NoticeLookup = Callable[[str], "dict[str, Any] | None"]
EMERGENCY_RESPONSE = "utter_emergency"


class Replies:
    def __init__(self, renderer: Renderer, notice_lookup: NoticeLookup | None = None) -> None:
        self.renderer = renderer
        self.notice_lookup = notice_lookup

    @property
    def safe_default(self) -> str:
        return self.renderer.safe_default

    def notice(self, region: str | None) -> dict[str, Any] | None:
        if not region or self.notice_lookup is None:
            return None
        try:
            return self.notice_lookup(region)
        except Exception:  # a broken notice store must not silence the bot
            logger.exception("notice lookup failed")
            return None

    def context(
        self, slots: dict[str, Any] | None, region: str | None, arguments: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        return template_context(slots or {}, region, arguments, notice=self.notice(region))

    def render(
        self,
        name: str,
        *,
        slots: dict[str, Any] | None = None,
        region: str | None = None,
        arguments: dict[str, Any] | None = None,
    ) -> Rendered:
        return self.renderer.render(name, self.context(slots, region, arguments), region)

    def emergency(self, danger: str | None, risk_key: str | None, region: str | None) -> Rendered:
        """ "Bel 112" first: the same arguments whether the action or the gateway asks."""
        return self.render(EMERGENCY_RESPONSE, region=region, arguments=emergency_arguments(danger, risk_key))
