"""Keep Python's garbage collector from pausing a busy server.

A full collection walks every object that has survived so far. After start-up
those are mostly code, the model and the knowledge, which live as long as the
process. In a Rasa replica (~600,000 objects) one full pass took ~0.6 s on the
2-core machine, a few times per benchmark run, and every resident waiting on
that replica waited with it (the ~1 s outliers in docs/performance.md).
Freezing the start-up objects leaves only what is made while serving to the
collector. Reference counting still frees frozen objects that are dropped.
"""

from __future__ import annotations

import gc


def freeze_startup_objects() -> int:
    """Collect once, then exempt everything alive now from later collections.

    Returns how many objects are frozen. Call it when start-up is finished.
    """
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
