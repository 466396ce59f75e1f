"""The noodpakket conversation through the real stack (gateway, Rasa, actions, NLG).

tests/test_actions_kit.py checks the validation offline; here Rasa decides
when the form starts, asks, steps aside and ends.
"""

from __future__ import annotations

HOUSEHOLD_QUESTION = "met wie woon je"
BUDGET_QUESTION = "hoeveel geld"
NEEDS_QUESTION = "extra nodig"
SORRY = ("begreep ik niet", "niet goed laten zien")
STANDARD_LIST = "dit hoort in elk noodpakket"
PLAN_BUTTON = "/start_kit_plan"


def asks(reply: str, question: str) -> bool:
    return question in reply.lower() and not any(word in reply.lower() for word in SORRY)


def shows_standard_list(messages: list[dict]) -> bool:
    """Issue 17: a noodpakket question first gets the standard list, with a button for a plan."""
    text = "\n".join(m["text"] for m in messages).lower()
    buttons = [b["payload"] for m in messages for b in m.get("buttons") or []]
    return STANDARD_LIST in text and PLAN_BUTTON in buttons and HOUSEHOLD_QUESTION not in text


def test_plan_step_by_step(chat):
    resident = chat()
    assert shows_standard_list(resident.say("ik wil een noodpakket maken"))
    assert asks(resident.say_text(PLAN_BUTTON), HOUSEHOLD_QUESTION)
    assert asks(resident.say_text("we zijn met 2 volwassenen en 2 kinderen"), BUDGET_QUESTION)
    assert asks(resident.say_text("50 euro"), NEEDS_QUESTION)
    plan = resident.say_text("nee")
    assert "plan voor 4 personen" in plan and "ongeveer" in plan, plan


def test_a_new_request_after_a_plan_starts_fresh(chat):
    resident = chat()
    assert shows_standard_list(resident.say("ik wil een noodpakket voor 2 volwassenen en een hond, 100 euro"))
    # The button keeps what the question already said: only the needs are asked.
    assert asks(resident.say_text(PLAN_BUTTON), NEEDS_QUESTION)
    plan = resident.say_text("nee")
    assert "plan voor 2 personen en 1 huisdier" in plan, plan
    # The earlier answers are gone: the first question again, then the budget is asked again too.
    assert shows_standard_list(resident.say("ik wil een nieuw noodpakket"))
    assert asks(resident.say_text(PLAN_BUTTON), HOUSEHOLD_QUESTION)
    assert asks(resident.say_text("ik woon alleen"), BUDGET_QUESTION)
    assert asks(resident.say_text("10 euro"), NEEDS_QUESTION)
    plan = resident.say_text("nee")
    assert "plan voor 1 persoon" in plan and "huisdier" not in plan.split("\n")[0], plan


def test_a_noodpakket_request_while_the_form_asks_starts_over(chat):
    resident = chat()
    resident.say_text("noodpakket")
    assert asks(resident.say_text("3 volwassenen"), BUDGET_QUESTION)
    assert asks(resident.say_text("25 euro"), NEEDS_QUESTION)
    # Mid-form, the same request is neither "not understood" nor a fallback loop.
    reply = resident.say_text("ik wil een noodpakket")
    assert asks(reply, HOUSEHOLD_QUESTION), reply
    assert asks(resident.say_text("2 volwassenen"), BUDGET_QUESTION)


def test_a_question_inside_the_form_is_answered_and_the_form_continues(chat):
    resident = chat()
    resident.say_text("noodpakket")
    resident.say_text("ik woon alleen")
    reply = resident.say_text("bedankt")
    assert "graag gedaan" in reply.lower() and asks(reply, BUDGET_QUESTION), reply


def test_a_risk_question_inside_the_form_gets_advice_and_the_form_continues(chat):
    resident = chat()
    resident.say_text("noodpakket")
    assert asks(resident.say_text("2 volwassenen"), BUDGET_QUESTION)
    reply = resident.say_text("wat moet ik doen bij storm")
    assert "storm" in reply.lower() and asks(reply, BUDGET_QUESTION), reply
    assert asks(resident.say_text("30 euro"), NEEDS_QUESTION)


def test_what_goes_in_a_noodpakket_gets_the_list_then_typing_the_household_starts_the_plan(chat):
    resident = chat()
    messages = resident.say("wat moet er in een noodpakket?")
    assert shows_standard_list(messages), messages
    text = "\n".join(m["text"] for m in messages).lower()
    for word in ("water", "radio", "zaklamp", "batterijen", "ehbo", "contant geld"):
        assert word in text, word
    # Without the button: typing the household starts the plan too.
    assert asks(resident.say_text("2 volwassenen en een baby"), BUDGET_QUESTION)


def test_yes_to_the_offer_under_the_list_starts_the_plan(chat):
    resident = chat()
    assert shows_standard_list(resident.say("wat moet er in een noodpakket?"))
    assert asks(resident.say_text("ja graag"), HOUSEHOLD_QUESTION)
    assert asks(resident.say_text("ik woon alleen"), BUDGET_QUESTION)
