"""Advice as data: the merge (bot/core/advice.py) and the editor's side (bot/redactie/advice.py)."""

from __future__ import annotations

import pytest

from bot.core import advice as core
from bot.core.regions import get_region
from bot.core.risks import get_risk
from bot.redactie import advice
from bot.redactie.accounts import User
from bot.redactie.db import Database
from bot.redactie.store import SqliteTemplateStore

ZEELAND = User(1, "zeeland", "regional", "VR19")
NATIONAL = User(2, "landelijk", "national", None)
COLLEAGUE = User(3, "collega", "national", None)


@pytest.fixture
def store(tmp_path):
    db = Database(tmp_path / "t.sqlite3")
    return db, SqliteTemplateStore(db)


def storm():
    return get_risk("storm")


def test_merge_national_then_regional_override_and_addition():
    base = storm()
    national = {"title": "Zware storm", "phases": {"tijdens": {"intro": "Het stormt."}}}
    regional = {"phases": {"tijdens": {"tips": ["Eigen tip."], "extra": ["Kijk op [waarschuwingssite]."]}}}
    merged = core.merge_risk(base, national, regional, "Zeeland")
    assert merged["title"] == "Zware storm"
    assert merged["intro"] == {"tijdens": "Het stormt."}
    assert merged["tijdens"] == ["Eigen tip.", "In Zeeland:", "Kijk op [waarschuwingssite]."]
    assert merged["voor"] == base["voor"]  # untouched phases keep the default
    assert storm() == base  # the default is never changed
    # Without a regional edit every region gets the national layer.
    assert core.merge_risk(base, national, None, "Zeeland")["tijdens"] == base["tijdens"]


def test_placeholders_filled_from_region_and_slots():
    values = core.placeholder_values(get_region("VR19"), {"gemeente": "Goes"})
    assert values["regio"] == "Zeeland"
    assert values["gemeente"] == "Goes"
    assert values["frequentie"] == "87.9 FM"
    filled = core.fill_risk(
        core.merge_risk(storm(), None, {"phases": {"na": {"extra": ["[omroep] in [gemeente]"]}}}, "Zeeland"), values
    )
    assert filled["na"][-1] == "Omroep Zeeland in Goes"
    # Unknown region and slots: words that still read well.
    assert (
        core.fill_placeholders("In [regio] ([gemeente])", core.placeholder_values(None, {}))
        == "In je regio (je gemeente)"
    )


def test_channel_edit_overrides_the_region_facts():
    region = core.merge_channels(
        get_region("VR19"), {"radio_name": "Radio Zee", "fm": "90.1", "alert_site": "http://x"}
    )
    assert region is not None
    assert region["radio"]["name"] == "Radio Zee" and region["radio"]["fm"] == "90.1"
    assert region["alert_site"] == get_region("VR19")["alert_site"]  # only https is taken


def test_form_stores_only_what_differs_from_the_layer_below(store):
    _, versions = store
    under = advice.below("storm", "VR19", versions)
    tips = list(under["tijdens"])
    same, problems = advice.apply_form({}, "tijdens", {"tips": "\n".join(tips)}, under)
    assert same == {} and problems == []
    tips[2] = "Bel 112 alleen als er direct gevaar is."
    doc, problems = advice.apply_form({}, "tijdens", {"tips": "\n".join(tips), "extra": "Zie [website]."}, under)
    assert problems == []
    assert doc == {"phases": {"tijdens": {"tips": tips, "extra": ["Zie [website]."]}}}
    _, problems = advice.apply_form({}, "tijdens", {"tips": "Zie http://x.nl\n{{ 7*7 }}", "intro": "[naam]"}, under)
    assert sorted(p.code for p in problems) == ["code", "link", "placeholder"]
    _, problems = advice.apply_form({}, "tijdens", {"tips": ""}, under)
    assert [p.code for p in problems] == ["no_tips"]


