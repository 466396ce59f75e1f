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

from bot.core.advice import AdviceSource, fill_risk, merge_risk, placeholder_values
from bot.core.risks import is_risk_key
from bot.core.safety import emergency_arguments
from bot.texts.context import template_context
from bot.texts.render import Rendered, Renderer

logger = logging.getLogger(__name__)

NoticeLookup = Callable[[str], "dict[str, Any] | None"]
EMERGENCY_RESPONSE = "utter_emergency"
# Answers whose `risk` carries the Redactie's advice edits. The 112 answer keeps
# the national default on purpose: that path must not depend on edits.
ADVICE_RESPONSES = frozenset({"utter_risk_advice"})


class Replies:
    def __init__(
        self, renderer: Renderer, notice_lookup: NoticeLookup | None = None, advice: AdviceSource | None = None
    ) -> None:
        self.renderer = renderer
        self.notice_lookup = notice_lookup
        self.advice = advice

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

    def _channels(self, region: str | None) -> dict[str, Any] | None:
        if not region or self.advice is None:
            return None
        try:
            return self.advice.channel_edits(region)
        except Exception:  # a broken store must not silence the bot
            logger.exception("channel edits unavailable")
            return None

    def _with_advice(self, context: dict[str, Any], region: str | None) -> None:
        """context["risk"] with the national and regional edits, placeholders filled in."""
        risk = context.get("risk")
        if self.advice is None or not isinstance(risk, dict) or not is_risk_key(risk.get("key")):
            return
        try:
            national, regional = self.advice.risk_edits(risk["key"], region)
        except Exception:
            logger.exception("advice edits unavailable")
            return
        info = context.get("region")
        name = info.get("name") if isinstance(info, dict) else None
        merged = merge_risk(risk, national, regional, name)
        context["risk"] = fill_risk(merged, placeholder_values(info, context.get("slots")))

    def context(
        self,
        slots: dict[str, Any] | None,
        region: str | None,
        arguments: dict[str, Any] | None = None,
        with_advice: bool = False,
    ) -> dict[str, Any]:
        context = template_context(
            slots or {}, region, arguments, notice=self.notice(region), channels=self._channels(region)
        )
        if with_advice:
            self._with_advice(context, region)
        return context

    def render(
        self,
        name: str,
        *,
        slots: dict[str, Any] | None = None,
        region: str | None = None,
        arguments: dict[str, Any] | None = None,
    ) -> Rendered:
        context = self.context(slots, region, arguments, with_advice=name in ADVICE_RESPONSES)
        return self.renderer.render(name, context, region)

    def emergency(self, danger: str | None, risk_key: str | None, region: str | None) -> Rendered:
        """ "Bel 112" first: the same arguments whether the action or the gateway asks."""
        return self.render(EMERGENCY_RESPONSE, region=region, arguments=emergency_arguments(danger, risk_key))
