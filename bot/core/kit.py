"""The noodpakket planner: a household and a budget in, a personal plan out.

Pure and deterministic. All facts, prices and words come from
data/knowledge/noodpakket.yml; this module only does the arithmetic.

How the plan is built:
- free actions first (they cost nothing);
- then items in priority order, as long as the budget lasts. Buying stops at the
  first item that does not fit; a divisible item (water, food) may be bought in
  part. Stopping instead of skipping keeps the order honest ("buy in this order")
  and guarantees that more budget never buys fewer items. The order in the data
  is water, baby needs, food, light, radio, then batteries; a battery pack
  (`for_devices`) is never bought before, or without, the devices it is for;
- a price includes its statiegeld (`deposit_eur`), so the total stays within the
  budget also with the deposit counted;
- what is left goes to `later`, in the same order, with a schedule of small
  weekly saving steps (spread.steps_eur, e.g. 5 or 10 euro a week).
Money is counted in whole cents so the total can never creep above the budget.
"""

from __future__ import annotations

import math
import urllib.parse
from dataclasses import asdict, dataclass, field, fields
from decimal import ROUND_CEILING, ROUND_DOWN, Decimal, InvalidOperation
from typing import Any, Iterable, Mapping

from bot.core.knowledge import load_yaml
from bot.core.regions import get_region, is_region_code

DATA_FILE = "noodpakket.yml"
COUNT_FIELDS = ("adults", "children", "babies", "pets")
# The one set of household limits, for the API, the chat form and the checklist:
# larger numbers are not a household.
MAX_PERSONS = 50
MAX_PETS = 50
MAX_BUDGET_EUR = 100_000
MAX_NEEDS = 10
CHECKLIST_PATH = "/noodpakket/checklist"


class PlanInputError(ValueError):
    """Input that cannot be planned for; the message is safe to show to API clients."""


@dataclass(frozen=True)
class Household:
    adults: int = 0
    children: int = 0
    babies: int = 0
    pets: int = 0

    @property
    def persons(self) -> int:
        return self.adults + self.children + self.babies

    @property
    def eaters(self) -> int:
        # Babies get baby food instead of the regular food portions.
        return self.adults + self.children

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in COUNT_FIELDS}


@dataclass(frozen=True)
class PlanRequest:
    household: Household
    budget_eur: float
    days: int = 3
    needs: tuple[str, ...] = ()
    region: str | None = None


@dataclass
class _Line:
    item: Mapping[str, Any]
    quantity: int
    unit_cents: int

    @property
    def cost_cents(self) -> int:
        return self.quantity * self.unit_cents


@dataclass(frozen=True)
class Plan:
    """A personal noodpakket plan. Templates read its fields (plan.items);
    the API sends `as_dict()`. Money in euros, already rounded to cents."""

    household: dict[str, int]
    persons: int
    days: int
    hours: int
    needs: list[str]
    needs_labels: list[str]
    region: str | None
    radio: dict[str, Any] | None
    water_liters: float
    cash_eur: int
    budget_eur: float
    total_cost_eur: float
    left_eur: float
    items: list[dict[str, Any]]  # buy now, in priority order
    later: list[dict[str, Any]]  # what the budget does not cover yet, in order
    later_cost_eur: float
    full_cost_eur: float
    free_actions: list[dict[str, str]]
    spread: dict[str, Any]
    check_every_months: int
    prices_date: str  # newest price estimate, so texts can say how old they are
    checklist_url: str
    pet_water_liters: float = 0.0  # on top of water_liters (which counts persons only, per the contract)
    extra: dict[str, Any] = field(default_factory=dict)  # unknown keys from an older sender

    def as_dict(self) -> dict[str, Any]:
        result = asdict(self)
        result.update(result.pop("extra"))
        return result

    @classmethod
    def from_dict(cls, value: Mapping[str, Any]) -> Plan:
        """Back from JSON (the plan travels from the action through Rasa to the NLG)."""
        names = {f.name for f in fields(cls)} - {"extra"}
        known = {k: v for k, v in value.items() if k in names}
        extra = {k: v for k, v in value.items() if k not in names}
        return cls(**known, extra=extra)


