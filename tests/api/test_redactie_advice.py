"""The advice editor over HTTP (aiohttp test server, own database): find, edit in words, preview,
publish, the words-diff, restore, drafts and vier ogen, and what regional staff may not see."""

from __future__ import annotations

import re

from bot.core.risks import get_risk
from bot.redactie import advice
from bot.redactie.store import SqliteTemplateStore
from tests.api.conftest import logged_in


def storm_tips() -> list[str]:
    return list(get_risk("storm")["tijdens"])


async def test_list_has_dutch_names_grouped_and_searchable(make_client):
    client, _ = await logged_in(make_client, "zeeland")
    html = await (await client.get("/redactie")).text()
    assert "Advies bij storm: tijdens" in html and "Noodpakket: vraag naar het budget" in html
    assert "Begroeting" in html
    assert ">utter_" not in html  # no code names for staff (only in the links' addresses)
    assert "Advies: lijst met risico" not in html  # template-only texts: national geavanceerd accounts only
    found = await (await client.get("/redactie", params={"zoek": "storm"})).text()
    assert "Advies bij storm: tijdens" in found and "Advies bij hitte" not in found
    national, _ = await logged_in(make_client, "landelijk")
    assert "Advies: lijst met risico" not in await (await national.get("/redactie")).text()
    advanced, _ = await logged_in(make_client, "ontwikkelaar")
    listing = await (await advanced.get("/redactie")).text()
    assert "Advies: lijst met risico" in listing and '<span class="tag">geavanceerd</span>' in listing


async def test_edit_preview_publish_diff_restore(make_client, db):
    client, token = await logged_in(make_client, "zeeland")
    page = await client.get("/redactie/advies/storm/tijdens")
    html = await page.text()
    assert page.status == 200 and "regio Zeeland" in html
    assert "{%" not in html and "{{" not in html  # no template code on the page
    tips = storm_tips()
    tips[1] = "Sluit ramen, deuren en luiken in Zeeland."
    form = {
        "csrf_token": token,
        "regio": "VR19",
        "tips": "\n".join(tips),
        "intro": "",
        "extra": "Kijk op [waarschuwingssite].",
    }
    preview = await client.post(
        "/redactie/advies/storm/tijdens/voorbeeld", data=form, headers={"X-Requested-With": "fetch"}
    )
    fragment = await preview.text()
    assert preview.status == 200
    assert "Sluit ramen, deuren en luiken in Zeeland." in fragment
    assert "In Zeeland:" in fragment and "zeelandveilig.nl" in fragment  # placeholder filled in
    assert 'class="phone VR19"' in fragment
    assert advice.StoreAdvice(SqliteTemplateStore(db)).risk_edits("storm", "VR19") == (None, None)  # not live yet

    published = await client.post(
        "/redactie/advies/storm/tijdens", data={**form, "actie": "publiceer"}, allow_redirects=False
    )
    assert published.status == 303 and "gepubliceerd=" in published.headers["Location"]
    live = advice.StoreAdvice(SqliteTemplateStore(db)).risk_edits("storm", "VR19")[1]
    assert live["phases"]["tijdens"]["tips"][1] == "Sluit ramen, deuren en luiken in Zeeland."

    tips[1] = "Doe ramen en deuren dicht."
    await client.post("/redactie/advies/storm/tijdens", data={**form, "tips": "\n".join(tips), "actie": "publiceer"})
    history = await (await client.get("/redactie/advies/storm/geschiedenis")).text()
    assert "Tip 2 veranderd: “Sluit ramen, deuren en luiken in Zeeland.” → “Doe ramen en deuren dicht.”" in history
    assert "Extra tip toegevoegd: “Kijk op [waarschuwingssite].”" in history
    first = re.findall(r'name="version" value="(\d+)"', history)[-1]
    restored = await client.post(
        "/redactie/advies/storm/herstel", data={"csrf_token": token, "version": first}, allow_redirects=False
    )
    assert restored.status == 303
    live = advice.StoreAdvice(SqliteTemplateStore(db)).risk_edits("storm", "VR19")[1]
    assert live["phases"]["tijdens"]["tips"][1] == "Sluit ramen, deuren en luiken in Zeeland."


