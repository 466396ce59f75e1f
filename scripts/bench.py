"""`make bench`: measure the real stack and write docs/performance.md.

Measured in one run, on this machine:
- training time (a fresh `rasa train` into a temporary folder),
- cold start to a healthy /healthz,
- latency (p50, p95) and throughput at 1 and 20 concurrent sessions for
  Rasa's /model/parse and for the gateway's /api/v1/chat, with realistic
  8-message conversations,
- resident memory of all processes together.
All traffic goes to 127.0.0.1 and every loop is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.ops.stack import Stack, latest_model  # noqa: E402

CONVERSATION = [
    "hallo",
    "wat moet ik doen als de stroom uitvalt",
    "en daarna?",
    "hoe bereid ik me voor op een overstroming",
    "ik wil een noodpakket maken",
    "we zijn met 2 volwassenen en 2 kinderen",
    "50 euro",
    "bedankt",
]
# What each reply must contain, so a fast fallback answer never counts as a
# served message (it is counted under "errors").
EXPECTED = [
    r"noodwijzer",
    r"stroom",
    r"daarna",
    r"overstroming",
    r"noodpakket",
    r"geld",
    r"extra nodig",
    r"graag gedaan",
]
PARSE_TEXTS = CONVERSATION + ["help er is brand in mijn huis", "wat doe ik bij hitte", "ik woon in Middelburg"]


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def chat_reply_ok(turn: int, body: bytes) -> bool:
    import json
    import re

    try:
        texts = " ".join(m["text"] for m in json.loads(body)["messages"]).lower()
    except (ValueError, KeyError, TypeError):
        return False
    return re.search(EXPECTED[turn % len(EXPECTED)], texts) is not None


def parse_reply_ok(turn: int, body: bytes) -> bool:
    import json

    try:
        return bool(json.loads(body)["intent"]["name"])
    except (ValueError, KeyError, TypeError):
        return False


async def run_load(url_for, payload_for, sessions: int, messages_per_session: int, reply_ok=None) -> dict:
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=sessions + 4)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as http:

        async def one_session(index: int) -> None:
            nonlocal errors
            session_id = f"bench-{uuid.uuid4().hex}"
            for turn in range(messages_per_session):
                started = time.perf_counter()
                try:
                    async with http.post(url_for(), json=payload_for(session_id, turn, index)) as resp:
                        body = await resp.read()
                        if resp.status != 200 or (reply_ok and not reply_ok(turn, body)):
                            errors += 1
                except Exception:
                    errors += 1
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(one_session(i) for i in range(sessions)))
        elapsed = time.perf_counter() - started
    return {
        "sessions": sessions,
        "requests": len(latencies),
        "errors": errors,
        "throughput": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": percentile(latencies, 95) * 1000,
        "elapsed": elapsed,
        "latencies": latencies,
    }


async def measure(stack: Stack, rounds: int) -> list[dict]:
    results = []
    for sessions in (1, 20):
        parse = await run_load(
            lambda: f"{stack.rasa}/model/parse",
            lambda sid, turn, i: {"text": PARSE_TEXTS[(turn + i) % len(PARSE_TEXTS)]},
            sessions,
            len(CONVERSATION) * rounds,
            parse_reply_ok,
        )
        chat = await run_load(
            lambda: f"{stack.gateway}/api/v1/chat",
            lambda sid, turn, i: {"session_id": sid, "message": CONVERSATION[turn % len(CONVERSATION)]},
            sessions,
            len(CONVERSATION),
            chat_reply_ok,
        )
        if sessions == 20:
            # more conversations for a stable number: 3 waves of 20 residents,
            # percentiles over all their requests together
            waves = [chat] + [
                await run_load(
                    lambda: f"{stack.gateway}/api/v1/chat",
                    lambda sid, turn, i: {"session_id": sid, "message": CONVERSATION[turn % len(CONVERSATION)]},
                    sessions,
                    len(CONVERSATION),
                    chat_reply_ok,
                )
                for _ in range(2)
            ]
            latencies = [value for w in waves for value in w["latencies"]]
            chat = {
                "sessions": sessions,
                "requests": len(latencies),
                "errors": sum(w["errors"] for w in waves),
                "throughput": len(latencies) / sum(w["elapsed"] for w in waves),
                "p50_ms": statistics.median(latencies) * 1000,
                "p95_ms": percentile(latencies, 95) * 1000,
            }
        results.append({"endpoint": "/model/parse", **parse})
        results.append({"endpoint": "/api/v1/chat", **chat})
    return results


def replace_section(text: str, name: str, heading: str, body: str) -> str:
    """docs/performance.md has one section per script (bench, soak, capacity) between
    markers, so `make bench` and `make soak` each rewrite only their own numbers."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{body.strip()}\n{end}"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        return before + block + rest.split(end, 1)[1]
    return text.rstrip("\n") + "\n\n" + (f"{heading}\n\n" if heading else "") + block + "\n"