@dataclass(frozen=True)
class KitFacts:
    """The national noodpakket figures, for texts that explain a number."""

    days: int
    hours: int
    water_liters_per_person_per_day: float
    cash_adult_eur: int
    cash_child_eur: int
    cash_baby_eur: int
    check_every_months: int
    # The short standard list (noodpakket.yml `standard_list`), shown before the personal plan.
    standard_list: tuple[str, ...] = ()


# --- data access ---------------------------------------------------------------


def data() -> dict[str, Any]:
    facts: dict[str, Any] = load_yaml(DATA_FILE)
    return facts


def known_needs() -> list[str]:
    return list(data()["needs"].keys())


def normalise_need(value: str) -> str | None:
    """Canonical need key for a key or an API alias, else None."""
    key = value.strip().lower()
    name: str
    for name, spec in data()["needs"].items():
        if key == name or key in (spec.get("aliases") or []):
            return name
    return None


def default_days() -> int:
    return int(data()["figures"]["days_default"])


def kit_facts() -> KitFacts:
    figures, cash = data()["figures"], data()["cash"]
    return KitFacts(
        days=int(figures["days_default"]),
        hours=int(figures["days_default"]) * 24,
        water_liters_per_person_per_day=figures["water_liters_per_person_per_day"],
        cash_adult_eur=cash["adult_eur"],
        cash_child_eur=cash["child_eur"],
        cash_baby_eur=cash["baby_eur"],
        check_every_months=int(figures["check_every_months"]),
        standard_list=tuple(str(entry["text"]) for entry in data().get("standard_list") or []),
    )


# --- validation (shared by the API and the checklist page) ----------------------


def _int_field(payload: Mapping[str, Any], name: str, default: int | None = None) -> int:
    value = payload.get(name, default)
    # bool is a subclass of int in Python; true/false as a count is a client bug.
    if value is None or isinstance(value, bool) or not isinstance(value, int):
        raise PlanInputError(f"'{name}' must be a whole number (0 or more)")
    if value < 0:
        raise PlanInputError(f"'{name}' cannot be negative")
    return value


def parse_request(payload: Any) -> PlanRequest:
    """Validate a JSON-like dict into a PlanRequest, or raise PlanInputError."""
    if not isinstance(payload, Mapping):
        raise PlanInputError("body must be a JSON object")
    counts = {name: _int_field(payload, name, 0) for name in COUNT_FIELDS}
    household = Household(**counts)
    if household.persons == 0:
        raise PlanInputError("the household needs at least one person (adults, children or babies)")
    if household.persons > MAX_PERSONS:
        raise PlanInputError(f"at most {MAX_PERSONS} persons per household")
    if household.pets > MAX_PETS:
        raise PlanInputError(f"at most {MAX_PETS} pets")

    budget = payload.get("budget_eur")
    if budget is None or isinstance(budget, bool) or not isinstance(budget, (int, float)):
        raise PlanInputError("'budget_eur' must be a number (0 or more)")
    if not math.isfinite(budget) or budget < 0:
        raise PlanInputError("'budget_eur' must be a number (0 or more)")
    if budget > MAX_BUDGET_EUR:
        raise PlanInputError(f"'budget_eur' can be at most {MAX_BUDGET_EUR}")

    days = _int_field(payload, "days", default_days())
    days_max = int(data()["figures"]["days_max"])
    if not 1 <= days <= days_max:
        raise PlanInputError(f"'days' must be between 1 and {days_max}")

    raw_needs = payload.get("needs", [])
    if raw_needs is None:
        raw_needs = []
    if not isinstance(raw_needs, list) or len(raw_needs) > MAX_NEEDS:
        raise PlanInputError(f"'needs' must be a list of at most {MAX_NEEDS} strings")
    needs: list[str] = []
    for raw in raw_needs:
        key = normalise_need(raw) if isinstance(raw, str) else None
        if key is None:
            raise PlanInputError(f"unknown need; known needs: {', '.join(known_needs())}")
        if key not in needs:
            needs.append(key)

    region = payload.get("region")
    if region is not None and (not isinstance(region, str) or not is_region_code(region)):
        raise PlanInputError("'region' must be a code VR01..VR25")

    return PlanRequest(
        household=household,
        budget_eur=float(budget),
        days=days,
        needs=tuple(needs),
        region=region,
    )


