"""De-identification of kept "not understood" messages (issue 19, item 3): real deduce in
its own venv (.venv-deidentify, made by scripts/setup_test_deps.sh), plus removal of
numbers, e-mail addresses and postcodes. Missing venv = failure, never a skip."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.ops import deidentify
from bot.ops.deidentify import Deidentifier
from bot.ops.deidentify_worker import scrub


def test_scrub_removes_postcodes_mail_and_numbers() -> None:
    assert scrub("post naar 1234 AB of 1234ab") == "post naar [POSTCODE] of [POSTCODE]"
    assert scrub("mail jan.de.vries+x@voorbeeld.nl nu") == "mail [EMAILADRES] nu"
    assert scrub("bel 06-12345678 of 112, huisnummer 12a") == "bel [GETAL] of [GETAL], huisnummer [GETAL]a"
    assert scrub("wat moet ik doen bij een storm") == "wat moet ik doen bij een storm"


@pytest.fixture(scope="module")
def real() -> Iterator[Deidentifier]:
    assert deidentify.DEFAULT_PYTHON.exists(), "run scripts/setup_test_deps.sh: it builds .venv-deidentify"
    worker = Deidentifier()
    yield worker
    worker.close()


@pytest.mark.parametrize(
    "message, gone",
    [
        ("Ik ben Jan de Vries en ik woon in Middelburg", ["Jan", "Vries", "Middelburg"]),
        ("Mijn buurvrouw Fatima El Amrani is 82 jaar, kan zij hulp krijgen?", ["Fatima", "Amrani", "82"]),
        ("Stuur het naar pietje.puk@example.nl of bel 0612345678", ["pietje", "example", "0612345678"]),
        ("Mijn adres is Dorpsstraat 12, 4331 AB Middelburg", ["Dorpsstraat", "12", "4331", "AB", "Middelburg"]),
    ],
)
def test_real_deduce_removes_names_places_numbers(real: Deidentifier, message: str, gone: list[str]) -> None:
    out = real.deidentify(message)
    assert out is not None and out != message
    for word in gone:
        assert word not in out, out
    assert "[" in out  # replaced by a tag such as [PERSOON], not just dropped


def test_real_deduce_keeps_a_plain_question(real: Deidentifier) -> None:
    assert real.deidentify("wat moet ik doen bij een stroomstoring") == "wat moet ik doen bij een stroomstoring"


def test_a_restarted_worker_reads_the_built_lookup_tables(real: Deidentifier) -> None:
    # The setup script built deduce's tables; the worker only reads them (nothing is
    # rebuilt or fetched at first use) and answers again after a restart.
    tables = next(deidentify.DEFAULT_PYTHON.parents[1].glob("lib/python*/site-packages/deduce/data/lookup/cache"))
    before = {p: p.stat().st_mtime for p in tables.iterdir() if p.is_file()}
    assert any(p.suffix == ".pickle" for p in before)
    real.close()
    assert real.deidentify("Groeten van Klaas Bakker") == "Groeten van [PERSOON]"
    assert {p: p.stat().st_mtime for p in tables.iterdir() if p.is_file()} == before


# --- fail closed ------------------------------------------------------------------------


def fake_worker(tmp_path: Path, body: str) -> Deidentifier:
    script = tmp_path / "worker.py"
    script.write_text("import json, sys, time\n" + body, encoding="utf-8")
    return Deidentifier(python=Path(sys.executable), worker=script, start_timeout=5, answer_timeout=0.5)


def test_no_venv_means_nothing_is_kept(tmp_path: Path) -> None:
    assert Deidentifier(python=tmp_path / "missing" / "python").deidentify("Jan de Vries") is None


def test_a_hanging_worker_is_stopped_and_nothing_kept(tmp_path: Path) -> None:
    worker = fake_worker(tmp_path, 'print(json.dumps({"ready": True}), flush=True)\ntime.sleep(60)\n')
    started = time.monotonic()
    assert worker.deidentify("Jan de Vries") is None
    assert time.monotonic() - started < 5
    assert worker._proc is None  # killed; the next call starts a new one


def test_a_dead_worker_is_started_again(tmp_path: Path) -> None:
    # Answers one line, then exits: every second call finds it dead and starts it again.
    worker = fake_worker(
        tmp_path,
        'print(json.dumps({"ready": True}), flush=True)\n'
        "line = sys.stdin.readline()\n"
        'print(json.dumps({"text": json.loads(line)["text"].upper()}), flush=True)\n',
    )
    assert worker.deidentify("een") == "EEN"
    time.sleep(0.2)
    assert worker.deidentify("twee") == "TWEE"
    worker.close()


def test_a_worker_that_never_gets_ready_keeps_nothing(tmp_path: Path) -> None:
    worker = fake_worker(tmp_path, "sys.exit(1)\n")
    assert worker.deidentify("Jan de Vries") is None
