"""The noodpakket planner (bot/core/kit.py): properties over random households and budgets,
plus concrete cases for babies, pets, medication and large households."""

from __future__ import annotations

import math
import urllib.parse

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import kit
from bot.core.knowledge import load_yaml

DATA = load_yaml("noodpakket.yml")
ITEM_BY_ID = {item["id"]: item for item in DATA["items"]}

households = st.fixed_dictionaries(
    {
        "adults": st.integers(0, 20),
        "children": st.integers(0, 15),
        "babies": st.integers(0, 5),
        "pets": st.integers(0, 6),
    }
).filter(lambda h: 0 < h["adults"] + h["children"] + h["babies"] <= kit.MAX_PERSONS)
budgets = st.one_of(
    st.integers(0, 500).map(float),
    st.floats(0, 2000, allow_nan=False, allow_infinity=False).map(lambda b: round(b, 2)),
)
needs_lists = st.lists(st.sampled_from(sorted(DATA["needs"])), unique=True, max_size=4)
days_values = st.integers(1, 30)


def plan(household, budget, days=3, needs=()):
    return kit.plan_for(**household, budget_eur=budget, days=days, needs=needs).as_dict()


def cents(value: float) -> int:
    return round(value * 100)


# --- properties ---------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(households, budgets, days_values, needs_lists)
def test_total_never_exceeds_budget(household, budget, days, needs):
    result = plan(household, budget, days, needs)
    assert cents(result["total_cost_eur"]) <= cents(budget) + 0  # exact, in cents
    assert result["total_cost_eur"] <= budget
    assert cents(result["total_cost_eur"]) == sum(cents(i["cost_eur"]) for i in result["items"])


@settings(max_examples=200, deadline=None)
@given(households, budgets, days_values)
def test_water_is_three_litres_per_person_per_day(household, budget, days):
    result = plan(household, budget, days)
    persons = household["adults"] + household["children"] + household["babies"]
    assert result["persons"] == persons
    assert result["water_liters"] == 3 * persons * days
    # The bottles bought now and later together hold at least that much water.
    bottles = sum(i["quantity"] for i in result["items"] + result["later"] if i["id"] == "water")
    # Pets drink too (issue 17): about 0.5 l per pet per day, counted apart from the contract figure.
    assert result["pet_water_liters"] == pytest.approx(0.5 * household["pets"] * days)
    needed = result["water_liters"] + result["pet_water_liters"]
    assert bottles * 1.5 >= needed
    assert (bottles - 1) * 1.5 < needed


@settings(max_examples=300, deadline=None)
@given(households, budgets, budgets, days_values, needs_lists)
def test_more_budget_never_buys_fewer_items(household, budget_a, budget_b, days, needs):
    low, high = sorted((budget_a, budget_b))
    plan_low = plan(household, low, days, needs)
    plan_high = plan(household, high, days, needs)
    assert len(plan_high["items"]) >= len(plan_low["items"])
    assert plan_high["total_cost_eur"] >= plan_low["total_cost_eur"]
    bought_low = {i["id"]: i["quantity"] for i in plan_low["items"]}
    bought_high = {i["id"]: i["quantity"] for i in plan_high["items"]}
    for item_id, quantity in bought_low.items():
        assert bought_high.get(item_id, 0) >= quantity


@settings(max_examples=150, deadline=None)
@given(households, days_values, needs_lists)
def test_budget_zero_buys_nothing_but_gives_free_actions(household, days, needs):
    result = plan(household, 0, days, needs)
    assert result["items"] == []
    assert result["total_cost_eur"] == 0
    assert len(result["free_actions"]) >= 3
    assert result["later"], "everything is still to buy"


@settings(max_examples=100, deadline=None)
@given(households, budgets, days_values, needs_lists)
def test_plan_is_deterministic(household, budget, days, needs):
    assert plan(household, budget, days, needs) == plan(household, budget, days, needs)


@settings(max_examples=200, deadline=None)
@given(households, budgets, days_values, needs_lists)
def test_now_plus_later_is_the_whole_list_in_priority_order(household, budget, days, needs):
    result = plan(household, budget, days, needs)
    together = result["items"] + result["later"]
    priorities = [i["priority"] for i in together]
    assert priorities == sorted(priorities)
    # At most one item is split between now and later (the one the budget ran out on).
    ids_now = {i["id"] for i in result["items"]}
    ids_later = [i["id"] for i in result["later"]]
    assert len(ids_now & set(ids_later)) <= 1
    assert len(ids_later) == len(set(ids_later))
    assert math.isclose(result["full_cost_eur"], result["total_cost_eur"] + result["later_cost_eur"], abs_tol=0.001)