# --- arithmetic -------------------------------------------------------------------


def _cents(eur: float) -> int:
    """Whole cents, rounded down: a budget of 9.999 may spend 9.99."""
    try:
        return int((Decimal(str(eur)) * 100).to_integral_value(rounding=ROUND_DOWN))
    except InvalidOperation:  # pragma: no cover - inputs are validated before
        return 0


def _price_cents(eur: float) -> int:
    return int((Decimal(str(eur)) * 100).to_integral_value())


def _unit_price_cents(item: Mapping[str, Any]) -> int:
    """What one unit costs at the till: the price plus its statiegeld, if any."""
    price = item["price"]
    return _price_cents(price["eur"]) + _price_cents(price.get("deposit_eur", 0))


def _eur(cents: int) -> float:
    return round(cents / 100, 2)


def _condition_holds(cond: str, household: Household, needs: Iterable[str], tins: bool = False) -> bool:
    if cond == "always":
        return True
    if cond == "tins":
        return tins
    if cond in ("children", "babies", "pets"):
        count: int = getattr(household, cond)
        return count > 0
    if cond.startswith("need:"):
        return cond[5:] in needs
    raise ValueError(f"unknown condition {cond!r} in {DATA_FILE}")


def _relevant(spec: Mapping[str, Any], household: Household, needs: Iterable[str], tins: bool = False) -> bool:
    needs = tuple(needs)
    return any(_condition_holds(c, household, needs, tins) for c in spec.get("when", ["always"]))


def _quantity(item: Mapping[str, Any], household: Household, days: int) -> int:
    rule = item["quantity"]
    # Baby items are only asked for when relevant; a baby need without a baby
    # (a toddler in nappies) still counts as one.
    babies = max(household.babies, 1)
    per = {
        "household": 1,
        "person": household.persons,
        "person_day": household.persons * days,
        "eater_day": household.eaters * days,
        "baby_day": babies * days,
        "pet_day": household.pets * days,
    }[rule["per"]]
    total = Decimal(str(rule["amount"])) * per
    if rule.get("pet_amount"):
        total += Decimal(str(rule["pet_amount"])) * household.pets * days
    pack = Decimal(str(rule.get("pack", 1)))
    return int((total / pack).to_integral_value(rounding=ROUND_CEILING))


def _unit_label(item: Mapping[str, Any], quantity: int) -> str:
    label: str = item["unit"] if quantity == 1 else item.get("unit_plural", item["unit"])
    return label


def _line_dict(line: _Line) -> dict[str, Any]:
    item = line.item
    return {
        "id": item["id"],
        "name": item["name"],
        "quantity": line.quantity,
        "unit": _unit_label(item, line.quantity),
        "cost_eur": _eur(line.cost_cents),
        "priority": item["priority"],
        "reason": item["reason"],
    }


