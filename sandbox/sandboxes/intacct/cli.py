"""`intacct-sandbox`: a local Sage Intacct XML gateway with a deterministic demo company."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from sandboxes.common.clock import Clock, parse_instant
from sandboxes.common.http import SandboxState, serve
from sandboxes.intacct.app import make_app
from sandboxes.intacct.catalog import build_catalog, resolve
from sandboxes.intacct.company import T1, Company
from sandboxes.intacct.formats import TimeFormat, parse_offset
from sandboxes.intacct.more_catalog import build_more_objects
from sandboxes.intacct.mutations import seed_history
from sandboxes.intacct.state import Config, IntacctState
from sandboxes.intacct.store import Store

#: The XML gateway's path under the sandbox's URL (the tap's api_url).
GATEWAY_PATH = "/ia/xml/xmlgw.phtml"


def _rows(values: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for value in values:
        name, _, count = value.partition("=")
        if not name or not count.isdigit():
            raise ValueError(f"--rows must look like APBILL=1000000, got {value!r}")
        out[name.strip().upper()] = int(count)
    return out


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Each flag's default after its help (when it has one worth showing); the epilog as written."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        # Nothing to show for a switch, an empty list or no default (0 and 0.0 are shown).
        if default is None or default is False or default in ([], argparse.SUPPRESS):
            return text
        if "%(default)" in text:
            return text
        return f"{text} (default: %(default)s)"


def tap_settings(url: str, args: argparse.Namespace) -> dict[str, str]:
    """The tap-sage-intacct settings that reach this sandbox: its URL and its credentials."""
    return {
        "api_url": f"{url}{GATEWAY_PATH}",
        "sender_id": args.sender_id,
        "sender_password": args.sender_password,
        "user_id": args.user_id,
        "user_password": args.user_password,
        "company_id": args.company_id,
    }


def _epilog() -> str:
    defaults = build_parser(with_epilog=False).parse_args([])
    settings = tap_settings(f"http://127.0.0.1:{defaults.port}", defaults)
    config = json.dumps(settings, indent=2)
    commands = "\n".join(
        f"  meltano config set tap-sage-intacct {name} {value}" for name, value in settings.items()
    )
    return (
        "tap-sage-intacct settings for this sandbox with the defaults above (with other flags,\n"
        "the sandbox prints its own settings on its second line of output). As a --config file:"
        f"\n\n{config}\n\nor in a Meltano project:\n\n{commands}"
    )


def build_parser(*, with_epilog: bool = True) -> argparse.ArgumentParser:
    """The command line: every flag with its help and default, and the tap settings to use."""
    p = argparse.ArgumentParser(
        prog="intacct-sandbox",
        description=__doc__,
        formatter_class=_HelpFormatter,
        epilog=_epilog() if with_epilog else None,
    )
    p.add_argument(
        "--port", type=int, default=8081, help="port to listen on, on 127.0.0.1 (0 = any free)"
    )
    p.add_argument(
        "--seed", type=int, default=7, help="every row is a pure function of (seed, object, index)"
    )
    p.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="row counts: 1 = demo scale (~22k rows in all), 45 = about 1M rows",
    )
    p.add_argument(
        "--rows",
        action="append",
        default=[],
        metavar="OBJECT=N",
        help="row count of one object, e.g. APBILL=1000000 (repeatable)",
    )
    p.add_argument(
        "--wide", action="store_true", help="add 40 custom fields so APBILL has ~120 fields"
    )
    p.add_argument(
        "--extra-objects",
        type=int,
        default=0,
        metavar="N",
        help="add N generated custom objects (x_object_001..), 3 rows each, e.g. to time discovery",
    )
    p.add_argument(
        "--no-books",
        action="store_true",
        help="bulk rows only: leave out the books (SaaS contracts, journals, rate tables, ...)",
    )
    p.add_argument("--sender-id", default="sandbox", help="Web Services sender ID accepted")
    p.add_argument(
        "--sender-password", default="sandbox", help="Web Services sender password accepted"
    )
    p.add_argument("--company-id", default="SANDBOX", help="company ID accepted at login")
    p.add_argument("--user-id", default="admin", help="Web Services user accepted at login")
    p.add_argument("--user-password", default="admin", help="that user's password")
    p.add_argument(
        "--session-ttl",
        type=float,
        default=3600.0,
        metavar="SECONDS",
        help="session lifetime on the sandbox clock; each call slides it",
    )
    p.add_argument(
        "--gmt-offset",
        default="+00:00",
        help="the API user's GMT offset, e.g. -08:00: timestamps render and filters read in it",
    )
    p.add_argument(
        "--clock",
        default=None,
        metavar="ISO",
        help="start the sandbox clock at this instant (default: real time)",
    )
    p.add_argument(
        "--frozen", action="store_true", help="freeze the clock (advance it via /admin/clock)"
    )
    p.add_argument(
        "--late-visibility-seconds",
        type=float,
        default=0.0,
        help="a change becomes visible only this long after its WHENMODIFIED",
    )
    p.add_argument(
        "--latency-ms", type=float, default=0.0, help="fixed delay added to each gateway call"
    )
    p.add_argument(
        "--deny",
        action="append",
        default=[],
        metavar="OBJECT",
        help="the user may not read OBJECT (repeatable)",
    )
    p.add_argument(
        "--deny-lookup",
        action="append",
        default=[],
        metavar="OBJECT",
        help="the user may not `lookup` OBJECT (repeatable)",
    )
    return p


def build_state(args: argparse.Namespace) -> IntacctState:
    """The sandbox state the parsed arguments describe; ValueError names a bad argument."""
    offset = parse_offset(args.gmt_offset)
    try:
        start = parse_instant(args.clock) if args.clock else None
    except ValueError:
        raise ValueError(f"--clock must be an ISO-8601 instant, got {args.clock!r}") from None
    common = SandboxState(name="intacct-sandbox", clock=Clock(start, frozen=args.frozen))
    common.latency_seconds = args.latency_ms / 1000.0
    if args.extra_objects < 0:
        raise ValueError("--extra-objects must not be negative")
    catalog = build_catalog(wide=args.wide)
    catalog.update(build_more_objects(args.extra_objects))
    tf = TimeFormat(offset)
    company = Company(
        seed=args.seed,
        scale=args.scale,
        rows=_rows(args.rows),
        catalog=catalog,
        timefmt=tf,
        books=not args.no_books,
    )
    store = Store(company, catalog, tf)
    config = Config(
        sender_id=args.sender_id,
        sender_password=args.sender_password,
        company_id=args.company_id,
        user_id=args.user_id,
        user_password=args.user_password,
        session_ttl=args.session_ttl,
        gmt_offset_seconds=offset,
        late_visibility_seconds=args.late_visibility_seconds,
    )
    state = IntacctState(
        common=common, config=config, catalog=catalog, company=company, store=store, tf=tf
    )
    unknown = [o for o in args.deny + args.deny_lookup if resolve(catalog, o) is None]
    if unknown:
        raise ValueError(f"--deny/--deny-lookup: unknown object {unknown[0]}")
    state.denied = {o.upper() for o in args.deny}
    state.denied_lookup = {o.upper() for o in args.deny_lookup}
    seed_history(state, float(T1 + 86400))
    return state


def _join_negative_offset(argv: list[str]) -> list[str]:
    """Let `--gmt-offset -08:00` work although argparse would read `-08:00` as an option."""
    out: list[str] = []
    for item in argv:
        if out and out[-1] == "--gmt-offset" and item.startswith("-"):
            out[-1] = f"--gmt-offset={item}"
        else:
            out.append(item)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the sandbox until stopped; exit status 2 with one line on a bad argument."""
    args = build_parser().parse_args(
        _join_negative_offset(list(sys.argv[1:] if argv is None else argv))
    )
    try:
        state = build_state(args)
    except ValueError as exc:
        print(f"intacct-sandbox: {exc}", file=sys.stderr)
        return 2
    app, render_fault = make_app(state)

    def ready(url: str) -> str:
        # The first line is the contract with tests and the demo; the settings follow it.
        settings = json.dumps(tap_settings(url, args))
        return f"intacct-sandbox listening on {url}\ntap-sage-intacct settings: {settings}"

    serve(state.common, app, port=args.port, render_fault=render_fault, ready_message=ready)  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main())