@settings(max_examples=150, deadline=None)
@given(households, budgets, needs_lists)
def test_schedule_buys_every_later_item_once_within_the_weekly_amount(household, budget, needs):
    result = plan(household, budget, 3, needs)
    spread = result["spread"]
    scheduled = [item_id for week in spread["schedule"] for item_id in week["items"]]
    assert scheduled == [i["id"] for i in result["later"]]
    weekly = spread["weekly_eur"]
    assert weekly >= DATA["spread"]["min_weekly_eur"]
    spent = 0.0
    for week in spread["schedule"]:
        spent += week["cost_eur"]
        assert spent <= weekly * week["week"] + 0.001  # never buys before the savings cover it
    if result["later"]:
        assert spread["weeks"] == spread["schedule"][-1]["week"]
    else:
        assert spread["weeks"] == 0


def test_every_item_has_dated_estimated_price_reason_and_source():
    for item in DATA["items"]:
        price = item["price"]
        assert price["eur"] > 0, item["id"]
        assert price["estimate"] is True, item["id"]
        assert str(price["date"]).startswith("20"), item["id"]
        assert len(price["rationale"]) > 20, item["id"]
        assert item["reason"].strip(), item["id"]
        assert item["sources"] and all(s["url"].startswith("https://") and s["checked"] for s in item["sources"])
    for action in DATA["free_actions"]:
        assert action["sources"], action["id"]


# --- issue 17: the buying order, statiegeld, the can opener, small weekly steps -------

FOOD_FOR_PEOPLE = "voedsel"
BATTERY_ITEMS = {item["id"]: item["for_devices"] for item in DATA["items"] if item.get("for_devices")}


def _ids(items):
    return [i["id"] for i in items]


@settings(max_examples=400, deadline=None)
@given(households, budgets, days_values, needs_lists)
def test_order_water_first_food_before_batteries_devices_before_batteries(household, budget, days, needs):
    result = plan(household, budget, days, needs)
    now, together = _ids(result["items"]), _ids(result["items"] + result["later"])
    # The total never exceeds the budget, with the statiegeld counted in.
    assert cents(result["total_cost_eur"]) <= cents(budget)
    assert together[0] == "water"
    for battery, devices in BATTERY_ITEMS.items():
        if battery in together:
            # Food for the people comes before batteries, in the whole list ...
            # (a household of only babies gets baby food instead of food for people).
            if FOOD_FOR_PEOPLE in together:
                assert together.index(FOOD_FOR_PEOPLE) < together.index(battery)
            # ... and no household gets batteries before a device that uses them.
            for device in devices:
                if device in together:
                    assert together.index(device) < together.index(battery)
        if battery in now:
            # Batteries bought now: all the food and every device is bought in full now.
            assert FOOD_FOR_PEOPLE not in _ids(result["later"])
            for device in devices:
                assert device in now and device not in _ids(result["later"]), device
    # Baby needs come right after water, then food for the people, then light and radio.
    order = [
        i for i in ("water", "babyvoeding", "luiers", "voedsel", "zaklamp", "radio", "batterijen") if i in together
    ]
    assert order == sorted(order, key=together.index)


@settings(max_examples=200, deadline=None)
@given(households, budgets, days_values, needs_lists)
def test_prices_include_statiegeld_and_a_can_opener_comes_with_tins(household, budget, days, needs):
    result = plan(household, budget, days, needs)
    deposit = ITEM_BY_ID["water"]["price"]["deposit_eur"]
    for item in result["items"] + result["later"]:
        if item["id"] == "water":
            unit = ITEM_BY_ID["water"]["price"]["eur"] + deposit
            assert cents(item["cost_eur"]) == round(item["quantity"] * unit * 100)
    together = _ids(result["items"] + result["later"])
    assert ("blikopener" in together) == ("voedsel" in together and ITEM_BY_ID["voedsel"].get("tins") is True)
    if "blikopener" in together:
        assert together.index("voedsel") < together.index("blikopener")


@settings(max_examples=150, deadline=None)
@given(households, budgets, needs_lists)
def test_small_weekly_steps_say_how_many_weeks(household, budget, needs):
    result = plan(household, budget, 3, needs)
    steps = result["spread"]["steps"]
    assert [s["weekly_eur"] for s in steps] == [5.0, 10.0]
    assert result["spread"]["weekly_eur"] == 5.0  # never the whole budget again
    for step in steps:
        expected = math.ceil(cents(result["later_cost_eur"]) / cents(step["weekly_eur"])) if result["later"] else 0
        assert step["weeks"] == expected
    assert steps[0]["weeks"] == result["spread"]["weeks"]


