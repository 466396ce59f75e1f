"""Issue 16's trap, through the real stack: one saved text must not freeze the service.

A national "geavanceerd" editor (the only role that sees template code: staff edit words, not
template code) saves a plan text that passes every check of the editor but
loops for one budget only: three nested loops, each under the sandbox's range
limit, a billion steps together. Before the render pool, one anonymous
`POST /api/v1/noodpakket` with that budget froze the whole gateway (chat, every
API, /healthz, the editor) for as long as the loop ran. Now the render is
stopped at its time budget in a worker process, the answer falls back to the
repository text, /healthz stays quick meanwhile, and chat keeps working,
also a chat plan with that same budget (rendered by the NLG server's own pool).
"""

from __future__ import annotations

import asyncio
import time
import uuid

import aiohttp
import pytest

from bot.core.knowledge import TEMPLATES_DIR
from tests.conftest import Chat, add_editor, csrf_from
from tests.stack.test_conversation_kit import NEEDS_QUESTION, PLAN_BUTTON, asks

pytestmark = pytest.mark.stack

PASSWORD = "trap-test-" + uuid.uuid4().hex[:12]
TRAP_BUDGET = 37
MARKER = "Deze lijst is door de redactie bijgewerkt."
LOOP = (
    "{% if plan.budget_eur == " + str(TRAP_BUDGET) + " %}"
    "{% for a in range(999) %}{% for b in range(999) %}{% for c in range(999) %}{% endfor %}{% endfor %}{% endfor %}"
    "{% endif %}\n"
)
PLAN = {"adults": 2, "children": 0, "babies": 0, "pets": 1, "region": "VR19"}


def add_national_editor(stack) -> str:
    username = "nl-" + uuid.uuid4().hex[:8]
    add_editor(stack, username, PASSWORD, "geavanceerd")
    return username


class Editor:
    """The editor's own HTTP forms. Cookies by hand: they are Secure, and this is http://127.0.0.1."""

    def __init__(self, http: aiohttp.ClientSession, gateway: str) -> None:
        self.http, self.gateway, self.cookies, self.csrf = http, gateway, {}, ""

    def _headers(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    async def _request(self, method: str, path: str, **kwargs) -> tuple[int, str]:
        async with self.http.request(
            method, self.gateway + path, headers=self._headers(), allow_redirects=False, **kwargs
        ) as resp:
            self.cookies.update({name: morsel.value for name, morsel in resp.cookies.items()})
            return resp.status, await resp.text()

    async def log_in(self, username: str) -> None:
        _status, html = await self._request("GET", "/redactie/login")
        form = {"csrf_token": csrf_from(html), "username": username, "password": PASSWORD}
        status, _ = await self._request("POST", "/redactie/login", data=form)
        assert status == 303
        _status, html = await self._request("GET", "/redactie")
        self.csrf = csrf_from(html)

    async def save(self, name: str, source: str) -> int:
        form = {"csrf_token": self.csrf, "regio": "NL", "source": source, "note": "test"}
        status, _ = await self._request("POST", f"/redactie/tekst/{name}/opslaan", data=form)
        return status

    async def reset(self, name: str) -> int:
        form = {"csrf_token": self.csrf, "regio": "NL"}
        status, _ = await self._request("POST", f"/redactie/tekst/{name}/standaard", data=form)
        return status


async def timed(coro) -> tuple[float, object]:
    started = time.monotonic()
    result = await coro
    return time.monotonic() - started, result


async def plan(http: aiohttp.ClientSession, gateway: str, budget: float) -> dict:
    async with http.post(f"{gateway}/api/v1/noodpakket", json={**PLAN, "budget_eur": budget}) as resp:
        assert resp.status == 200
        return await resp.json()


async def healthz(http: aiohttp.ClientSession, gateway: str) -> int:
    async with http.get(f"{gateway}/healthz") as resp:
        await resp.read()
        return resp.status


async def healthz_while(http: aiohttp.ClientSession, gateway: str, running: asyncio.Task) -> list[float]:
    """/healthz, one after the other, for as long as `running` runs; each one's time."""
    times = []
    while not running.done() or not times:
        seconds, status = await timed(healthz(http, gateway))
        assert status == 200
        times.append(seconds)
        await asyncio.sleep(0.02)
    return times


async def trap(stack) -> None:
    timeout = aiohttp.ClientTimeout(total=10)  # the old code froze far longer: this fails, not hangs
    async with aiohttp.ClientSession(timeout=timeout) as http:
        editor = Editor(http, stack.gateway)
        await editor.log_in(add_national_editor(stack))
        source = LOOP + (TEMPLATES_DIR / "utter_kit_plan.j2").read_text(encoding="utf-8") + "\n" + MARKER + "\n"
        assert await editor.save("utter_kit_plan", source) == 303, "the trap passes every check of the editor"
        try:
            # The edit is live: another budget shows it.
            other = await plan(http, stack.gateway, 36)
            assert MARKER in other["text"]

            trapped = asyncio.ensure_future(timed(plan(http, stack.gateway, TRAP_BUDGET)))
            health_times = await healthz_while(http, stack.gateway, trapped)
            seconds, body = await trapped
            assert seconds < 1.0, f"the trapped plan took {seconds:.2f} s"
            assert max(health_times) < 0.5, f"/healthz took up to {max(health_times):.2f} s during the trap"
            # The answer is the repository's own plan text, for the right plan.
            assert MARKER not in body["text"] and body["text"].strip()
            assert body["budget_eur"] == TRAP_BUDGET

            # Set aside: asking again costs no budget at all.
            again, body = await timed(plan(http, stack.gateway, TRAP_BUDGET))
            assert again < 0.5 and MARKER not in body["text"]
            print(
                f"trap: first answer {seconds * 1000:.0f} ms, again {again * 1000:.0f} ms, "
                f"/healthz max {max(health_times) * 1000:.0f} ms over {len(health_times)} calls"
            )

            # Chat in the region keeps working, also a plan with the trapped budget.
            resident = Chat(stack.gateway, "VR19")
            resident.say("ik wil een noodpakket voor 2 volwassenen en een hond, 37 euro")
            assert asks(resident.say_text(PLAN_BUTTON), NEEDS_QUESTION)
            started = time.monotonic()
            reply = resident.say_text("nee")
            assert time.monotonic() - started < 5.0
            # The repository's plan (prices are "ongeveer"), not the edit and not the safe default.
            assert "ongeveer" in reply and MARKER not in reply and "niet goed laten zien" not in reply
        finally:
            assert await editor.reset("utter_kit_plan") == 303


def test_a_text_that_loops_for_one_budget_cannot_freeze_the_gateway(stack):
    asyncio.run(trap(stack))
