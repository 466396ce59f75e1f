"""Issue 15 fault test: PostgreSQL down. The chat keeps the last published texts,
the editor says it cannot save now, and everything recovers when PostgreSQL is back.

The real parts: Debian's PostgreSQL on a free port (started, killed with SIGKILL
and started again by this test), and a real stack (gateway, one Rasa replica,
actions, NLG) started with NW_DATABASE_URL. Staff use the editor over HTTP as a
browser would (login form, CSRF tokens, the save form); residents use /api/v1/chat.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests

from bot.ops.postgres_server import PostgresServer
from bot.ops.stack import Stack, free_port, latest_model
from tests.conftest import Chat, get_json

pytestmark = pytest.mark.stack

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "pg-test-" + uuid.uuid4().hex[:12]
USERNAME = "landelijk-pg"
PROPAGATION_LIMIT_S = 5.0  # the issue: a publication reaches every replica within 5 s
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer(free_port(), durable=False).start()
    yield server
    server.cleanup()


@pytest.fixture(scope="module")
def pg_stack(postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("pg_stack")
    env = {"NW_DATABASE_URL": postgres.url, "NW_IP_RATE": "0", "NW_SESSION_RATE": "0", "NW_API_RATE": "0"}
    # The account is made with the real CLI, which follows NW_DATABASE_URL like the servers.
    done = subprocess.run(
        [sys.executable, "-m", "bot", "users", "add", "--username", USERNAME, "--role", "national"]
        + ["--password-stdin"],
        input=PASSWORD + "\n",
        text=True,
        capture_output=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT), **env),
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    # One Rasa replica is enough here: the texts come from the NLG server and the gateway.
    running = Stack.on_free_ports(
        rasa_replicas=1, model=latest_model(), log_dir=tmp / "log", extra_env=env, gateway_host="127.0.0.1"
    )
    running.start(timeout=240)
    yield running
    running.stop()


class Editor:
    """A member of staff in the Redactie over HTTP (cookies set by hand: they are Secure)."""

    def __init__(self, gateway: str) -> None:
        self.gateway = gateway
        self.cookies: dict[str, str] = {}

    def _cookie_header(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    def get(self, path: str) -> requests.Response:
        return requests.get(self.gateway + path, headers=self._cookie_header(), allow_redirects=False, timeout=30)

    def post(self, path: str, data: dict[str, str]) -> requests.Response:
        response = requests.post(
            self.gateway + path, data=data, headers=self._cookie_header(), allow_redirects=False, timeout=30
        )
        self.cookies.update(response.cookies.get_dict())
        return response

    def login(self) -> None:
        form = self.get("/redactie/login")
        self.cookies.update(form.cookies.get_dict())
        token = CSRF_RE.search(form.text)
        assert token, form.text
        done = self.post("/redactie/login", {"csrf_token": token[1], "username": USERNAME, "password": PASSWORD})
        assert done.status_code == 303 and "nw_redactie" in self.cookies, (done.status_code, done.text[:500])

    def save_greeting(self, source: str) -> requests.Response:
        page = self.get("/redactie/tekst/utter_greet?regio=NL")
        if page.status_code != 200:
            return page
        token = CSRF_RE.search(page.text)
        assert token, page.text[:500]
        return self.post(
            "/redactie/tekst/utter_greet/opslaan",
            {"csrf_token": token[1], "regio": "NL", "source": source, "note": "storingstest"},
        )


def greeting(stack: Stack) -> str:
    """What a new resident in Zeeland gets for 'hallo'."""
    return Chat(stack.gateway, "VR19").say_text("hallo")


def wait_for_greeting(stack: Stack, marker: str, limit: float = PROPAGATION_LIMIT_S) -> float:
    start = time.monotonic()
    while marker not in greeting(stack):
        assert time.monotonic() - start < limit, f"{marker!r} not in the chat within {limit} s"
        time.sleep(0.2)
    return time.monotonic() - start


class _FormFields(HTMLParser):
    """The fields a browser would send back from a form page (inputs, textareas, selects)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "input" and a.get("name") and a.get("type") not in ("file", "checkbox", "submit"):
            self.fields[a["name"]] = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self.fields[self._textarea] = ""
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
        elif tag == "option" and self._select and ("selected" in a or self._select not in self.fields):
            self.fields[self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] += data