def cpu_reference() -> float:
    """Seconds for a fixed pure-Python loop: shows how fast this (shared, virtual)
    machine was during the run, so runs on different days can be compared."""
    started = time.perf_counter()
    total = 0
    for i in range(3_000_000):
        total += i * i
    return time.perf_counter() - started


def train_time() -> float:
    """A full training: empty output folder and an empty Rasa training cache
    (with the project's cache, unchanged components are reused and it takes ~25 s)."""

    with tempfile.TemporaryDirectory() as out, tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, RASA_CACHE_DIRECTORY=cache)
        started = time.monotonic()
        subprocess.run(
            [
                str(Path(sys.executable).parent / "rasa"),
                "train",
                "--data",
                "data/nlu",
                "data/rules",
                "data/stories",
                "--out",
                out,
                "--quiet",
            ],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        return time.monotonic() - started


# The two setups of issue 15, measured one after the other on the same machine:
# "run" = `make run` (conversations in each Rasa replica's memory), "cluster" =
# `make cluster` (Redis for conversations, locks and gateway limits; 3 Rasa
# replicas, 2 action and 2 NLG servers). bot/ops/stack.py defines both.
PROFILE_NAMES = {"run": "in-memory (`make run`)", "cluster": "cluster (`make cluster`, Redis)"}


# Issue 18: the rate limits must cost nothing measurable. Limits set so high that
# they never refuse anyone, so the limiter code runs for every request.
UNREACHABLE_LIMITS = {"NW_IP_RATE": "1000000", "NW_SESSION_RATE": "1000000", "NW_API_RATE": "1000000"}
LIMITS_OFF = {"NW_IP_RATE": "0", "NW_SESSION_RATE": "0", "NW_API_RATE": "0"}


def limits_ab(stack: Stack, rounds: int = 3) -> dict:
    """Chat at 20 sessions through two gateways on the same Rasa, actions and NLG:
    one with the limits off, one with them on (never reached), taking turns so
    both see the same machine. Returns throughput and p95 per side."""
    import dataclasses

    from bot.ops.stack import free_port

    limited = dataclasses.replace(
        stack,
        ports={**stack.ports, "gateway": free_port()},
        extra_env={**stack.extra_env, **UNREACHABLE_LIMITS},
        procs={},
        supervisor=None,
        own_data_dir=False,
    )
    limited.start_process("gateway")
    try:
        deadline = time.monotonic() + 60
        while limited.health() != 200:
            if time.monotonic() > deadline:
                raise RuntimeError("the second gateway did not become healthy")
            time.sleep(0.5)
        sides: dict[str, list[dict]] = {"off": [], "on": []}
        for _ in range(rounds):
            for side, gateway in (("off", stack.gateway), ("on", limited.gateway)):
                sides[side].append(
                    asyncio.run(
                        run_load(
                            lambda gateway=gateway: f"{gateway}/api/v1/chat",
                            lambda sid, turn, i: {"session_id": sid, "message": CONVERSATION[turn % len(CONVERSATION)]},
                            20,
                            len(CONVERSATION),
                            chat_reply_ok,
                        )
                    )
                )
    finally:
        limited.stop_process("gateway")
    result = {}
    for side, waves in sides.items():
        latencies = [value for w in waves for value in w["latencies"]]
        result[side] = {
            "requests": len(latencies),
            "errors": sum(w["errors"] for w in waves),
            "throughput": len(latencies) / sum(w["elapsed"] for w in waves),
            "p95_ms": percentile(latencies, 95) * 1000,
        }
    return result


def bench_profile(profile: str) -> dict:
    """Start one stack of this profile on free ports, load it, stop it."""
    kwargs = {} if profile == "run" else {"profile": profile}
    stack = Stack.on_free_ports(
        model=latest_model(),
        gateway_host="127.0.0.1",
        extra_env=dict(LIMITS_OFF),
        log_dir=Path(tempfile.mkdtemp()) / "log",
        **kwargs,
    )
    stack.start(timeout=240)
    cold_start = stack.healthy_after  # to /healthz 200; the warm-up conversation comes after
    try:
        asyncio.run(
            run_load(
                lambda: f"{stack.gateway}/api/v1/chat", lambda sid, t, i: {"session_id": sid, "message": "hallo"}, 2, 2
            )
        )  # warm-up
        rss_before, pss_before = stack.rss_bytes(), stack.pss_bytes()
        load_before, speed_before = os.getloadavg()[0], cpu_reference()
        rows = asyncio.run(measure(stack, rounds=3))
        load_after, speed_after = os.getloadavg()[0], cpu_reference()
        rss, pss = stack.rss_bytes(), stack.pss_bytes()
        limits = limits_ab(stack) if profile == "run" else None
    finally:
        stack.stop()
    return {
        # the machine is shared: what else ran during this profile's load, so two profiles can be compared
        "conditions": f"load average {load_before:.1f} → {load_after:.1f}, fixed loop {speed_before:.2f} s → "
        f"{speed_after:.2f} s",
        "profile": profile,
        "rows": rows,
        "cold_start": cold_start,
        "rss_before": rss_before,
        "rss": rss,
        "pss_before": pss_before,
        "pss": pss,
        "replicas": len(stack.rasa_replicas),
        "limits": limits,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-train", action="store_true")
    parser.add_argument("--profiles", default="run,cluster", help="comma separated: run, cluster")
    parser.add_argument("--out", default=str(ROOT / "docs" / "performance.md"))
    args = parser.parse_args()
    profiles = [p.strip() for p in args.profiles.split(",") if p.strip()]

    reference_before = cpu_reference()
    load_before = os.getloadavg()[0]
    training = None if args.skip_train else train_time()
    results = {profile: bench_profile(profile) for profile in profiles}
    reference_after = cpu_reference()
    load_after = os.getloadavg()[0]

    checks = []
    for profile, result in results.items():
        by = {(r["endpoint"], r["sessions"]): r for r in result["rows"]}
        label = PROFILE_NAMES[profile]
        ratio = by[("/api/v1/chat", 20)]["throughput"] / by[("/model/parse", 20)]["throughput"]
        p95 = by[("/api/v1/chat", 20)]["p95_ms"]
        result["chat20"] = by[("/api/v1/chat", 20)]
        checks += [
            (f"{label}: chat throughput ≥ 0.5 × parse at 20 sessions", f"{ratio:.2f}", ratio >= 0.5),
            (f"{label}: chat p95 ≤ 400 ms at 20 sessions", f"{p95:.0f} ms", p95 <= 400),
            (f"{label}: cold start to healthy ≤ 40 s", f"{result['cold_start']:.1f} s", result["cold_start"] <= 40),
        ]
    if "run" in results and "cluster" in results:
        share = results["cluster"]["chat20"]["throughput"] / results["run"]["chat20"]["throughput"]
        checks.append(("cluster chat throughput ≥ 0.8 × in-memory at 20 sessions", f"{share:.2f}", share >= 0.8))
    checks.append(
        (
            "training ≤ 3 min",
            "not measured" if training is None else f"{training:.0f} s",
            None if training is None else training <= 180,
        )
    )
    if "run" in results and results["run"]["limits"]:
        ab = results["run"]["limits"]
        cost = 1 - ab["on"]["throughput"] / ab["off"]["throughput"]
        checks.append(
            (
                "rate limits on: chat throughput within 5 % of limits off (20 sessions, same stack, taking turns)",
                f"{ab['on']['throughput']:.1f} vs {ab['off']['throughput']:.1f} msg/s ({cost * 100:+.1f} % cost); "
                f"p95 {ab['on']['p95_ms']:.0f} vs {ab['off']['p95_ms']:.0f} ms; errors {ab['on']['errors']}",
                cost <= 0.05 and ab["on"]["errors"] == 0,
            )
        )
    if "run" in results:
        # PSS: the sum of RSS counts the pages the Rasa replicas share (TensorFlow's
        # libraries) once per replica; both are printed below the table.
        pss = results["run"]["pss"]
        checks.append(("in-memory: all processes ≤ 2 GB (PSS)", f"{pss / 1e9:.2f} GB", pss <= 2e9))

    lines = [
        f"Measured by `make bench` (scripts/bench.py) on {dt.date.today().isoformat()}, "
        f"{platform.machine()}, {subprocess.getoutput('nproc')} cores, Python {platform.python_version()}. "
        f"Machine speed (fixed Python loop, lower is faster): {reference_before:.2f} s before, "
        f"{reference_after:.2f} s after the run; load average {load_before:.1f} before, {load_after:.1f} after "
        "(this VM is shared with other work, so numbers vary from run to run).",
        f"Model: `{latest_model().name}`. Conversation per simulated resident ({len(CONVERSATION)} messages): "
        + " / ".join(f"“{m}”" for m in CONVERSATION)
        + ". The profiles ran one after the other, each on its own stack.",
        "",
        "| profile | endpoint | concurrent sessions | requests | errors | msg/s | p50 ms | p95 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for profile, result in results.items():
        for r in result["rows"]:
            lines.append(
                f"| {PROFILE_NAMES[profile]}, {result['replicas']} Rasa | `{r['endpoint']}` | {r['sessions']} | "
                f"{r['requests']} | {r['errors']} | {r['throughput']:.1f} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} |"
            )
    lines += ["", "| target | measured | met |", "|---|---|---|"]
    for name, value, ok in checks:
        lines.append(f"| {name} | {value} | {'—' if ok is None else ('yes' if ok else '**no**')} |")
    lines.append("")
    for profile, result in results.items():
        conversations = sum(r["requests"] for r in result["rows"] if r["endpoint"] == "/api/v1/chat") // len(
            CONVERSATION
        )
        where = "in each Rasa replica's memory" if profile == "run" else "in Redis"
        lines.append(
            f"Memory, {PROFILE_NAMES[profile]}: {result['pss_before'] / 1e9:.2f} GB PSS "
            f"({result['rss_before'] / 1e9:.2f} GB summed RSS) before the load, {result['pss'] / 1e9:.2f} GB PSS "
            f"({result['rss'] / 1e9:.2f} GB RSS) after {conversations} conversations (kept {where} until 60 idle "
            f"minutes have passed). Machine during its load: {result['conditions']}."
        )
    lines += ["", "See README.md (Performance) for the choices behind these numbers.", ""]
    out = Path(args.out)
    text = out.read_text(encoding="utf-8") if out.exists() else ""
    if "<!-- bench:start -->" not in text:
        text = "# Performance\n"  # a file from before the sections: the bench rewrote all of it
    out.write_text(replace_section(text, "bench", "", "\n".join(lines)), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
