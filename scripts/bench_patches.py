"""Measure what each Rasa patch (bot_rasa/patches/) saves; results go into docs/rasa-patches.md.

    PYTHONPATH=. .venv/bin/python scripts/bench_patches.py [--reps 10] [--json out.json] [--combine a.json b.json]

Rasa runs in this process (the model loaded once, as `rasa run` does, with
every patch on while it loads), the action server and the NLG endpoint as
their own processes, as in the stack. A block is a fixed workload: a dozen
conversations (noodpakket form, risks and phases, region, emergency,
digressions; 43 messages) handled message by message as the REST channel
does, with the replies checked. Variants:

- "all": every patch on;
- "-name": every patch except that one;
- "none": plain Rasa.

Each repetition runs every variant once, in a shuffled order, paired with
"all" message by message: every message of the workload goes once through
the variant and once through "all" (as two residents, in random order), so
both see the same moment's load. A patch's gain is the "-name" time minus
the "all" time of the same pair.

Each message is timed as wall time and as CPU time (Rasa in this process plus
the action server and NLG processes, so work saved on either side of a call
counts, and other load on the machine counts less than in wall time). Reported: per variant
the mean ms per message and its spread; per patch the mean paired gain and a
noise band of 2 standard errors of the paired differences. A CPU gain inside
its noise band is below noise.

gc_freeze works differently: it freezes what is alive after the model has
loaded, so that a full garbage collection, when one comes, does not walk the
model. That is a rare, long pause rather than a cost per message, so the
main loop keeps the start-up objects frozen (and collects, untimed, before
every pair), and gc_freeze gets its own phase: runs of several blocks with
and without the freeze, alternating, each starting right after a full
collection (ms per message, and how many full collections came by
themselves), and the length of a full collection at the end of each run
(the pause every resident on the replica waits for).

--combine pools the repetitions of several --json runs into one report.
Not part of `make test`: one run takes 5-10 minutes, depending on the load.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import random
import signal
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# As in a Rasa replica of the stack (bot/ops/stack.py), before TensorFlow loads.
os.environ.update(
    {
        "TF_INTRA_OP_PARALLELISM_THREADS": "1",
        "TF_INTER_OP_PARALLELISM_THREADS": "1",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "RASA_TELEMETRY_ENABLED": "false",
        "LOG_LEVEL_LIBRARIES": "ERROR",
    }
)

from bot.ops.stack import Stack, latest_model, port_in_use  # noqa: E402
from bot_rasa import patches  # noqa: E402

# The conversations the equivalence test compares, plain against patched.
from tests.stack.test_rasa_patches_equivalence import CONVERSATIONS as WORKLOAD  # noqa: E402

MESSAGES = sum(len(messages) for _, messages in WORKLOAD)


def start_helpers() -> Stack:
    """The action server and the NLG endpoint on free ports (no Rasa, no gateway)."""
    os.environ["NW_RASA_REPLICAS"] = "1"
    stack = Stack.on_free_ports(model=latest_model(), log_dir=ROOT / "var" / "log" / "bench-patches")
    env = stack.env()
    os.environ["NW_ACTIONS_PORT"], os.environ["NW_NLG_PORT"] = env["NW_ACTIONS_PORT"], env["NW_NLG_PORT"]
    for name in ("actions", "nlg"):
        stack.start_process(name)
    deadline = time.monotonic() + 120
    while not all(port_in_use(stack.ports[name]) for name in ("actions", "nlg")):
        if time.monotonic() > deadline or any(p.poll() is not None for p in stack.procs.values()):
            stack.stop()
            raise SystemExit(f"action server or NLG did not start; see {stack.log_dir}")
        time.sleep(0.3)
    return stack


async def load_agent():
    from rasa.core.agent import load_agent as rasa_load_agent
    from rasa.core.utils import AvailableEndpoints

    endpoints = AvailableEndpoints.read_endpoints(str(ROOT / "endpoints.yml"))
    return await rasa_load_agent(model_path=str(latest_model()), endpoints=endpoints)


def helper_cpu_seconds(helpers: Stack) -> float:
    """CPU time used so far by the action server and the NLG endpoint (all their
    threads; schedstat counts nanoseconds, /proc/<pid>/stat only clock ticks)."""
    total = 0
    for proc in helpers.procs.values():
        for task in Path(f"/proc/{proc.pid}/task").iterdir():
            try:
                total += int((task / "schedstat").read_text().split()[0])
            except (OSError, ValueError):
                continue  # a thread that just ended
    return total / 1e9


async def handle(agent, sender: str, text: str, region: str | None) -> None:
    """One message as the REST channel hands it to Rasa, with its answer checked."""
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    out = CollectingOutputChannel()
    metadata = {"region": region} if region else {}
    await agent.handle_message(UserMessage(text, out, sender, input_channel="rest", metadata=metadata))
    # Every message must get an answer from Rasa and the NLG, not the NLG's
    # "cannot show this" text: otherwise the workload skipped work.
    reply = " ".join(m.get("text") or "" for m in out.messages)
    if not reply or "kan ik nu niet goed laten zien" in reply:
        raise SystemExit(f"{text!r}: no proper reply ({reply[:200]!r})")


async def run_block(agent, helpers: Stack) -> tuple[float, float]:
    """The workload once; returns (wall ms, CPU ms) per message."""
    cpu_started = time.process_time() + helper_cpu_seconds(helpers)
    started = time.perf_counter()
    for region, messages in WORKLOAD:
        sender = f"bench-{uuid.uuid4().hex}"
        for text in messages:
            await handle(agent, sender, text, region)
    wall = time.perf_counter() - started
    cpu = time.process_time() + helper_cpu_seconds(helpers) - cpu_started
    return wall * 1000 / MESSAGES, cpu * 1000 / MESSAGES


async def run_pair(agent, helpers: Stack, variant: str, rng: random.Random) -> dict[str, tuple[float, float]]:
    """The workload twice, message by message: each message once with the
    variant's patches and once (as another resident) with all patches, in a
    random order, so both see the same moment's load. Returns (wall ms, CPU
    ms) per message for either."""
    totals = {variant: [0.0, 0.0], "all": [0.0, 0.0]}
    for region, messages in WORKLOAD:
        senders = {run: f"bench-{uuid.uuid4().hex}" for run in totals}
        for text in messages:
            for run in rng.sample(list(totals), 2):
                switch_to(run)
                cpu_started = time.process_time() + helper_cpu_seconds(helpers)
                started = time.perf_counter()
                await handle(agent, senders[run], text, region)
                totals[run][0] += time.perf_counter() - started
                totals[run][1] += time.process_time() + helper_cpu_seconds(helpers) - cpu_started
    return {run: (wall * 1000 / MESSAGES, cpu * 1000 / MESSAGES) for run, (wall, cpu) in totals.items()}


def switch_to(variant: str) -> None:
    """Exactly the patches of this variant on (gc_freeze: see the gc phase)."""
    if variant == "all":
        names = list(patches.PATCHES)
    elif variant == "none":
        names = []
    else:
        names = [name for name in patches.PATCHES if name != variant[1:]]
    patches.revert_all()
    patches.apply_enabled({patches.ENV_VAR: ",".join(names) or "0"})


def set_frozen(frozen: bool) -> None:
    """Start-up objects frozen (what gc_freeze does after loading) or not, then
    a full collection, so the next block starts from the same state."""
    if frozen and not gc.get_freeze_count():
        gc.collect()
        gc.freeze()
    elif not frozen and gc.get_freeze_count():
        gc.unfreeze()
    gc.collect()


class FullCollections:
    """Time spent in full (generation 2) garbage collections."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.count = 0
        self._started = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
            self.count += 1