def preflight(gateway: str, origin: str) -> int:
    response = requests.options(
        f"{gateway}/api/v1/chat?region=VR19",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    return response.status_code


def test_inzicht_counts_are_kept_in_postgresql(pg_stack: Stack, postgres: PostgresServer) -> None:
    """Issue 19 on the shared store: chats in VR19 become counts in PostgreSQL, and the
    editor shows them from 10 on ("minder dan 10" below)."""
    from bot.redactie import inzicht_counts
    from bot.redactie.db import Database

    db = Database(url=postgres.url)
    ask, key = '/ask_phase{"phase":"tijdens","risk":"storm"}', "storm|tijdens"

    def raw() -> int:
        rows = inzicht_counts.read_counts(db, inzicht_counts.day_of(), ["VR19"])
        return sum(r["count"] for r in rows if r["metric"] == "vraag" and r["key"] == key)

    def shown(staff: Editor) -> str | None:
        export = staff.get("/redactie/inzicht.csv?regio=VR19")
        assert export.status_code == 200, export.text[:300]
        return next((line.rsplit(",", 1)[1] for line in export.text.splitlines() if f",vraag,{key}," in line), None)

    def ask_until(target: int) -> None:
        while raw() < target:
            for _ in range(target - raw()):
                assert "storm" in Chat(pg_stack.gateway, "VR19").say_text(ask).lower()
            deadline = time.monotonic() + 20  # the NLG server writes its sums every few seconds
            while raw() < target and time.monotonic() < deadline:
                time.sleep(0.5)

    assert raw() == 0
    staff = Editor(pg_stack.gateway)
    staff.login()
    ask_until(9)
    assert shown(staff) == "minder dan 10"
    ask_until(10)
    assert shown(staff) == "10"


def test_embed_settings_reach_another_gateway_within_5_s(
    pg_stack: Stack, postgres: PostgresServer, tmp_path: Path
) -> None:
    """Issue 20 on the shared store: a beheerder adds a site on one gateway; a second gateway
    on the same PostgreSQL lets that site in (CORS) within 5 s, and nothing else."""
    name, password = "beheerder-pg-" + uuid.uuid4().hex[:6], "pg-" + uuid.uuid4().hex[:12]
    env = dict(os.environ, PYTHONPATH=str(ROOT), NW_DATABASE_URL=postgres.url)
    done = subprocess.run(
        [sys.executable, "-m", "bot", "users", "add", "--username", name, "--role", "beheerder"]
        + ["--region", "VR19", "--password-stdin"],
        input=password + "\n",
        text=True,
        capture_output=True,
        env=env,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    port = free_port()
    second_env = dict(pg_stack.env_for("gateway"), NW_GATEWAY_PORT=str(port), NW_GATEWAY_HOST="127.0.0.1")
    with open(tmp_path / "gateway-2.log", "wb") as log:
        second = subprocess.Popen(
            [sys.executable, "-m", "bot.gateway"], env=second_env, cwd=ROOT, stdout=log, stderr=log
        )
    other = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(other + "/livez", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert second.poll() is None and time.monotonic() < deadline, "the second gateway did not start"
            time.sleep(0.5)
        site = f"https://crisis-{uuid.uuid4().hex[:8]}.voorbeeld.nl"
        assert preflight(other, site) == 403

        staff = Editor(pg_stack.gateway)
        form = staff.get("/redactie/login")
        staff.cookies.update(form.cookies.get_dict())
        token = CSRF_RE.search(form.text)
        assert token, form.text[:300]
        login = staff.post("/redactie/login", {"csrf_token": token[1], "username": name, "password": password})
        assert login.status_code == 303, login.text[:300]
        page = staff.get("/redactie/instellingen/VR19")
        assert page.status_code == 200, page.text[:300]
        parser = _FormFields()
        parser.feed(page.text)
        fields = parser.fields
        fields["origins"] = (fields.get("origins", "").strip() + "\n" + site).strip()
        fields["note"] = "nieuwe crisissite"
        saved = staff.post("/redactie/instellingen/VR19", fields)
        assert saved.status_code == 303, saved.text[:800]
        started = time.monotonic()
        while preflight(other, site) != 204 and preflight(other, site) != 200:
            assert time.monotonic() - started < PROPAGATION_LIMIT_S, "the other gateway did not let the site in"
            time.sleep(0.2)
        assert preflight(other, "https://vreemd.voorbeeld.nl") == 403, "only the added site"
    finally:
        second.terminate()
        second.wait(timeout=20)


def test_postgres_down_chat_keeps_texts_editor_cannot_save(pg_stack: Stack, postgres: PostgresServer) -> None:
    staff = Editor(pg_stack.gateway)
    staff.login()
    before = f"Hallo, dit is de tekst van voor de storing ({uuid.uuid4().hex[:6]})."
    saved = staff.save_greeting(before)
    assert saved.status_code == 303, saved.text[:500]
    wait_for_greeting(pg_stack, before)

    postgres.kill()  # SIGKILL, as a crash or an out-of-memory kill would

    # Residents: the last published text, every time, no error.
    for _ in range(3):
        assert before in greeting(pg_stack)
    status, body = get_json(f"{pg_stack.gateway}/api/v1/notice?region=VR19")
    assert status == 200 and body == {"notice": None}

    # Staff: a friendly Dutch 503, never a 500, on reading and on saving.
    for response in (staff.get("/redactie"), staff.save_greeting("Tijdens de storing.")):
        assert response.status_code == 503, (response.status_code, response.text[:300])
        assert "De redactie kan nu niet opslaan" in response.text
        assert response.headers.get("Retry-After")
    assert "Tijdens de storing." not in greeting(pg_stack)

    postgres.start()
    deadline = time.monotonic() + 30
    while staff.get("/redactie").status_code != 200:  # the session survived in the database
        assert time.monotonic() < deadline, "the editor did not recover after PostgreSQL came back"
        time.sleep(0.5)
    after = f"Hallo, de storing is voorbij ({uuid.uuid4().hex[:6]})."
    saved = staff.save_greeting(after)
    assert saved.status_code == 303, saved.text[:500]
    wait_for_greeting(pg_stack, after)
    status, _ = get_json(f"{pg_stack.gateway}/healthz")
    assert status == 200
