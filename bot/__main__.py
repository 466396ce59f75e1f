"""Command line: `python -m bot users add|list|passwd|disable|enable`, `python -m bot templates export`.

Passwords are read from a prompt or from stdin (--password-stdin), never from
the command line, where other users and shell history could see them.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from bot.redactie import accounts
from bot.redactie.db import Database
from bot.redactie.export import export
from bot.redactie.store import SqliteTemplateStore

MESSAGES = {
    # Operator-facing CLI messages (English, like the code): staff use the web pages.
    "bad_username": "username: 2-40 characters a-z, 0-9, '.', '_' or '-', starting with a letter or digit",
    "bad_role": "role must be " + ", ".join(accounts.ROLES),
    "bad_region": "a regional account needs --region VR01..VR25",
    "national_has_no_region": "a national or geavanceerd account has no --region",
    "password_too_short": f"password must be at least {accounts.MIN_PASSWORD} characters",
    "password_too_long": "password is too long",
    "user_exists": "that username already exists",
    "no_such_user": "no such user",
    "password_mismatch": "the passwords do not match",
}


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != first:
        raise accounts.AccountError("password_mismatch")
    return first


def _db(args: argparse.Namespace) -> Database:
    return Database(args.db) if args.db else Database()


def cmd_users_add(args: argparse.Namespace) -> int:
    password = _read_password(args.password_stdin)
    user = accounts.add_user(_db(args), args.username, password, args.role, args.region)
    print(f"added {user.username} ({user.label}{' ' + user.region if user.region else ''})")
    return 0


def cmd_users_list(args: argparse.Namespace) -> int:
    for user, active in accounts.list_users(_db(args)):
        print(f"{user.username}\t{user.label}\t{user.region or '-'}\t{'active' if active else 'disabled'}")
    return 0


def cmd_users_passwd(args: argparse.Namespace) -> int:
    accounts.set_password(_db(args), args.username, _read_password(args.password_stdin))
    print(f"password changed for {args.username}; open sessions ended")
    return 0


def cmd_users_active(args: argparse.Namespace) -> int:
    accounts.set_active(_db(args), args.username, args.command == "enable")
    print(f"{args.username} {'enabled' if args.command == 'enable' else 'disabled'}")
    return 0


def cmd_templates_export(args: argparse.Namespace) -> int:
    written = export(SqliteTemplateStore(_db(args)), Path(args.out))
    for path in written:
        print(path)
    print(f"{len(written)} file(s) written to {args.out}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Noodwijzer administration")
    parser.add_argument("--db", help="SQLite file (default: $NOODWIJZER_DB or var/noodwijzer.sqlite3)")
    groups = parser.add_subparsers(dest="group", required=True)

    users = groups.add_parser("users", help="Redactie accounts").add_subparsers(dest="command", required=True)
    add = users.add_parser("add", help="create an account")
    add.add_argument("--username", required=True)
    add.add_argument(
        "--role",
        required=True,
        choices=accounts.ROLES,
        help="geavanceerd: national, and may edit templates with logic; "
        "beheerder: manages the widget's Instellingen of --region, or of every region without it",
    )
    add.add_argument("--region", help="VR01..VR25, for a regional editor (or a beheerder of that region)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    add.set_defaults(func=cmd_users_add)
    users.add_parser("list", help="list accounts").set_defaults(func=cmd_users_list)
    passwd = users.add_parser("passwd", help="set a new password")
    passwd.add_argument("--username", required=True)
    passwd.add_argument("--password-stdin", action="store_true")
    passwd.set_defaults(func=cmd_users_passwd)
    for name in ("disable", "enable"):
        sub = users.add_parser(name, help=f"{name} an account")
        sub.add_argument("--username", required=True)
        sub.set_defaults(func=cmd_users_active)

    templates = groups.add_parser("templates", help="live template edits").add_subparsers(dest="command", required=True)
    exp = templates.add_parser("export", help="write live edits as files for review in git")
    exp.add_argument("--out", required=True, help="directory (gets <name>.j2 and regions/VRxx/<name>.j2)")
    exp.set_defaults(func=cmd_templates_export)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        status: int = args.func(args)
        return status
    except accounts.AccountError as exc:
        print(f"error: {MESSAGES.get(exc.code, exc.code)}", file=sys.stderr)
        return 2
    except (EOFError, KeyboardInterrupt):
        print("error: no password given", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