def test_changes_in_words():
    under = {"title": "Storm", "tijdens": ["a", "b", "c"]}
    changed = advice.changes({}, {"phases": {"tijdens": {"tips": ["a", "B", "c", "d"]}}}, under)
    assert [(c.kind, c.number, c.before, c.after) for c in changed] == [
        ("tip_changed", 2, "b", "B"),
        ("tip_added", 4, None, "d"),
    ]
    assert [c.kind for c in advice.changes({}, {"phases": {"tijdens": {"tips": ["c", "a", "b"]}}}, under)] == ["order"]
    removed = advice.changes({"phases": {"tijdens": {"tips": ["a", "c"]}}}, None, under)
    assert [(c.kind, c.number, c.after) for c in removed] == [("tip_added", 2, "b")]  # back to the default list
    assert [c.kind for c in advice.changes({}, {"title": "Zware storm"}, under)] == ["title"]


def test_publish_history_restore_reset(store):
    db, versions = store
    live = advice.StoreAdvice(versions)
    under = advice.below("storm", "VR19", versions)
    tips = list(under["tijdens"])
    tips[0] = "Blijf in Zeeland binnen."
    doc, _ = advice.apply_form({}, "tijdens", {"tips": "\n".join(tips)}, under)
    first = advice.publish(db, versions, ZEELAND, "storm", "VR19", doc)
    assert live.risk_edits("storm", "VR19") == (None, doc)
    assert live.risk_edits("storm", "VR17") == (None, None)
    tips[0] = "Blijf binnen, ook in Zeeland."
    doc2, _ = advice.apply_form(doc, "tijdens", {"tips": "\n".join(tips)}, under)
    advice.publish(db, versions, ZEELAND, "storm", "VR19", doc2)
    entries = advice.history(versions, "storm", "VR19")
    assert [(c.kind, c.before, c.after) for c in entries[0].changes] == [
        ("tip_changed", "Blijf in Zeeland binnen.", "Blijf binnen, ook in Zeeland.")
    ]
    advice.restore(db, versions, ZEELAND, first.id)
    assert live.risk_edits("storm", "VR19")[1] == doc
    advice.reset(db, versions, ZEELAND, "storm", "VR19")
    assert live.risk_edits("storm", "VR19") == (None, None)
    assert advice.history(versions, "storm", "VR19")[0].is_reset


def test_regional_editor_keeps_to_its_own_region(store):
    db, versions = store
    with pytest.raises(PermissionError):
        advice.publish(db, versions, ZEELAND, "storm", "VR17", {})
    with pytest.raises(PermissionError):
        advice.publish(db, versions, ZEELAND, "storm", None, {})
    with pytest.raises(PermissionError):
        advice.save_channels(db, versions, ZEELAND, "VR19", {"fm": "90.1"})
    with pytest.raises(advice.AdviceError):
        advice.publish(db, versions, ZEELAND, "vulkaan", "VR19", {})


def test_four_eyes_needs_a_second_national_editor(store):
    db, versions = store
    doc = {"title": "Storm en onweer"}
    advice.save_draft(db, versions, NATIONAL, "storm", None, doc, review=True)
    pending = advice.draft(versions, "storm", None)
    assert pending is not None and pending.review and pending.author == "landelijk"
    with pytest.raises(advice.AdviceError, match="four_eyes"):
        advice.publish(db, versions, NATIONAL, "storm", None, doc)
    assert advice.StoreAdvice(versions).risk_edits("storm", None) == (None, None)
    advice.publish(db, versions, COLLEAGUE, "storm", None, doc)
    assert advice.StoreAdvice(versions).risk_edits("storm", None)[0] == doc
    assert advice.draft(versions, "storm", None) is None  # the draft is done


def test_invalid_document_is_not_restored(store):
    db, versions = store
    with db.write() as conn:
        bad = versions.save("advies:storm", "VR19", '{"phases": {"tijdens": {"tips": ["{{ 1 }}"]}}}', "x", conn=conn)
    with pytest.raises(advice.AdviceError, match="invalid"):
        advice.restore(db, versions, ZEELAND, bad.id)


class FakeEdits:
    def __init__(self, national=None, regional=None, channels=None):
        self.national, self.regional, self.channels = national, regional, channels

    def risk_edits(self, key, region):
        return self.national, self.regional if region == "VR19" else None

    def channel_edits(self, region):
        return self.channels if region == "VR19" else None