def paired(base: list, other: list, base_mean: float) -> dict:
    diffs = [o - b for o, b in zip(other, base)]
    gain = statistics.mean(diffs)
    noise = 2 * statistics.stdev(diffs) / len(diffs) ** 0.5
    return {"gain_ms": gain, "gain_pct": 100 * gain / base_mean, "noise_ms": noise, "above_noise": gain > noise}


def spread(values: list) -> dict:
    return {
        "mean_ms": statistics.mean(values),
        "sd_ms": statistics.stdev(values),
        "min_ms": min(values),
        "max_ms": max(values),
    }


async def main_loop(agent, helpers: Stack, reps: int, rng: random.Random) -> dict:
    """Every repetition: each variant paired message by message with "all"."""
    variants = ["none", *(f"-{name}" for name in patches.PATCHES if name != "gc_freeze")]
    set_frozen(True)
    for variant in ["all", *variants]:  # first calls of every code path (connections, tf tracing) untimed
        switch_to(variant)
        await run_block(agent, helpers)
    times = {kind: {variant: [] for variant in variants} for kind in ("wall", "cpu")}
    base = {kind: {variant: [] for variant in variants} for kind in ("wall", "cpu")}
    started = time.monotonic()
    for rep in range(reps):
        for variant in rng.sample(variants, len(variants)):
            gc.collect()
            pair = await run_pair(agent, helpers, variant, rng)
            for index, kind in enumerate(("wall", "cpu")):
                times[kind][variant].append(pair[variant][index])
                base[kind][variant].append(pair["all"][index])
        print(
            f"repetition {rep + 1}/{reps}: CPU all {base['cpu']['none'][-1]:.2f}, none {times['cpu']['none'][-1]:.2f}"
            f" ms/message ({time.monotonic() - started:.0f} s)",
            flush=True,
        )
    return {"base": base, "times": times}


