"""A real PostgreSQL (Debian's package) on a chosen port, its data in a given folder.

`make cluster` can run `postgres_command()` as one of the supervised parts;
the tests start their own with `PostgresServer` on a free port. Installed by
scripts/setup_services.sh (Debian's `postgresql`).

PostgreSQL refuses to run as root. As root the server runs as the `postgres`
user the Debian package creates (or `nobody`), and owns its data folder; the
folder's parents must let that user through (/tmp does; pytest's tmp_path does
not, so the tests use a folder under /tmp). The Unix socket lives inside the
data folder. Authentication is `trust`, which is why the server listens on
127.0.0.1 only: this is for one machine and its tests, not for a region's
cluster (docs/deploy.md).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

SETUP_HINT = "PostgreSQL ontbreekt: draai `bash scripts/setup_services.sh` (installeert Debian's postgresql)."
SUPERUSER = "noodwijzer"
DATABASE = "noodwijzer"


def bin_dir() -> Path:
    """The newest /usr/lib/postgresql/<version>/bin (Debian keeps the server there, off PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("postgres")
    if on_path:
        return Path(on_path).resolve().parent
    raise SystemExit(SETUP_HINT)


def run_as() -> str | None:
    """The user the server runs as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise SystemExit(SETUP_HINT)


def _user_kwargs(user: str | None) -> dict[str, Any]:
    if user is None:
        return {}
    entry = pwd.getpwnam(user)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def process_kwargs() -> dict[str, Any]:
    """subprocess.Popen arguments that run postgres_command() as the right user
    (for a supervisor; call init_data_dir() first)."""
    return _user_kwargs(run_as())


def postgres_command(data_dir: Path, port: int, durable: bool = True) -> list[str]:
    """The server in the foreground (for a supervisor): loopback TCP and a socket inside data_dir.

    durable=False (tests): no fsync. A killed server still keeps every commit
    (the operating system has the writes); only a machine crash could lose them.
    """
    return [
        str(bin_dir() / "postgres"),
        "-D",
        str(data_dir),
        "-p",
        str(port),
        "-k",
        str(data_dir),
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "max_connections=200",
        # Small and quick: the editor's data is a few megabytes.
        "-c",
        "shared_buffers=32MB",
        "-c",
        f"fsync={'on' if durable else 'off'}",
        "-c",
        "log_min_messages=warning",
    ]


def database_url(port: int, database: str = DATABASE) -> str:
    return f"postgresql://{SUPERUSER}@127.0.0.1:{port}/{database}"


def init_data_dir(data_dir: Path, durable: bool = True) -> None:
    """initdb once; the folder is created and handed to the server's user."""
    if (data_dir / "PG_VERSION").exists():
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    user = run_as()
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(data_dir, entry.pw_uid, entry.pw_gid)
    os.chmod(data_dir, 0o700)
    subprocess.run(
        [
            str(bin_dir() / "initdb"),
            "-D",
            str(data_dir),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-instructions",
            *([] if durable else ["--no-sync"]),
        ],
        check=True,
        cwd=data_dir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        **_user_kwargs(user),
    )


def ready(port: int, database: str = "postgres", timeout: float = 1.0) -> bool:
    import psycopg2

    try:
        conn = psycopg2.connect(
            host="127.0.0.1", port=port, user=SUPERUSER, dbname=database, connect_timeout=max(1, int(timeout))
        )
    except psycopg2.Error:
        return False
    conn.close()
    return True


def create_database(port: int, database: str = DATABASE) -> None:
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", port=port, user=SUPERUSER, dbname="postgres", connect_timeout=3)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{database}"')
    finally:
        conn.close()


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


class PostgresServer:
    """A postgres for a test or a script: start(), kill() or stop(), start() again, stop().

    Without data_dir a fresh folder under /tmp is made (and removed by cleanup()).
    """

    def __init__(self, port: int, data_dir: Path | None = None, durable: bool = True) -> None:
        self.port = port
        self.durable = durable
        self._own_dir = data_dir is None
        self.data_dir = Path(tempfile.mkdtemp(prefix="nw-pg-")) if data_dir is None else data_dir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return database_url(self.port)

    def start(self, timeout: float = 60.0) -> PostgresServer:
        if _port_in_use(self.port):  # else ready() below would find the other server
            raise RuntimeError(f"port {self.port} is already in use")
        init_data_dir(self.data_dir, self.durable)
        log = open(self.data_dir.parent / f"{self.data_dir.name}.log", "ab")
        self.proc = subprocess.Popen(
            postgres_command(self.data_dir, self.port, self.durable),
            cwd=self.data_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **process_kwargs(),
        )
        log.close()
        deadline = time.monotonic() + timeout
        while not ready(self.port):
            if self.proc.poll() is not None:
                raise RuntimeError(f"postgres stopped during start-up (exit {self.proc.returncode}); see {log.name}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"postgres not ready after {timeout:.0f} s; see {log.name}")
            time.sleep(0.1)
        create_database(self.port)
        return self

    def kill(self) -> None:
        """Stop it at once, as a crash would: SIGKILL to the postmaster, then its
        backends (they would end by themselves; a restart needs them gone)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)  # the backends, in the server's own session
            except ProcessLookupError:
                pass
        self.proc = None

    def stop(self, immediate: bool = False) -> None:
        """Smart shutdown (SIGINT: fast), or immediate (SIGQUIT, like `pg_ctl stop -m immediate`)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT if immediate else signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc = None

    def cleanup(self) -> None:
        """Stop; a folder of our own is removed (so no need for a clean shutdown)."""
        self.stop(immediate=self._own_dir)
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            Path(f"{self.data_dir}.log").unlink(missing_ok=True)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.cleanup()