def test_statiegeld_is_in_the_data_with_its_source():
    water = ITEM_BY_ID["water"]
    assert water["price"]["deposit_eur"] == 0.25
    assert "statiegeld" in water["reason"]
    assert any("statiegeld" in s["url"] for s in water["sources"])


def test_tap_water_in_clean_bottles_is_a_free_action():
    free = {a["id"]: a for a in DATA["free_actions"]}
    tap = free["kraanwater"]
    assert "kraanwater" in tap["text"] and "schone flessen" in tap["text"] and "2 tot 3 dagen" in tap["text"]
    assert any("brabantwater.nl" in s["url"] for s in tap["sources"])
    assert tap.get("unverified"), "Brabant Water's own interval is not in shared/facts: say so"
    result = plan({"adults": 1, "children": 0, "babies": 0, "pets": 0}, 0)
    assert "kraanwater" in {a["id"] for a in result["free_actions"]}


def test_standard_list_covers_the_campaign_basics():
    texts = " ".join(kit.kit_facts().standard_list).lower()
    for word in ("water", "eten", "radio", "zaklamp", "batterijen", "ehbo", "contant", "id"):
        assert word in texts, word
    assert DATA["standard_list_sources"]


def test_family_with_baby_and_dog_on_fifty_euro_gets_food_before_light():
    # The example of issue 17: before, EUR 50 bought water, baby food, nappies, dog food,
    # two torches and no food for the people.
    result = plan({"adults": 2, "children": 2, "babies": 1, "pets": 1}, 50)
    now = _ids(result["items"])
    assert now[:4] == ["water", "babyvoeding", "luiers", "voedsel"]
    assert "batterijen" not in now and "zaklamp" not in now
    assert result["total_cost_eur"] <= 50
    water = result["items"][0]
    assert water["quantity"] == 31  # (5 x 3 x 3 l + 1 dog x 3 x 0.5 l) / 1.5 l
    assert water["cost_eur"] == pytest.approx(31 * 0.70)
    assert result["spread"]["steps"] == [
        {"weekly_eur": 5.0, "weeks": math.ceil(result["later_cost_eur"] / 5)},
        {"weekly_eur": 10.0, "weeks": math.ceil(result["later_cost_eur"] / 10)},
    ]


def test_batteries_never_in_a_plan_before_their_devices(monkeypatch):
    broken = dict(DATA)
    items = [dict(i) for i in DATA["items"]]
    for item in items:
        if item["id"] == "batterijen":
            item["priority"] = 0  # before the torch and the radio
    broken["items"] = items
    monkeypatch.setattr(kit, "data", lambda: broken)
    with pytest.raises(ValueError, match="before its device"):
        kit.plan_for(adults=1, budget_eur=100)


# --- concrete households ------------------------------------------------------------


def test_two_adults_two_children_fifty_euro():
    result = plan({"adults": 2, "children": 2, "babies": 0, "pets": 0}, 50)
    assert result["water_liters"] == 36
    assert result["cash_eur"] == 2 * 70 + 2 * 30
    assert 0 < result["total_cost_eur"] <= 50
    assert result["items"][0]["id"] == "water"
    # Water costs bottles x estimated bottle price, taken from the data file.
    water = result["items"][0]
    assert water["quantity"] == 24
    price = ITEM_BY_ID["water"]["price"]
    assert water["cost_eur"] == pytest.approx(24 * (price["eur"] + price.get("deposit_eur", 0)))
    assert all(i["reason"] for i in result["items"])


def test_cash_is_not_spent_from_budget_and_babies_count_as_children():
    result = plan({"adults": 1, "children": 1, "babies": 1, "pets": 0}, 1000)
    assert result["cash_eur"] == 70 + 30 + 30
    assert result["total_cost_eur"] == result["full_cost_eur"]  # cash is not a purchase
    assert "cash" not in {i["id"] for i in result["items"]}


def test_baby_items_only_with_a_baby_or_need():
    without = plan({"adults": 2, "children": 1, "babies": 0, "pets": 0}, 1000)
    ids = {i["id"] for i in without["items"]}
    assert not ids & {"babyvoeding", "luiers"}

    with_baby = plan({"adults": 2, "children": 0, "babies": 2, "pets": 0}, 1000)
    by_id = {i["id"]: i for i in with_baby["items"]}
    assert by_id["babyvoeding"]["quantity"] == 2 * 3
    assert by_id["luiers"]["quantity"] >= 1
    assert with_baby["items"][1]["id"] == "babyvoeding"  # right after water

    toddler = plan({"adults": 1, "children": 1, "babies": 0, "pets": 0}, 1000, needs=["luiers"])
    assert "luiers" in {i["id"] for i in toddler["items"]}
    assert "babyvoeding" not in {i["id"] for i in toddler["items"]}