async def test_bad_words_are_refused_with_reasons(make_client, db):
    client, token = await logged_in(make_client, "zeeland")
    form = {
        "csrf_token": token,
        "regio": "VR19",
        "tips": "Kijk op http://example.nl\n{{ 7 * 7 }}\nBel [naam]",
        "actie": "publiceer",
    }
    response = await client.post("/redactie/advies/storm/tijdens", data=form)
    html = await response.text()
    assert response.status == 422
    assert "Een link begint met https://" in html and "Gebruik geen" in html and "[naam]" in html
    assert advice.StoreAdvice(SqliteTemplateStore(db)).risk_edits("storm", "VR19") == (None, None)


async def test_regional_staff_stay_in_their_layer_and_never_see_templates(make_client):
    client, token = await logged_in(make_client, "zeeland")
    for url in ("/redactie/advies/storm/tijdens?regio=VR17", "/redactie/advies/storm/tijdens?regio=NL"):
        assert (await client.get(url)).status == 403
    assert (await client.get("/redactie/advies/vulkaan/tijdens")).status == 404
    response = await client.post(
        "/redactie/advies/storm/tijdens", data={"csrf_token": token, "regio": "NL", "tips": "x", "actie": "publiceer"}
    )
    assert response.status == 403


async def test_four_eyes_draft_needs_a_colleague(make_client, db):
    author, token = await logged_in(make_client, "landelijk")
    form = {"csrf_token": token, "regio": "NL", "titel": "Storm en zware wind", "bronnen": "", "actie": "publiceer"}
    response = await author.post(
        "/redactie/advies/storm/algemeen", data={**form, "vier_ogen": "ja"}, allow_redirects=False
    )
    assert response.status == 303 and "concept=" in response.headers["Location"]
    store = SqliteTemplateStore(db)
    assert advice.StoreAdvice(store).risk_edits("storm", None) == (None, None)
    again = await author.post("/redactie/advies/storm/algemeen", data=form)
    assert again.status == 409 and "vier ogen" in await again.text()
    colleague, token2 = await logged_in(make_client, "collega")
    page = await (await colleague.get("/redactie/advies/storm/algemeen")).text()
    assert "Goedkeuren en publiceren" in page and "Storm en zware wind" in page
    done = await colleague.post(
        "/redactie/advies/storm/algemeen", data={**form, "csrf_token": token2}, allow_redirects=False
    )
    assert done.status == 303
    assert advice.StoreAdvice(store).risk_edits("storm", None)[0]["title"] == "Storm en zware wind"


async def test_plain_texts_are_words_for_regional_staff(make_client, db):
    client, token = await logged_in(make_client, "zeeland")
    page = await (await client.get("/redactie/tekst/utter_greet")).text()
    assert "<h1>Begroeting" in page
    assert "{%" not in page and "{{" not in page  # the template is shown as words
    words = (
        "Welkom bij de Noodwijzer van [regio].\n\nLuister bij storm naar [omroep].\nknop: Noodpakket maken | /ask_kit"
    )
    saved = await client.post(
        "/redactie/tekst/utter_greet/opslaan",
        data={"csrf_token": token, "regio": "VR19", "source": words},
        allow_redirects=False,
    )
    assert saved.status == 303
    source = SqliteTemplateStore(db).get_source("utter_greet", "VR19")
    assert source.startswith("{#- redactie: woorden") and "region.name" in source
    page = await (await client.get("/redactie/tekst/utter_greet")).text()
    assert "Welkom bij de Noodwijzer van [regio]." in page  # words again, not template code
    assert "region.name" not in page
    preview = await client.post(
        "/redactie/tekst/utter_greet/voorbeeld",
        data={"regio": "VR19", "source": words},
        headers={"X-CSRF-Token": token, "X-Requested-With": "fetch"},
    )
    assert "Welkom bij de Noodwijzer van Zeeland." in await preview.text()
    refused = await client.post(
        "/redactie/tekst/utter_greet/opslaan", data={"csrf_token": token, "regio": "VR19", "source": "Hoi {{ region }}"}
    )
    assert refused.status == 422 and "Gebruik geen" in await refused.text()
    # Texts with logic stay with the national "geavanceerd" work.
    assert (await client.get("/redactie/tekst/utter_kit_plan")).status == 403
    national, _ = await logged_in(make_client, "landelijk")
    assert (await national.get("/redactie/tekst/utter_kit_plan")).status == 403  # plain national: words only
    developer, _ = await logged_in(make_client, "ontwikkelaar")
    advanced = await (await developer.get("/redactie/tekst/utter_kit_plan")).text()
    assert "{%" in advanced  # the template editor, for national geavanceerd accounts only