def _shopping_list(request: PlanRequest) -> list[_Line]:
    """Everything this household needs, in priority order."""
    items = sorted(data()["items"], key=lambda i: (i["priority"], i["id"]))
    lines: list[_Line] = []
    for item in items:
        # `tins`: a food item already on this list comes in tins (so: a can opener).
        tins = any(line.item.get("tins") for line in lines)
        if not _relevant(item, request.household, request.needs, tins):
            continue
        quantity = _quantity(item, request.household, request.days)
        if quantity > 0:
            lines.append(_Line(item, quantity, _unit_price_cents(item)))
    listed = [line.item["id"] for line in lines]
    for index, line in enumerate(lines):
        for device in line.item.get("for_devices") or []:
            if device in listed and listed.index(device) > index:
                raise ValueError(f"{DATA_FILE}: {line.item['id']} comes before its device {device}")
    return lines


def _devices_bought(line: _Line, now: list[_Line], lines: list[_Line]) -> bool:
    """Batteries only once every device on this list that uses them is bought in full."""
    wanted = {other.item["id"]: other.quantity for other in lines}
    bought = {other.item["id"]: other.quantity for other in now}
    return all(bought.get(d, 0) >= wanted[d] for d in line.item.get("for_devices") or [] if d in wanted)


def _split_by_budget(lines: list[_Line], budget_cents: int) -> tuple[list[_Line], list[_Line]]:
    """Buy in order until the first line that does not fit; see the module docstring."""
    now: list[_Line] = []
    later: list[_Line] = []
    left = budget_cents
    for index, line in enumerate(lines):
        if line.cost_cents <= left and _devices_bought(line, now, lines):
            now.append(line)
            left -= line.cost_cents
            continue
        affordable = left // line.unit_cents if line.item.get("divisible") and line.unit_cents else 0
        if affordable > 0:
            now.append(_Line(line.item, affordable, line.unit_cents))
            later.append(_Line(line.item, line.quantity - affordable, line.unit_cents))
        else:
            later.append(line)
        later.extend(lines[index + 1 :])
        break
    return now, later


