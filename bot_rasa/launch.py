"""The Rasa command line with our patches switched on first.

    python -m bot_rasa.launch run --enable-api ...   (= rasa run --enable-api ...)
    python -m bot_rasa.launch test core ...

Applies the patches NW_RASA_PATCHES selects (bot_rasa/patches/; default: all,
0: none), then hands the arguments to Rasa's own CLI in this process.
"""

from __future__ import annotations

import sys
from typing import List, Optional

from bot_rasa import log_privacy
from bot_rasa.patches import apply_enabled


def main(argv: Optional[List[str]] = None) -> None:
    # Before Rasa configures logging, a warning (wrong Rasa version) goes to
    # stderr through Python's last-resort handler.
    log_privacy.install()  # no message text in any log record (bot_rasa/log_privacy.py)
    names = apply_enabled()
    # One line in the process log, so a log shows whether Rasa ran patched.
    print(f"bot_rasa.launch: Rasa patches on: {', '.join(names) or 'none (plain Rasa)'}", file=sys.stderr, flush=True)
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()


if __name__ == "__main__":
    main()
