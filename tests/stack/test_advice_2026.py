"""Issue 17 through the real stack: a question about the police number gets 0900-8844
and when to call 112, without the emergency script (intent ask_emergency_numbers and
utter_emergency_numbers.j2 come from issue 14)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("question", ["wat is het nummer van de politie", "Wat is het nummer van de politie?"])
def test_police_number_gets_0900_8844_without_the_emergency_script(chat, question):
    messages = chat().say(question)
    text = "\n".join(m["text"] for m in messages)
    assert "0900-8844" in text, text
    assert "112" in text, "say when 112 is the number to call"
    # Not the emergency script: its first line starts with "Bel 112".
    assert not messages[0]["text"].lstrip().startswith("Bel 112"), text
    assert "direct gevaar is. Doe dat nu meteen" not in text
