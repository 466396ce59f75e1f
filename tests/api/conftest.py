"""The Redactie over HTTP (aiohttp test server, own database): editor accounts, a database per
test, and test clients that log in through the real login form."""

from __future__ import annotations

import shutil
from collections.abc import Callable

import pytest
from aiohttp import CookieJar, web
from aiohttp.test_utils import TestClient, TestServer

from bot.redactie import accounts
from bot.redactie import web as redactie_web
from bot.redactie.db import Database
from tests.conftest import csrf_from

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def accounts_db(tmp_path_factory):
    """Accounts are created once (argon2 is slow on purpose); each test gets a copy."""
    path = tmp_path_factory.mktemp("accounts") / "accounts.sqlite3"
    database = Database(path)
    accounts.add_user(database, "zeeland", PASSWORD, "regional", "VR19")
    accounts.add_user(database, "landelijk", PASSWORD, "national")
    accounts.add_user(database, "collega", PASSWORD, "national")  # a second national editor (vier ogen)
    accounts.add_user(database, "ontwikkelaar", PASSWORD, "geavanceerd")
    database.checkpoint()
    return path


@pytest.fixture
def db(tmp_path, monkeypatch, accounts_db) -> Database:
    monkeypatch.setenv("NOODWIJZER_DB", str(tmp_path / "default.sqlite3"))
    shutil.copy(accounts_db, tmp_path / "web.sqlite3")
    return Database(tmp_path / "web.sqlite3")


@pytest.fixture
async def make_client(db):
    """make_client(*pages): a client of a new server with the Redactie and each page's `setup(app)`."""
    clients = []

    async def make(*pages: Callable[[web.Application], object]) -> TestClient:
        app = web.Application()
        redactie_web.setup(app, db=db)
        for setup in pages:
            setup(app)
        server = TestServer(app)
        await server.start_server()
        # The session cookie is Secure; treat the test server as a secure origin, like browsers do for localhost.
        jar = CookieJar(unsafe=True, treat_as_secure_origin=[str(server.make_url("/"))])
        client = TestClient(server, cookie_jar=jar)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


async def login(client: TestClient, username: str, password: str = PASSWORD):
    page = await client.get("/redactie/login")
    token = csrf_from(await page.text())
    return await client.post(
        "/redactie/login", allow_redirects=False, data={"csrf_token": token, "username": username, "password": password}
    )


async def logged_in(make_client, username: str) -> tuple[TestClient, str]:
    """A new client, logged in as username, and the CSRF token of its session."""
    client = await make_client()
    response = await login(client, username)
    assert response.status == 303
    home = await client.get("/redactie")
    return client, csrf_from(await home.text())