def summarize_main(raw: dict) -> dict:
    base, times = raw["base"], raw["times"]
    result = {}
    for kind in ("wall", "cpu"):
        all_blocks = [value for values in base[kind].values() for value in values]
        base_mean = statistics.mean(all_blocks)
        result[kind] = {
            "variants": {
                "all": spread(all_blocks),
                **{variant: spread(values) for variant, values in times[kind].items()},
            },
            "patches": {
                ("all patches" if variant == "none" else variant[1:]): paired(
                    base[kind][variant], times[kind][variant], base_mean
                )
                for variant in times[kind]
            },
        }
    return result


async def gc_phase(agent, helpers: Stack, rounds: int, blocks: int, rng: random.Random) -> dict:
    """Runs with and without the freeze, alternating; and the length of one full
    collection (the pause every resident on the replica waits for) either way."""
    switch_to("all")
    runs: dict = {frozen: {"wall": [], "cpu": [], "pause": [], "collections": 0} for frozen in (True, False)}
    for _ in range(rounds):
        for frozen in rng.sample([True, False], 2):
            set_frozen(frozen)
            collections = FullCollections()
            gc.callbacks.append(collections)
            try:
                times = [await run_block(agent, helpers) for _ in range(blocks)]
                runs[frozen]["collections"] += collections.count  # automatic ones during the run
                started = time.perf_counter()
                gc.collect()
                runs[frozen]["pause"].append((time.perf_counter() - started) * 1000)
            finally:
                gc.callbacks.remove(collections)
            runs[frozen]["wall"].append(statistics.mean(t[0] for t in times))
            runs[frozen]["cpu"].append(statistics.mean(t[1] for t in times))
        print(
            f"gc round: CPU frozen {runs[True]['cpu'][-1]:.2f}, not frozen {runs[False]['cpu'][-1]:.2f} ms/message; "
            f"full collection {runs[True]['pause'][-1]:.1f} vs {runs[False]['pause'][-1]:.1f} ms",
            flush=True,
        )
    set_frozen(True)
    return {"frozen": runs[True], "not_frozen": runs[False]}


def summarize_gc(raw: dict) -> dict:
    on, off = raw["frozen"], raw["not_frozen"]
    return {
        "messages": len(on["cpu"]) * raw["blocks"] * MESSAGES,
        "cpu": paired(on["cpu"], off["cpu"], statistics.mean(on["cpu"])),
        "wall": paired(on["wall"], off["wall"], statistics.mean(on["wall"])),
        "pause": paired(on["pause"], off["pause"], statistics.mean(on["pause"])),
        "pause_frozen": spread(on["pause"]),
        "pause_not_frozen": spread(off["pause"]),
        "automatic_full_collections": {"frozen": on["collections"], "not_frozen": off["collections"]},
    }


def summarize(raw: dict) -> dict:
    return {"reps": raw["reps"], **summarize_main(raw["main"]), "gc_freeze": summarize_gc(raw["gc"])}


