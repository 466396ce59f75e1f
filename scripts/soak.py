"""`make soak`: the real stack at a steady load for a while, with 0 errors and flat memory.

    python scripts/soak.py --minutes 10              (make soak)
    python scripts/soak.py --minutes 1 --no-write    (a quick try)

Simulated residents hold the 8-message conversation of `make bench` (every reply
checked for its expected content) at a fixed total rate, well below what the
machine can do, so the run measures leaks and errors, not saturation. Conversations
expire after `--ttl` idle seconds (NW_TRACKER_TTL), so within the run the number of
stored conversations reaches a steady state and memory must stop growing.

From /proc it also measures, per part (gateway, each Rasa replica, actions, NLG, with
their child processes): resident memory per minute, and CPU time before and after
the load, which gives CPU milliseconds per chat message per part. Those numbers size
a deployment (docs/deploy.md) and fill the capacity table in docs/performance.md.
All traffic goes to 127.0.0.1; every loop is bounded by the run time.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import os
import platform
import re
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench import (  # noqa: E402
    CONVERSATION,
    PROFILE_NAMES,
    chat_reply_ok,
    cpu_reference,
    percentile,
    replace_section,
)

from bot.ops.stack import Stack, latest_model  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
# Capacity assumptions (stated in docs/performance.md next to the table).
MESSAGES_PER_RESIDENT = 8  # one conversation like the bench's: a question, a follow-up, a noodpakket plan
PEAK_FACTOR = 3.0  # the busiest minutes of a crisis hour carry 3x the hour's average rate
TARGET_UTILISATION = 0.6  # keep each core at most 60 % busy at that peak (headroom for latency)


def process_tree(pid: int) -> list[int]:
    """pid and all its descendants (Linux /proc)."""
    pids, seen = [pid], []
    while pids:
        current = pids.pop()
        if current in seen:
            continue
        seen.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as fh:
                    pids.extend(int(c) for c in fh.read().split())
        except OSError:
            continue
    return seen


def cpu_seconds(pid: int) -> float:
    """utime + stime of pid and its living descendants."""
    total = 0
    for p in process_tree(pid):
        try:
            with open(f"/proc/{p}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
        except (OSError, IndexError, ValueError):
            continue
    return total / CLOCK_TICKS


def rss_bytes(pid: int) -> int:
    """Proportional memory (PSS) of a process and its children: a page shared by n
    processes counts 1/n in each. Plain RSS counts it n times: PostgreSQL's buffers once per
    backend that has touched them, which looked like growth as more backends warmed up."""
    total = 0
    for p in process_tree(pid):
        try:
            with open(f"/proc/{p}/smaps_rollup") as fh:
                total += next(int(line.split()[1]) * 1024 for line in fh if line.startswith("Pss:"))
        except (OSError, IndexError, ValueError, StopIteration):
            try:  # no smaps_rollup (old kernels): resident pages
                with open(f"/proc/{p}/statm") as fh:
                    total += int(fh.read().split()[1]) * PAGE
            except (OSError, IndexError, ValueError):
                continue
    return total


def part_of(name: str) -> str:
    """Process name -> part: rasa, rasa-2, ... are all "rasa" (actions-2 "actions", ...)."""
    return re.sub(r"-\d+$", "", name)


@dataclass
class Load:
    rate: float  # messages per second, all residents together
    residents: int
    deadline: float
    ok: int = 0
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    latencies: list[tuple[float, float]] = field(default_factory=list)  # (time since start, seconds)

    def error(self, kind: str) -> None:
        self.errors += 1
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1


async def steady_load(url: str, load: Load, started: float) -> None:
    """Each resident sends its next message at fixed intervals (residents / rate),
    staggered, so the total rate is steady; a new conversation after the 8th message."""
    interval = load.residents / load.rate
    connector = aiohttp.TCPConnector(limit=load.residents + 4)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:

        async def resident(index: int) -> None:
            next_at = started + index * interval / load.residents
            while next_at < load.deadline:
                session_id = f"soak-{uuid.uuid4().hex}"
                for turn, text in enumerate(CONVERSATION):
                    delay = next_at - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    if time.monotonic() >= load.deadline:
                        return
                    sent = time.monotonic()
                    try:
                        async with http.post(url, json={"session_id": session_id, "message": text}) as resp:
                            body = await resp.read()
                            if resp.status != 200:
                                load.error(f"http {resp.status}")
                            elif not chat_reply_ok(turn, body):
                                load.error(f"unexpected reply at turn {turn + 1}")
                            else:
                                load.ok += 1
                    except Exception as exc:  # counted, never hidden
                        load.error(type(exc).__name__)
                    load.latencies.append((sent - started, time.monotonic() - sent))
                    next_at += interval

        await asyncio.gather(*(resident(i) for i in range(load.residents)))


async def sample_memory(stack: Stack, samples: list[dict[str, Any]], started: float, deadline: float) -> None:
    while time.monotonic() < deadline:
        row: dict[str, Any] = {"t": time.monotonic() - started}
        for name, proc in stack.procs.items():
            row[name] = rss_bytes(proc.pid)
        samples.append(row)
        await asyncio.sleep(min(30.0, max(0.0, deadline - time.monotonic())))


async def run(stack: Stack, minutes: float, rate: float, residents: int) -> tuple[Load, list[dict[str, Any]], float]:
    started = time.monotonic()
    load = Load(rate=rate, residents=residents, deadline=started + minutes * 60)
    samples: list[dict[str, Any]] = []
    await asyncio.gather(
        steady_load(f"{stack.gateway}/api/v1/chat", load, started),
        sample_memory(stack, samples, started, load.deadline),
    )
    samples.append({"t": time.monotonic() - started, **{n: rss_bytes(p.pid) for n, p in stack.procs.items()}})
    return load, samples, time.monotonic() - started


def mb(value: float) -> str:
    return f"{value / 1e6:.0f}"


def capacity_rows(cpu_ms: dict[str, float]) -> list[str]:
    """Residents per replica in one crisis hour and replicas for 1,000 and 10,000 residents.
    One replica of each part is one single-threaded process, so it can use one core at most."""
    rows = []
    for part in [p for p in ("gateway", "rasa", "actions", "nlg", "redis") if p in cpu_ms]:
        per_message = cpu_ms[part]
        msgs_per_s = TARGET_UTILISATION * 1000 / per_message
        residents_per_hour = msgs_per_s * 3600 / MESSAGES_PER_RESIDENT / PEAK_FACTOR
        need = [max(2, math.ceil(n / residents_per_hour)) for n in (1_000, 10_000)]
        rows.append(
            f"| {part} | {per_message:.1f} | {msgs_per_s:.0f} | {residents_per_hour:,.0f} | {need[0]} | {need[1]} |"
        )
    return rows


def report(
    args: argparse.Namespace,
    stack: Stack,
    names: list[str],
    load: Load,
    samples: list[dict[str, Any]],
    elapsed: float,
    cpu_ms: dict[str, float],
    conditions: str,
) -> tuple[str, str]:
    first, last = samples[0], samples[-1]
    settled = next((s for s in samples if s["t"] >= min(args.ttl * 1.5, elapsed / 2)), samples[len(samples) // 2])
    total = {s["t"]: sum(s[n] for n in names) for s in samples}
    growth_all = total[last["t"]] - total[first["t"]]
    growth_settled = total[last["t"]] - total[settled["t"]]
    minutes_settled = max(1e-9, (last["t"] - settled["t"]) / 60)
    lat = [seconds * 1000 for _, seconds in load.latencies]
    sent = len(lat)
    flat = growth_settled / minutes_settled < 2e6  # < 2 MB per minute once conversations expire
    verdict = "yes" if load.errors == 0 and flat else "**no**"
    soak = [
        f"`make soak` (scripts/soak.py) on {dt.date.today().isoformat()}: {args.minutes:g} minutes at "
        f"{args.rate:g} chat messages/s from {args.residents} simulated residents (8-message conversations, "
        f"every reply checked), conversations expiring after {args.ttl:.0f} idle seconds (`NW_TRACKER_TTL`), "
        f"{len(stack.rasa_replicas)} Rasa replicas, {PROFILE_NAMES[args.profile]}. {conditions}",
        "",
        "| messages | errors | msg/s | p50 ms | p95 ms | p99 ms | memory (PSS) start | PSS end | growth "
        "after the first TTL | 0 errors and flat |",
        "|---|---|---|---|---|---|---|---|---|---|",
        f"| {sent} | {load.errors} | {sent / elapsed:.1f} | {statistics.median(lat):.0f} | {percentile(lat, 95):.0f} | "
        f"{percentile(lat, 99):.0f} | {mb(total[first['t']])} MB | {mb(total[last['t']])} MB | "
        f"{growth_settled / 1e6:+.1f} MB in {minutes_settled:.1f} min "
        f"({growth_settled / 1e6 / minutes_settled:+.2f} MB/min) | {verdict} |",
        "",
        f"Memory over the whole run (including the first {args.ttl:.0f} s, while the store fills up to "
        f"its steady state): {growth_all / 1e6:+.1f} MB. Per process, MB at "
        + ", ".join(f"{s['t'] / 60:.1f}" for s in (first, settled, last))
        + " min: "
        + "; ".join(f"{n} {mb(first[n])} → {mb(settled[n])} → {mb(last[n])}" for n in names)
        + ".",
    ]
    if load.error_kinds:
        soak.append("Errors: " + ", ".join(f"{k}: {v}" for k, v in sorted(load.error_kinds.items())) + ".")
    capacity = [
        f"From the soak run above ({PROFILE_NAMES[args.profile]}, {sent} chat messages; CPU time of each process and its children "
        f"from /proc before and after the load, divided by the messages):",
        "",
        "| part | CPU ms per message | messages/s per replica at "
        f"{TARGET_UTILISATION:.0%} of a core | residents per replica in a crisis hour | "
        "replicas for 1,000 residents | replicas for 10,000 residents |",
        "|---|---|---|---|---|---|",
        *capacity_rows(cpu_ms),
        "",
        f"Assumptions: a resident sends {MESSAGES_PER_RESIDENT} messages (one conversation like the bench's); "
        f"all residents come within the hour, and the busiest minutes carry {PEAK_FACTOR:g}× the hour's average "
        f"rate; a replica is one process that uses one core at most, kept at {TARGET_UTILISATION:.0%} busy "
        "at that peak so that p95 stays low (the bench's 20-resident p95 was measured with both cores busy). "
        "At least 2 replicas of each part, so one can fail or be moved. Memory (PSS) per replica: "
        + ", ".join(
            f"{part} {mb(max(last[n] for n in names if part_of(n) == part))} MB"
            for part in dict.fromkeys(part_of(n) for n in names)
        )
        + ". docs/deploy.md turns this into Kubernetes requests and replica counts.",
    ]
    return "\n".join(soak), "\n".join(capacity)


def main() -> int:
    parser = argparse.ArgumentParser(description="Steady load on the real stack; 0 errors and flat memory.")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=8.0, help="chat messages per second, all residents together")
    parser.add_argument("--residents", type=int, default=16)
    parser.add_argument("--ttl", type=float, default=120.0, help="idle seconds before a conversation expires")
    parser.add_argument("--profile", choices=tuple(PROFILE_NAMES), default="run", help="run: in-memory; cluster: Redis")
    parser.add_argument("--out", default=str(ROOT / "docs" / "performance.md"))
    parser.add_argument("--no-write", action="store_true", help="print the result only")
    args = parser.parse_args()

    reference_before = cpu_reference()
    load_before = os.getloadavg()
    stack = Stack.on_free_ports(
        **({} if args.profile == "run" else {"profile": args.profile}),
        model=latest_model(),
        gateway_host="127.0.0.1",
        extra_env={"NW_IP_RATE": "0", "NW_SESSION_RATE": "0", "NW_TRACKER_TTL": str(args.ttl)},
        log_dir=Path(tempfile.mkdtemp()) / "log",
    )
    stack.start(timeout=240)
    try:
        pids = {name: proc.pid for name, proc in stack.procs.items()}
        cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        load, samples, elapsed = asyncio.run(run(stack, args.minutes, args.rate, args.residents))
        cpu_after = {name: cpu_seconds(pid) for name, pid in pids.items()}
        exited = [name for name, proc in stack.procs.items() if proc.poll() is not None]
    finally:
        stack.stop()
    load_after = os.getloadavg()
    reference_after = cpu_reference()
    messages = max(1, len(load.latencies))
    cpu_ms: dict[str, float] = {}
    for name in pids:
        cpu_ms[part_of(name)] = cpu_ms.get(part_of(name), 0.0) + (cpu_after[name] - cpu_before[name]) * 1000
    # a part with several replicas (rasa): the messages were spread over them
    cpu_ms = {part: value / messages for part, value in cpu_ms.items()}
    conditions = (
        f"Load conditions: {platform.machine()}, {os.cpu_count()} cores shared with other sessions; load average "
        f"{load_before[0]:.1f} before and {load_after[0]:.1f} after; fixed Python loop {reference_before:.2f} s "
        f"before and {reference_after:.2f} s after (lower is faster; 0.39 s on a quiet machine)."
    )
    raw = {"samples": samples, "cpu_ms": cpu_ms, "errors": load.error_kinds, "latencies": load.latencies}
    Path(tempfile.gettempdir(), "noodwijzer-soak.json").write_text(json.dumps(raw), encoding="utf-8")
    soak_md, capacity_md = report(args, stack, list(pids), load, samples, elapsed, cpu_ms, conditions)
    if exited:
        soak_md += f"\n\nProcesses that stopped during the run: {', '.join(exited)}."
    print(soak_md, "\n", capacity_md, sep="\n")
    if not args.no_write:
        out = Path(args.out)
        text = out.read_text(encoding="utf-8") if out.exists() else "# Performance\n"
        # one soak and one capacity section per profile: the in-memory numbers stay next to the cluster's
        suffix, title = ("", "") if args.profile == "run" else (f"-{args.profile}", f", {PROFILE_NAMES[args.profile]}")
        text = replace_section(text, f"soak{suffix}", f"## Soak{title or ' (`make soak`)'}", soak_md)
        text = replace_section(text, f"capacity{suffix}", f"## Capacity{title}", capacity_md)
        out.write_text(text, encoding="utf-8")
    growth_ok = "**no**" not in soak_md.split("\n")[4]
    return 0 if load.errors == 0 and not exited and growth_ok else 1


if __name__ == "__main__":
    sys.exit(main())
