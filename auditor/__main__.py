"""``python -m auditor``: verify Golden Bridge's history against its signed transparency log.

    verify          read the log and every store over HTTP (a county-administrator token)
    verify-export   check an export file (application/cloudevents-batch+json) offline

Both need only the pinned public key (``--public-key``: base64 or PEM, or @file) and keep the last tree head
they trusted in ``--state`` (default ~/.local/state/gb-auditor); ``verify`` keeps there too the stored events it
found outside the log, to name those still outside it a run later. Exit status: 0 intact, 1 something broke
(each problem on its own line), 2 the check could not run (no answer, bad arguments).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from auditor.checks import CLOCK_SKEW_MS, LOG_LAG_MS
from auditor.run import CannotVerify, verify_export, verify_http


def _key_text(value: str) -> str:
    return Path(value[1:]).read_text() if value.startswith("@") else value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m auditor", description=__doc__.split("\n\n")[0])
    parser.add_argument("--public-key", required=True, help="the log's pinned key: base64, PEM, or @file")
    parser.add_argument("--state", type=Path, default=Path.home() / ".local" / "state" / "gb-auditor",
                        help="where the last trusted tree head is kept")
    commands = parser.add_subparsers(dest="command", required=True)
    http = commands.add_parser("verify", help="verify the log and the stores over HTTP")
    http.add_argument("--url", required=True, help="the gateway, e.g. http://127.0.0.1:8000")
    http.add_argument("--token", required=True, help="a county administrator's bearer token (or @file)")
    http.add_argument("--no-fresh-head", action="store_true", help="verify the latest head rather than ask for one")
    http.add_argument("--max-clock-skew", type=float, default=CLOCK_SKEW_MS / 1000, metavar="SECONDS",
                      help="how far this machine's clock and the log's may differ: a head asked for must be signed "
                           "no earlier than the asking minus this (default %(default)g)")
    http.add_argument("--max-log-lag", type=float, default=LOG_LAG_MS / 1000, metavar="SECONDS",
                      help="how long a stored event may take to reach the log before it counts as stored without "
                           "being logged (default %(default)g)")
    export = commands.add_parser("verify-export", help="verify an export file offline")
    export.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "verify":
            if args.max_clock_skew < 0 or args.max_log_lag < 0:
                raise CannotVerify("--max-clock-skew and --max-log-lag must not be negative")
            report = verify_http(args.url, _key_text(args.token).strip(), _key_text(args.public_key), args.state,
                                 fresh_head=not args.no_fresh_head, clock_skew_ms=round(args.max_clock_skew * 1000),
                                 log_lag_ms=round(args.max_log_lag * 1000))
        else:
            report = verify_export(args.file.read_bytes(), _key_text(args.public_key), args.state)
    except CannotVerify as exc:
        print(f"auditor: cannot verify: {exc}", file=sys.stderr)
        return 2
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        # An answer not shaped as the API says: nothing can be concluded from it, and nothing is trusted.
        print(f"auditor: cannot verify: an answer is not what the API describes ({exc!r})", file=sys.stderr)
        return 2
    for problem in report.problems:
        print(f"BROKEN: {problem}", file=sys.stderr)
    print(report.summary)
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
