"""`leanix-sandbox`: a local SAP LeanIX server (MTM tokens, Integration API, Pathfinder GraphQL)."""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import uuid
from collections.abc import Sequence

from sandboxes.common.http import SandboxState, serve
from sandboxes.leanix.app import LeanIXApp
from sandboxes.leanix.ratelimit import RateLimiter
from sandboxes.leanix.runs import RunManager
from sandboxes.leanix.tokens import Principal, TokenService
from sandboxes.leanix.workspace import Workspace, timestamp


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Each flag's default after its help; the epilog as written."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        # Nothing to show for a switch, an empty list or no default (0 and 0.0 are shown).
        if default is None or default is False or default in ([], argparse.SUPPRESS):
            return text
        if "%(default)" in text:
            return text
        return f"{text} (default: %(default)s)"


def target_settings(url: str, token: str) -> dict[str, str]:
    """The target-leanix settings that reach this sandbox (company_key is the user's choice)."""
    return {"base_url": url, "api_token": token, "company_key": "SANDBOX"}


def _epilog() -> str:
    defaults = _parser(with_epilog=False).parse_args([])
    settings = target_settings(f"http://127.0.0.1:{defaults.port}", defaults.token)
    commands = "\n".join(
        f"  meltano config set target-leanix {name} {value}" for name, value in settings.items()
    )
    return (
        "target-leanix settings for this sandbox with the defaults above (with other flags,\n"
        "the sandbox prints its own settings on its second line of output; company_key is any\n"
        "key of your choice). As a --config file:\n\n"
        f"{json.dumps(settings, indent=2)}\n\nor in a Meltano project:\n\n{commands}"
    )


def _parser(*, with_epilog: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leanix-sandbox",
        description="Serve a local SAP LeanIX workspace on 127.0.0.1 for tests and demos.",
        formatter_class=_HelpFormatter,
        epilog=_epilog() if with_epilog else None,
    )
    parser.add_argument("--port", type=int, default=8082, help="port to listen on (0 = any free)")
    parser.add_argument(
        "--db",
        default="leanix-sandbox.sqlite",
        help="SQLite file holding the workspace (':memory:' for a throwaway one)",
    )
    parser.add_argument(
        "--token", default="sandbox-token", help="the API token accepted as apitoken:<token>"
    )
    parser.add_argument(
        "--token-ttl", type=int, default=3600, help="access token lifetime in seconds"
    )
    parser.add_argument("--workspace-name", default="sandbox", help="workspace name in tokens")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay added to each call")
    parser.add_argument(
        "--rate-limit",
        type=float,
        default=0.0,
        help="requests per second per user before 429 (LeanIX: 30); 0 = unlimited",
    )
    parser.add_argument(
        "--in-progress-hold-seconds",
        type=float,
        default=1.0,
        help="longest time a finished run still reports IN_PROGRESS while no status poll saw it",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """leanix-sandbox: open the workspace, serve on loopback and print the URL; exit code."""
    args = _parser().parse_args(argv)
    if args.token_ttl <= 0:
        print("leanix-sandbox: --token-ttl must be a positive number of seconds", file=sys.stderr)
        return 2
    if not args.token:
        print("leanix-sandbox: --token must not be empty", file=sys.stderr)
        return 2
    try:
        workspace = Workspace(args.db)
    except Exception as error:
        print(f"leanix-sandbox: cannot open --db {args.db!r}: {error}", file=sys.stderr)
        return 2
    state = SandboxState(name="leanix-sandbox", latency_seconds=args.latency_ms / 1000.0)

    def now() -> str:
        return timestamp(state.clock.now())

    workspace.set_meta("workspace_name", args.workspace_name)
    principal = Principal(
        workspace_id=workspace.meta("workspace_id", str(uuid.uuid4())),
        workspace_name=args.workspace_name,
        account_id=workspace.meta("account_id", str(uuid.uuid4())),
        user_id=workspace.meta("technical_user_id", str(uuid.uuid4())),
    )
    tokens = TokenService(
        api_token=args.token,
        # Kept in the workspace file so access tokens outlive a restart, as a real workspace's do.
        secret=workspace.meta("jwt_secret", secrets.token_hex(32)).encode(),
        ttl_seconds=args.token_ttl,
        principal=principal,
        now=state.clock.now,
    )
    runs = RunManager(workspace, now, hold_seconds=args.in_progress_hold_seconds)
    limiter = RateLimiter(args.rate_limit, state.clock.monotonic) if args.rate_limit > 0 else None
    app = LeanIXApp(state, workspace, tokens, runs, now, rate_limiter=limiter)

    def ready(url: str) -> str:
        # The first line is the contract with tests and the demo; the settings follow it.
        settings = json.dumps(target_settings(url, args.token))
        return f"leanix-sandbox listening on {url}\ntarget-leanix settings: {settings}"

    serve(
        state,
        app,
        port=args.port,
        render_fault=app.render_fault,
        on_stop=workspace.close,
        ready_message=ready,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