def render_storm(edits, region="VR19", slots=None):
    from bot.texts.render import Renderer
    from bot.texts.replies import Replies

    payload = {k: storm()[k] for k in ("key", "title", "voor", "tijdens", "na")}
    replies = Replies(Renderer(strict=True), advice=edits)
    return replies.render(
        "utter_risk_advice", slots=slots or {}, region=region, arguments={"risk": payload, "phase": "tijdens"}
    ).text


def test_the_chat_answer_uses_the_edits_and_the_channels():
    edits = FakeEdits(
        national={"phases": {"tijdens": {"intro": "Het stormt in [regio].\n\nLees dit goed."}}},
        regional={"phases": {"tijdens": {"extra": ["Bel de gemeente [gemeente]."]}}},
        channels={"radio_name": "Radio Zee", "fm": "90.5"},
    )
    text = render_storm(edits, slots={"gemeente": "Goes"})
    assert text.startswith("Het stormt in Zeeland.\n\nLees dit goed.")
    assert "In Zeeland:\n- Bel de gemeente Goes." in text
    assert "Je regionale omroep is Radio Zee, op 90.5 FM." in text
    assert storm()["tijdens"][0] in text  # the national tips stay
    other = render_storm(edits, region="VR17")
    assert "In Zeeland" not in other and "Radio Zee" not in other
    assert other.startswith("Het stormt in Rotterdam-Rijnmond.")  # the national layer counts everywhere
    # No edits: exactly what the template makes of data/knowledge.
    assert render_storm(None) == render_storm(FakeEdits())


def test_a_blank_line_in_the_tips_starts_a_new_bubble():
    tips = ["Eerste.", "", "Tweede."]
    text = render_storm(FakeEdits(regional={"phases": {"tijdens": {"tips": tips}}}))
    assert "- Eerste.\n\n- Tweede." in text


def test_every_text_has_a_dutch_name_and_the_list_is_searchable():
    from bot.redactie import catalog

    assert [n for n in catalog.template_names() if n not in catalog.names()["teksten"]] == []
    regional = catalog.entries(advanced=False)
    assert "Advies bij storm: tijdens" in [e.title for e in regional]
    assert "Noodpakket: vraag naar het budget" in [e.title for e in regional]
    assert all(e.kind != catalog.ADVANCED for e in regional)
    found = [e.title for e in regional if e.matches("Storm")]
    assert found == [
        "Advies bij storm: voor",
        "Advies bij storm: tijdens",
        "Advies bij storm: na",
        "Advies bij storm: titel en bronnen",
    ]
    assert [e.title for e in regional if e.matches("noodpakket budget")] == [
        "Noodpakket: vraag naar het budget",
        "Noodpakket: budget niet begrepen",
    ]


def test_a_notice_on_a_schedule_starts_and_ends_by_itself(store):
    import time

    from bot.redactie import notices

    db, _ = store
    now = time.time()
    zeeland = ZEELAND
    planned = notices.publish(
        db,
        zeeland,
        "VR19",
        "Storm morgen",
        "Blijf binnen.",
        "https://www.zeelandveilig.nl",
        now + 7200,
        starts_at=now + 3600,
    )
    assert notices.current(db, "VR19", now=now) is None
    assert notices.cached_current(db, "VR19", now=now) is None
    assert notices.current(db, "VR19", now=now + 3601).id == planned.id
    assert notices.cached_current(db, "VR19", now=now + 3601).id == planned.id  # no database change needed
    assert notices.cached_current(db, "VR19", now=now + 7201) is None
    with pytest.raises(notices.NoticeError, match="notice_start_after_end"):
        notices.publish(db, zeeland, "VR19", "Fout", "x", "https://a.nl", now + 60, starts_at=now + 120)


def test_the_list_shows_one_line_per_risk():
    from bot.redactie import catalog

    topics = dict(catalog.rows(catalog.entries(advanced=False)))
    storm_row = next(r for r in topics["Advies per risico"] if r.label == "Storm")
    assert [catalog.part_label(e) for e in storm_row.entries] == ["voor", "tijdens", "na", "titel en bronnen"]
    assert len(topics["Advies per risico"]) == 16
    assert "advies bij storm: tijdens" in storm_row.search
