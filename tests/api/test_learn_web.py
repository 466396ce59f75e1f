"""Learning from what was not understood (issue 19, item 3): off by default, per region,
visible and deletable only by that region's editors, 30 days, Rasa NLU YAML export,
the widget's privacy line, and the gateway keeping only the worker's output."""

from __future__ import annotations

import asyncio
import functools
import re
import time

import pytest
from aiohttp import web

from bot.gateway import learning
from bot.redactie import learn
from bot.redactie import web as redactie_web
from tests.api.conftest import logged_in
from tests.conftest import csrf_from


@pytest.fixture
def make_client(make_client):
    return functools.partial(make_client, learn.setup)


def test_off_by_default_and_nothing_kept(db) -> None:
    assert not learn.is_enabled(db, "VR19")
    assert learn.keep(db, "VR19", "iets") is False
    assert db.scalar("SELECT COUNT(*) FROM learn_messages") == 0


def test_kept_30_days_per_region_and_off_wipes(db) -> None:
    learn.set_enabled(db, "zeeland", "VR19", True)
    now = time.time()
    assert learn.keep(db, "VR19", "oud bericht", now=now - 31 * 24 * 3600)
    assert learn.keep(db, "VR19", "nieuw bericht", now=now)
    assert not learn.keep(db, "VR01", "andere regio staat uit", now=now)
    assert [m["text"] for m in learn.kept(db, "VR19")] == ["nieuw bericht"]
    assert db.scalar("SELECT COUNT(*) FROM learn_messages") == 1  # the old one was deleted on write
    assert learn.purge_old(db, now=now + 31 * 24 * 3600) == 1
    learn.keep(db, "VR19", "nog een", now=now)
    learn.set_enabled(db, "zeeland", "VR19", False)
    assert db.scalar("SELECT COUNT(*) FROM learn_messages") == 0
    actions = [r["action"] for r in db.rows("SELECT action FROM audit_log ORDER BY id")]
    assert actions[-2:] == ["leren aan", "leren uit"]


def test_export_is_rasa_nlu_yaml() -> None:
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    text = learn.nlu_yaml(["wat doe ik met [PERSOON]", "wat doe ik met [PERSOON]", "hoe  lang\nduurt dat"])
    data = RasaYAMLReader().reads(text)
    assert sorted(m.get("text") for m in data.training_examples) == ["hoe lang duurt dat", "wat doe ik met [PERSOON]"]
    assert {m.get("intent") for m in data.training_examples} == {"TODO"}
    assert RasaYAMLReader().reads(learn.nlu_yaml([])).training_examples == []


async def test_region_editor_turns_on_sees_deletes_and_exports(make_client, db) -> None:
    client, _ = await logged_in(make_client, "zeeland")
    html = await (await client.get("/redactie/leren")).text()
    assert "Staat uit." in html
    token = csrf_from(html)
    response = await client.post("/redactie/leren/instelling", data={"csrf_token": token, "aan": "1"})
    assert response.status == 200 and "Staat aan." in await response.text()
    assert (await client.post("/redactie/leren/instelling", data={"csrf_token": token, "aan": "x"})).status == 400
    learn.keep(db, "VR19", "waar is [LOCATIE] zandzakken")
    learn.keep(db, "VR19", "tweede vraag")
    html = await (await client.get("/redactie/leren")).text()
    assert "waar is [LOCATIE] zandzakken" in html and "tweede vraag" in html
    export = await client.get("/redactie/leren.yml")
    body = await export.text()
    assert export.status == 200 and "attachment" in export.headers["Content-Disposition"]
    assert "- intent: TODO" in body and "    - waar is [LOCATIE] zandzakken" in body
    first = int(re.search(r"/redactie/leren/(\d+)/verwijder", html).group(1))
    await client.post(f"/redactie/leren/{first}/verwijder", data={"csrf_token": token})
    assert len(learn.kept(db, "VR19")) == 1
    await client.post("/redactie/leren/verwijder-alles", data={"csrf_token": token})
    assert learn.kept(db, "VR19") == []