def test_pet_items_only_with_pets():
    assert "dierenvoer" not in {
        i["id"] for i in plan({"adults": 1, "children": 0, "babies": 0, "pets": 0}, 500)["items"]
    }
    with_pets = plan({"adults": 1, "children": 0, "babies": 0, "pets": 2}, 500, days=4)
    food = {i["id"]: i for i in with_pets["items"]}["dierenvoer"]
    assert food["quantity"] == 2 * 4
    # Pets drink too, but the contract's water_liters counts persons only.
    assert with_pets["water_liters"] == 3 * 1 * 4


def test_medication_only_when_named():
    base = {"adults": 1, "children": 0, "babies": 0, "pets": 0}
    plain = plan(base, 500)
    assert "pillendoos" not in {i["id"] for i in plain["items"]}
    assert not any(a["id"].startswith("medicijnen") for a in plain["free_actions"])
    medic = plan(base, 500, needs=["medicijnen"])
    assert "pillendoos" in {i["id"] for i in medic["items"]}
    texts = {a["id"]: a["text"] for a in medic["free_actions"]}
    assert "medicijnen_voorraad" in texts and "3" in texts["medicijnen_voorraad"]


def test_needs_aliases_are_accepted():
    result = plan({"adults": 1, "children": 0, "babies": 0, "pets": 0}, 500, needs=["medication", "hearing"])
    assert result["needs"] == ["medicijnen", "gehoor"]
    assert "gehoorbatterijen" in {i["id"] for i in result["items"]}


def test_large_household_scales_quantities():
    small = plan({"adults": 2, "children": 0, "babies": 0, "pets": 0}, 5000)
    large = plan({"adults": 2, "children": 5, "babies": 1, "pets": 1}, 5000)
    assert large["persons"] == 8
    assert large["water_liters"] == 72
    assert large["cash_eur"] == 2 * 70 + 6 * 30
    by_id = {i["id"]: i for i in large["items"]}
    assert by_id["water"]["quantity"] == 49  # 72 l for people + 1.5 l for the pet, in 1.5 l bottles
    assert by_id["voedsel"]["quantity"] == 7 * 3  # the baby gets baby food instead
    assert by_id["zaklamp"]["quantity"] == 2  # one lamp per 4 people
    assert large["later"] == []
    assert large["total_cost_eur"] > small["total_cost_eur"]


def test_small_budget_buys_part_of_the_water_first():
    result = plan({"adults": 6, "children": 0, "babies": 0, "pets": 0}, 5)
    assert [i["id"] for i in result["items"]] == ["water"]
    bought = result["items"][0]["quantity"]
    assert 0 < bought < 36
    assert result["later"][0]["id"] == "water"
    assert result["later"][0]["quantity"] == 36 - bought


def test_budget_covers_everything():
    result = plan({"adults": 1, "children": 0, "babies": 0, "pets": 0}, 100000)
    assert result["later"] == []
    assert result["spread"]["schedule"] == []
    assert result["left_eur"] == pytest.approx(100000 - result["total_cost_eur"])


def test_radio_frequency_from_region(monkeypatch):
    monkeypatch.setattr(kit, "get_region", lambda code: {"code": code, "radio": {"name": "Omroep Test", "fm": "93.1"}})
    result = kit.plan_for(adults=1, budget_eur=0, region="VR09").as_dict()
    radio_action = {a["id"]: a["text"] for a in result["free_actions"]}["radio_frequentie"]
    assert "Omroep Test" in radio_action and "93.1" in radio_action
    assert result["radio"] == {"name": "Omroep Test", "fm": "93.1"}


@pytest.mark.parametrize(
    "region_info",
    [
        lambda code: None,
        lambda code: {"code": code},
    ],
)
def test_radio_falls_back_when_region_unknown(monkeypatch, region_info):
    monkeypatch.setattr(kit, "get_region", region_info)
    result = kit.plan_for(adults=1, budget_eur=0, region="VR09").as_dict()
    text = {a["id"]: a["text"] for a in result["free_actions"]}["radio_frequentie"]
    assert "denkvooruit.nl/radio" in text
    assert result["radio"] is None