def combine(raws: list[dict]) -> dict:
    """Several runs' repetitions pooled, as one longer run."""
    first = raws[0]
    main = {
        part: {
            kind: {
                variant: [v for raw in raws for v in raw["main"][part][kind][variant]]
                for variant in first["main"][part][kind]
            }
            for kind in ("wall", "cpu")
        }
        for part in ("base", "times")
    }
    gc_runs = {
        state: {
            key: sum((raw["gc"][state][key] for raw in raws), 0 if key == "collections" else [])
            for key in first["gc"][state]
        }
        for state in ("frozen", "not_frozen")
    }
    assert all(raw["gc"]["blocks"] == first["gc"]["blocks"] for raw in raws), "same --gc-blocks in every run"
    return {"reps": sum(raw["reps"] for raw in raws), "main": main, "gc": {**gc_runs, "blocks": first["gc"]["blocks"]}}


def print_report(result: dict) -> None:
    print(f"\n{MESSAGES} messages per block, {result['reps']} repetitions, ms per message")
    for kind in ("cpu", "wall"):
        print(f"\n{kind}:")
        for variant, v in result[kind]["variants"].items():
            print(
                f"  {variant:24s} {v['mean_ms']:7.2f} ± {v['sd_ms']:5.2f}  (min {v['min_ms']:.2f}, max {v['max_ms']:.2f})"
            )
    print("\n| patch | CPU gain ms/message | CPU gain % | noise band (2 SE) | wall gain ms/message | wall noise band |")
    print("|---|---:|---:|---:|---:|---:|")
    rows = dict(result["cpu"]["patches"])
    rows["gc_freeze"] = result["gc_freeze"]["cpu"]
    for name, c in rows.items():
        w = result["gc_freeze"]["wall"] if name == "gc_freeze" else result["wall"]["patches"][name]
        mark = "" if c["above_noise"] else " (below noise)"
        print(
            f"| {name} | {c['gain_ms']:+.2f}{mark} | {c['gain_pct']:+.1f} % | ±{c['noise_ms']:.2f} | "
            f"{w['gain_ms']:+.2f} | ±{w['noise_ms']:.2f} |"
        )
    g = result["gc_freeze"]
    print(
        f"\ngc_freeze phase ({g['messages']} messages each way): one full collection takes "
        f"{g['pause_frozen']['mean_ms']:.1f} ± {g['pause_frozen']['sd_ms']:.1f} ms frozen, "
        f"{g['pause_not_frozen']['mean_ms']:.1f} ± {g['pause_not_frozen']['sd_ms']:.1f} ms not frozen "
        f"(gain {g['pause']['gain_ms']:+.1f} ± {g['pause']['noise_ms']:.1f} ms per collection); automatic full "
        f"collections during the runs: {g['automatic_full_collections']}"
    )


def configure_logging() -> None:
    """Rasa's logging as in the stack (`rasa run --quiet`): warnings only, so no
    debug log call formats anything."""
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING, warn_only_once=True, filter_repeated_logs=True)
    configure_structlog(logging.WARNING)


async def bench(helpers: Stack, reps: int, gc_rounds: int, gc_blocks: int, seed: int) -> dict:
    """The raw block times of one run (see summarize)."""
    from bot_rasa.patches.pooled_http import close_pooled_sessions

    patches.apply_enabled({})  # as `python -m bot_rasa.launch run` loads the model (gc_freeze included)
    agent = await load_agent()
    rng = random.Random(seed)
    try:
        main = await main_loop(agent, helpers, reps, rng)
        gc_runs = await gc_phase(agent, helpers, gc_rounds, gc_blocks, rng)
    finally:
        await close_pooled_sessions()
    return {"reps": reps, "main": main, "gc": {**gc_runs, "blocks": gc_blocks}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--gc-rounds", type=int, default=3)
    parser.add_argument("--gc-blocks", type=int, default=4)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--json", type=Path, default=None, help="also write the raw block times here")
    parser.add_argument("--combine", type=Path, nargs="+", help="report on the pooled runs of these --json files")
    args = parser.parse_args()
    if args.combine:
        print_report(summarize(combine([json.loads(path.read_text()) for path in args.combine])))
        return
    configure_logging()
    # Stopped from outside: still stop the action server and NLG (the finally below).
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(1))
    helpers = start_helpers()
    try:
        raw = asyncio.run(bench(helpers, args.reps, args.gc_rounds, args.gc_blocks, args.seed))
    finally:
        helpers.stop()
    if args.json:
        args.json.write_text(json.dumps(raw))
    print_report(summarize(raw))


if __name__ == "__main__":
    main()