async def test_other_editors_cannot_see_or_delete(make_client, db) -> None:
    learn.set_enabled(db, "zeeland", "VR19", True)
    learn.keep(db, "VR19", "geheime vraag")
    message_id = learn.kept(db, "VR19")[0]["id"]
    client, _ = await logged_in(make_client, "landelijk")  # national: not that region's editor
    for path in ("/redactie/leren", "/redactie/leren.yml"):
        response = await client.get(path)
        assert response.status == 403 and "geheime vraag" not in await response.text()
    token = csrf_from(await (await client.get("/redactie")).text())
    response = await client.post(f"/redactie/leren/{message_id}/verwijder", data={"csrf_token": token})
    assert response.status == 403
    assert (await client.post("/redactie/leren/instelling", data={"csrf_token": token, "aan": "0"})).status == 403
    assert learn.delete(db, "x", "VR01", message_id) == 0  # another region's id deletes nothing
    assert len(learn.kept(db, "VR19")) == 1


async def test_privacy_line_follows_the_setting(db) -> None:
    app = web.Application()
    redactie_web.setup(app, db=db)
    learn.setup(app)
    assert learn.privacy_with_learning(app, "VR19", "Wij bewaren niets.") == "Wij bewaren niets."
    learn.set_enabled(db, "zeeland", "VR19", True)
    app[learn.LEARN_OPTIN].invalidate()  # SQLite in one process: the generation moves with the next read
    line = learn.privacy_with_learning(app, "VR19", "Wij bewaren niets.")
    assert line == f"Wij bewaren niets. {learn.PRIVACY_LINE}"
    assert learn.privacy_with_learning(app, "VR01", None) is None
    assert learn.privacy_with_learning(app, "VR19", None) == learn.PRIVACY_LINE


class FakeWorker:
    def __init__(self, answer: str | None) -> None:
        self.answer = answer
        self.seen: list[str] = []

    def deidentify(self, text: str) -> str | None:
        self.seen.append(text)
        return self.answer

    def close(self) -> None:
        pass


async def test_gateway_keeps_only_the_workers_output_and_fails_closed(db) -> None:
    app = web.Application()
    redactie_web.setup(app, db=db)
    learning.setup(app)
    fallback = [{"recipient_id": "x", "text": "Sorry"}, {"recipient_id": "x", "custom": {"niet_begrepen": True}}]
    assert learning.not_understood(fallback)
    assert not learning.not_understood([{"text": "Sorry"}, {"custom": {"niet_begrepen": "ja"}}])
    worker = FakeWorker("ik ben [PERSOON]")
    app[learning.DEIDENTIFIER] = worker  # type: ignore[assignment]
    learning.remember(app, "VR19", "ik ben Jan")  # off: not even sent to the worker
    await learning.pending_done(app)
    assert worker.seen == [] and db.scalar("SELECT COUNT(*) FROM learn_messages") == 0
    learn.set_enabled(db, "zeeland", "VR19", True)
    app[learn.LEARN_OPTIN].invalidate()
    learning.remember(app, "VR19", "ik ben Jan")
    await learning.pending_done(app)
    assert worker.seen == ["ik ben Jan"]
    assert [m["text"] for m in learn.kept(db, "VR19")] == ["ik ben [PERSOON]"]
    worker.answer = None  # the worker could not answer
    learning.remember(app, "VR19", "ik ben Piet")
    await learning.pending_done(app)
    await asyncio.sleep(0)
    assert [m["text"] for m in learn.kept(db, "VR19")] == ["ik ben [PERSOON]"]


async def test_the_gateway_purges_old_messages_without_new_ones(db) -> None:
    learn.set_enabled(db, "zeeland", "VR19", True)
    learn.keep(db, "VR19", "oud", now=time.time() - 31 * 24 * 3600)
    assert db.scalar("SELECT COUNT(*) FROM learn_messages") == 1
    task = asyncio.get_running_loop().create_task(learning.purge_hourly(db))
    for _ in range(50):
        await asyncio.sleep(0.1)
        if db.scalar("SELECT COUNT(*) FROM learn_messages") == 0:
            break
    task.cancel()
    assert db.scalar("SELECT COUNT(*) FROM learn_messages") == 0


async def test_a_backlog_keeps_nothing_more(db) -> None:
    app = web.Application()
    redactie_web.setup(app, db=db)
    learning.setup(app)
    learn.set_enabled(db, "zeeland", "VR19", True)
    worker = FakeWorker("x")
    app[learning.DEIDENTIFIER] = worker  # type: ignore[assignment]
    waiting = [asyncio.get_running_loop().create_future() for _ in range(learning.MAX_PENDING)]
    app[learning.PENDING].update(waiting)  # the worker is that far behind
    learning.remember(app, "VR19", "te veel")
    await asyncio.sleep(0.1)
    assert worker.seen == [] and learn.kept(db, "VR19") == []
    for future in waiting:
        future.cancel()