def test_a_broken_regions_module_is_not_hidden(monkeypatch):
    # No optional-import seam: a fault in the region data must fail loudly, not
    # quietly drop the radio from every plan.
    def broken(code):
        raise RuntimeError("regions broken")

    monkeypatch.setattr(kit, "get_region", broken)
    with pytest.raises(RuntimeError, match="regions broken"):
        kit.plan_for(adults=1, budget_eur=0, region="VR09")


def test_radio_without_frequency(monkeypatch):
    monkeypatch.setattr(kit, "get_region", lambda code: {"radio": {"name": "RTV Noord", "fm": None}})
    text = {a["id"]: a["text"] for a in kit.plan_for(adults=1, budget_eur=0, region="VR01").as_dict()["free_actions"]}[
        "radio_frequentie"
    ]
    assert "RTV Noord" in text and "denkvooruit.nl/radio" in text and "None" not in text


def test_checklist_url_round_trips_the_household():
    result = kit.plan_for(
        adults=2, children=1, babies=1, pets=3, budget_eur=12.5, days=4, needs=["medicijnen", "zicht"]
    ).as_dict()
    # The household is in the fragment, which browsers never send to a server (issue 18).
    path, _, query = result["checklist_url"].partition("#")
    assert path == "/noodpakket/checklist" and "?" not in result["checklist_url"]
    params = urllib.parse.parse_qs(query)
    assert params["adults"] == ["2"] and params["babies"] == ["1"] and params["pets"] == ["3"]
    assert params["budget_eur"] == ["12.5"] and params["days"] == ["4"]
    assert params["needs"] == ["medicijnen", "zicht"]


# --- validation ---------------------------------------------------------------------

GOOD = {"adults": 2, "children": 2, "babies": 0, "pets": 0, "budget_eur": 50}


@pytest.mark.parametrize(
    "change",
    [
        {"adults": 0, "children": 0, "babies": 0},
        {"adults": -1},
        {"children": -2},
        {"budget_eur": -1},
        {"adults": True},
        {"budget_eur": False},
        {"adults": 2.5},
        {"adults": "2"},
        {"budget_eur": "50"},
        {"budget_eur": float("nan")},
        {"budget_eur": float("inf")},
        {"budget_eur": 100001},
        {"adults": 51},
        {"adults": 30, "children": 21},
        {"pets": 51},
        {"days": 0},
        {"days": 31},
        {"days": True},
        {"needs": ["vliegen"]},
        {"needs": "medicijnen"},
        {"needs": [1]},
        {"needs": ["medicijnen"] * 11},
        {"region": "VR26"},
        {"region": "vr09"},
        {"region": 9},
    ],
)
def test_bad_input_is_rejected(change):
    with pytest.raises(kit.PlanInputError):
        kit.parse_request({**GOOD, **change})


@pytest.mark.parametrize("payload", [None, [], "x", 5])
def test_non_object_is_rejected(payload):
    with pytest.raises(kit.PlanInputError):
        kit.parse_request(payload)


def test_defaults():
    request = kit.parse_request({"adults": 1, "budget_eur": 0})
    assert request.days == 3
    assert request.household == kit.Household(adults=1)
    assert request.needs == ()


def test_radio_from_the_real_regions_module():
    from bot.core.regions import get_region

    for code in ("VR09", "VR19", "VR01"):
        radio = (get_region(code) or {}).get("radio")
        assert radio and radio.get("name"), f"regions data lost the radio for {code}"
        text = {a["id"]: a["text"] for a in kit.plan_for(adults=1, budget_eur=0, region=code).as_dict()["free_actions"]}
        assert radio["name"] in text["radio_frequentie"]
        if radio.get("fm"):
            assert radio["fm"] in text["radio_frequentie"]
        else:
            assert "denkvooruit.nl/radio" in text["radio_frequentie"]


@settings(max_examples=150, deadline=None)
@given(households, budgets, days_values, needs_lists)
def test_plan_text_fits_chat_bubbles(household, budget, days, needs):
    from bot.redactie.validate import MAX_BUBBLE
    from bot.texts.context import template_context
    from bot.texts.render import Renderer, split_bubbles

    result = plan(household, budget, days, needs)
    text = Renderer(strict=True).render("utter_kit_plan", template_context({}, None, {"plan": result})).text
    bubbles = split_bubbles(text)
    assert all(len(bubble) <= MAX_BUBBLE for bubble in bubbles), max(map(len, bubbles))
    assert f"{result['water_liters']} liter water" in text
    assert result["checklist_url"] in text
