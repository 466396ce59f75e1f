"""De-identification worker (issue 19): runs in .venv-deidentify, never in the bot's venv.

deduce needs a newer `regex` than Rasa 3.6 allows, so it lives in its own venv and the
gateway talks to this process (bot/ops/deidentify.py) in JSON lines over stdin/stdout:

    in:  {"text": "..."}          out: {"text": "..."}  (or {"error": "..."})

The first line out is {"ready": true}, once deduce's lookup tables are loaded. Besides
deduce (names, places, dates, ages, phone numbers, e-mail, URLs) every remaining digit,
e-mail address and postcode goes too. Standalone on purpose: it imports nothing from bot/.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

# Postcode (1234 AB) before numbers, so it becomes one tag, not "[GETAL] AB".
POSTCODE = re.compile(r"\b[1-9][0-9]{3}\s?(?!SA|SD|SS)[A-Za-z]{2}\b")
EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
NUMBER = re.compile(r"\d+(?:[.,:/-]\d+)*")
# deduce's tags ([PERSOON-1], [LOCATIE-2]) keep their kind, without the counter.
DEDUCE_TAG = re.compile(r"\[([A-Z_]+)-\d+\]")


def scrub(text: str) -> str:
    """What deduce may leave: postcodes, e-mail addresses and numbers."""
    text = EMAIL.sub("[EMAILADRES]", text)
    text = POSTCODE.sub("[POSTCODE]", text)
    return NUMBER.sub("[GETAL]", text)


def deidentify(model: Any, text: str) -> str:
    out = str(model.deidentify(text).deidentified_text)
    return scrub(DEDUCE_TAG.sub(r"[\1]", out))


def main() -> None:
    # Only our JSON lines go to stdout: anything a library prints goes to stderr.
    out, sys.stdout = sys.stdout, sys.stderr
    import deduce  # here, so `scrub` can be imported without deduce

    model = deduce.Deduce()
    print(json.dumps({"ready": True}), file=out, flush=True)
    for line in sys.stdin:
        try:
            request = json.loads(line)
            text = request["text"]
            if not isinstance(text, str):
                raise TypeError("text must be a string")
            reply: dict[str, str] = {"text": deidentify(model, text)}
        except Exception as exc:  # one bad line must not end the worker
            reply = {"error": type(exc).__name__}
        print(json.dumps(reply, ensure_ascii=False), file=out, flush=True)


if __name__ == "__main__":
    main()