def _weeks(cost_cents: int, weekly_cents: int) -> int:
    return -(-cost_cents // weekly_cents)  # ceiling division


def _schedule(later: list[_Line], weekly_cents: int) -> list[dict[str, Any]]:
    """Save a fixed amount each week; buy each item in the week the savings cover it."""
    weeks: dict[int, list[_Line]] = {}
    saved_needed = 0
    for line in later:
        saved_needed += line.cost_cents
        week = _weeks(saved_needed, weekly_cents)
        weeks.setdefault(week, []).append(line)
    return [
        {
            "week": week,
            "items": [line.item["id"] for line in group],
            "names": [line.item["name"] for line in group],
            "cost_eur": _eur(sum(line.cost_cents for line in group)),
        }
        for week, group in sorted(weeks.items())
    ]


def _radio_info(region: str | None) -> dict[str, Any] | None:
    """The region's calamiteitenzender, when we know its name."""
    info = get_region(region) if region else None
    radio = info.get("radio") if info else None
    if isinstance(radio, dict) and radio.get("name"):
        return {"name": str(radio["name"]), "fm": str(radio["fm"]) if radio.get("fm") else None}
    return None


def _free_actions(request: PlanRequest, radio: dict[str, Any] | None) -> list[dict[str, str]]:
    actions = []
    for spec in data()["free_actions"]:
        if not _relevant(spec, request.household, request.needs):
            continue
        template = spec["text"]
        values: dict[str, Any] = {"days": request.days}
        if spec["id"] == "radio_frequentie" and radio:
            template = spec["text_region"] if radio.get("fm") else spec["text_region_no_fm"]
            values.update(radio)
        actions.append({"id": spec["id"], "text": template.format_map(values)})
    return actions


def _pet_water_liters(household: Household, days: int) -> float:
    """Water for pets, as counted in the water item (quantity.pet_amount)."""
    water = next((item for item in data()["items"] if item["id"] == "water"), None)
    per_pet_day = (water or {}).get("quantity", {}).get("pet_amount", 0)
    return float(Decimal(str(per_pet_day)) * household.pets * days)


def _cash_eur(household: Household) -> int:
    cash: dict[str, int] = data()["cash"]
    return (
        household.adults * cash["adult_eur"]
        + household.children * cash["child_eur"]
        + household.babies * cash["baby_eur"]
    )


def checklist_query(request: PlanRequest) -> str:
    """The household form-encoded, for the checklist URL's fragment (never sent to a server)."""
    params: list[tuple[str, str]] = [(name, str(getattr(request.household, name))) for name in COUNT_FIELDS]
    budget = f"{request.budget_eur:.2f}".rstrip("0").rstrip(".")
    params.append(("budget_eur", budget))
    params.append(("days", str(request.days)))
    params.extend(("needs", need) for need in request.needs)
    if request.region:
        params.append(("region", request.region))
    return urllib.parse.urlencode(params)


def checklist_url(request: PlanRequest) -> str:
    # After "#", not "?": no proxy or server log sees the household (issue 18).
    return f"{CHECKLIST_PATH}#{checklist_query(request)}"


def make_plan(request: PlanRequest) -> Plan:
    """The whole plan (the API response minus `text` is `plan.as_dict()`)."""
    household = request.household
    days = request.days
    rules = data()["figures"]
    budget_cents = _cents(request.budget_eur)

    lines = _shopping_list(request)
    now, later = _split_by_budget(lines, budget_cents)
    total_cents = sum(line.cost_cents for line in now)
    later_cents = sum(line.cost_cents for line in later)

    spread_rules = data()["spread"]
    min_weekly = _cents(spread_rules["min_weekly_eur"])
    # A small weekly step (issue 17): not the whole budget again, which is unrealistic
    # for low incomes. The first step drives the schedule; every step says its weeks.
    steps = sorted({max(_cents(eur), min_weekly) for eur in spread_rules.get("steps_eur") or [0]})
    weekly_cents = steps[0]
    schedule = _schedule(later, weekly_cents) if later else []
    radio = _radio_info(request.region)

    return Plan(
        household=household.as_dict(),
        persons=household.persons,
        days=days,
        hours=days * 24,
        needs=list(request.needs),
        needs_labels=[data()["needs"][n]["label"] for n in request.needs],
        region=request.region,
        radio=radio,
        water_liters=rules["water_liters_per_person_per_day"] * household.persons * days,
        cash_eur=_cash_eur(household),
        budget_eur=request.budget_eur,
        total_cost_eur=_eur(total_cents),
        left_eur=_eur(budget_cents - total_cents),
        items=[_line_dict(line) for line in now],
        later=[_line_dict(line) for line in later],
        later_cost_eur=_eur(later_cents),
        full_cost_eur=_eur(total_cents + later_cents),
        free_actions=_free_actions(request, radio),
        spread={
            "weekly_eur": _eur(weekly_cents),
            "weeks": schedule[-1]["week"] if schedule else 0,
            "schedule": schedule,
            "steps": [
                {"weekly_eur": _eur(step), "weeks": _weeks(later_cents, step) if later_cents else 0} for step in steps
            ],
        },
        check_every_months=rules["check_every_months"],
        prices_date=max(str(item["price"]["date"]) for item in data()["items"]),
        checklist_url=checklist_url(request),
        pet_water_liters=_pet_water_liters(household, days),
    )


def plan_for(
    adults: int = 0,
    children: int = 0,
    babies: int = 0,
    pets: int = 0,
    budget_eur: float = 0,
    days: int | None = None,
    needs: Iterable[str] = (),
    region: str | None = None,
) -> Plan:
    """Convenience wrapper with the same validation as the API."""
    payload: dict[str, Any] = {
        "adults": adults,
        "children": children,
        "babies": babies,
        "pets": pets,
        "budget_eur": budget_eur,
        "needs": list(needs),
    }
    if days is not None:
        payload["days"] = days
    if region is not None:
        payload["region"] = region
    return make_plan(parse_request(payload))