async def test_national_editors_set_the_channels_per_region(make_client, db):
    client, token = await logged_in(make_client, "landelijk")
    page = await (await client.get("/redactie/kanalen")).text()
    assert "Omroep Zeeland" in page
    bad = await client.post(
        "/redactie/kanalen/VR19",
        data={"csrf_token": token, "radio_name": "Omroep Zeeland", "fm": "veel", "alert_site": "http://x.nl"},
    )
    assert bad.status == 422
    saved = await client.post(
        "/redactie/kanalen/VR19",
        data={
            "csrf_token": token,
            "radio_name": "Omroep Zeeland",
            "fm": "90.5",
            "alert_site": "https://www.zeelandveilig.nl",
        },
        allow_redirects=False,
    )
    assert saved.status == 303
    # Only what differs from the default is stored.
    assert advice.StoreAdvice(SqliteTemplateStore(db)).channel_edits("VR19") == {"fm": "90.5"}
    regional, _ = await logged_in(make_client, "zeeland")
    assert (await regional.get("/redactie/kanalen")).status == 403
    assert (await regional.get("/redactie/kanalen/VR19")).status == 403


async def test_four_eyes_for_a_national_plain_text(make_client, db):
    author, token = await logged_in(make_client, "landelijk")
    form = {"csrf_token": token, "regio": "NL", "source": "Dag! Tot de volgende keer."}
    draft = await author.post(
        "/redactie/tekst/utter_goodbye/opslaan", data={**form, "vier_ogen": "ja"}, allow_redirects=False
    )
    assert draft.status == 303
    store = SqliteTemplateStore(db)
    assert store.get_source("utter_goodbye", None) is None  # not live
    again = await author.post("/redactie/tekst/utter_goodbye/opslaan", data=form)
    assert again.status == 409
    colleague, token2 = await logged_in(make_client, "collega")
    page = await (await colleague.get("/redactie/tekst/utter_goodbye")).text()
    assert "Goedkeuren en publiceren" in page and "Dag! Tot de volgende keer." in page
    done = await colleague.post(
        "/redactie/tekst/utter_goodbye/opslaan", data={**form, "csrf_token": token2}, allow_redirects=False
    )
    assert done.status == 303
    assert "Dag! Tot de volgende keer." in store.get_source("utter_goodbye", None)
    assert "Goedkeuren" not in await (await colleague.get("/redactie/tekst/utter_goodbye")).text()


async def test_a_notice_can_be_planned_in_the_form(make_client, db):
    import time

    from bot.redactie import notices
    from bot.redactie.web import _local_input

    client, token = await logged_in(make_client, "zeeland")
    now = time.time()
    form = {
        "csrf_token": token,
        "regio": "VR19",
        "title": "Storm morgen",
        "text": "Zet losse spullen vast.",
        "url": "https://www.zeelandveilig.nl",
        "starts": _local_input(now + 2 * 3600),
        "expires": _local_input(now + 5 * 3600),
    }
    done = await client.post("/redactie/meldingen", data=form, allow_redirects=False)
    assert done.status == 303
    assert (await (await client.get("/api/v1/notice", params={"region": "VR19"})).json())["notice"] is None
    page = await (await client.get("/redactie/meldingen")).text()
    assert "Gepland: zichtbaar vanaf" in page and "Planning stoppen" in page
    assert notices.current(db, "VR19", now=now + 2 * 3600 + 60).title == "Storm morgen"
    wrong = await client.post(
        "/redactie/meldingen", data={**form, "starts": _local_input(now + 6 * 3600)}, allow_redirects=False
    )
    assert wrong.status == 422 and "beginnen vóór de eindtijd" in await wrong.text()
