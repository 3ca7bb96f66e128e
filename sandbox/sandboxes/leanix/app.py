"""Routing and authentication of the LeanIX sandbox.

Paths are LeanIX's own (https://docs-eam.leanix.net/reference/): MTM token under `/services/mtm/v1`,
the Integration API under `/services/integration-api/v1`, Pathfinder GraphQL under
`/services/pathfinder/v1/graphql`. Every service path except the token endpoint needs a valid,
unexpired Bearer token. Shapes marked "OpenAPI description" follow the Integration API's
OpenAPI description: https://github.com/ballerina-platform/openapi-connectors/blob/HEAD/openapi/leanix.integrationapi/openapi.yaml.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Callable
from typing import Any

from sandboxes.common.faults import Fault
from sandboxes.common.http import Request, Response, SandboxState
from sandboxes.leanix import admin, exactjson
from sandboxes.leanix.configuration import ConfigurationError, validate_configuration
from sandboxes.leanix.graphql_api import GraphQLApi
from sandboxes.leanix.ratelimit import RateLimiter
from sandboxes.leanix.runs import RunManager, RunNotFoundError, RunStateError
from sandboxes.leanix.tokens import AuthError, TokenService
from sandboxes.leanix.workspace import BINDING_KEYS, Workspace, binding_of

MTM_TOKEN = "/services/mtm/v1/oauth2/token"  # noqa: S105 - a URL path, not a secret
IA = "/services/integration-api/v1"
GRAPHQL = "/services/pathfinder/v1/graphql"
DATA_MODEL = "/services/pathfinder/v1/models/dataModel"
METRICS_POINTS = "/services/metrics/v2/points"

#: LDIF header keys that `LeanIxDataInterchangeFormat` marks required (OpenAPI description).
LDIF_REQUIRED = (
    "connectorType",
    "connectorId",
    "connectorVersion",
    "lxVersion",
    "processingDirection",
)
LDIF_HEADER_MAX = 500

_RUN_PATH = re.compile(rf"^{IA}/synchronizationRuns/([^/]+)/(\w+)$")


def errors(status: int, *messages: str, headers: dict[str, str] | None = None) -> Response:
    """The Integration API's `ErrorResponse {"errors": [...]}` (OpenAPI description)."""
    return Response.json({"errors": list(messages)}, status=status, headers=headers)


def exact(payload: object, status: int = 200) -> Response:
    """A JSON response whose Decimals are exact JSON numbers, as LeanIX writes costTotalAnnual."""
    return Response(
        status, exactjson.dumps(payload).encode("utf-8"), {"Content-Type": "application/json"}
    )


def validate_ldif(body: object) -> list[str]:
    """Problems that make an LDIF unacceptable (400), each naming the key at fault."""
    if not isinstance(body, dict):
        return ["The request body must be an LDIF JSON object"]
    problems = []
    for key in LDIF_REQUIRED:
        value = body.get(key)
        if not isinstance(value, str) or not value:
            problems.append(f"LDIF header '{key}' is required and must be a non-empty string")
        elif len(value) > LDIF_HEADER_MAX:
            problems.append(f"LDIF header '{key}' is longer than {LDIF_HEADER_MAX} characters")
    if body.get("processingDirection") not in (None, "inbound", "outbound"):
        problems.append("LDIF header 'processingDirection' must be 'inbound' or 'outbound'")
    if body.get("processingMode", "partial") not in ("partial", "full"):
        problems.append("LDIF header 'processingMode' must be 'partial' or 'full'")
    if "customFields" in body and not isinstance(body["customFields"], dict):
        problems.append("LDIF 'customFields' must be an object")
    content = body.get("content", [])
    if not isinstance(content, list):
        problems.append("LDIF 'content' must be a list")
        return problems
    for index, item in enumerate(content):
        if (  # the common, valid item, checked inline: an LDIF carries thousands
            isinstance(item, dict)
            and isinstance(item_type := item.get("type"), str)
            and item_type
            and isinstance(item_id := item.get("id"), str)
            and item_id
            and isinstance(item.get("data", _NO_DATA), dict)
        ):
            continue
        problems += _content_problems(index, item)
    return problems[:20]


_NO_DATA: dict[str, Any] = {}


def _content_problems(index: int, item: object) -> list[str]:
    if not isinstance(item, dict):
        return [f"LDIF content[{index}] must be an object with type, id and data"]
    problems = [
        f"LDIF content[{index}] needs a non-empty string '{key}'"
        for key in ("type", "id")
        if not isinstance(item.get(key), str) or not item[key]
    ]
    if "data" in item and not isinstance(item["data"], dict):
        problems.append(f"LDIF content[{index}].data must be an object")
    return problems


def _too_many_requests(retry_after: object) -> Response:
    """429 with `Retry-After` and the reason LeanIX names
    (https://updates.leanix.net/announcements/introduction-of-user-based-rate-limiting)."""
    return Response.json(
        {
            "errors": ["USER_INTERVAL_REQUEST_LIMIT_EXCEEDED: too many requests"],
            "reason": "USER_INTERVAL_REQUEST_LIMIT_EXCEEDED",
        },
        status=429,
        headers={"Retry-After": str(retry_after)},
    )


def _gzip_bomb(inflated_bytes: int) -> Response:
    """A 200 JSON answer sent gzip-encoded (`Content-Encoding: gzip`, which HTTP clients inflate on
    their own) that inflates to `inflated_bytes`: whitespace, then `{}`. About 1 KB per MiB on the wire."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: the gzip container
    block = b" " * (1024 * 1024)
    parts = [compressor.compress(block) for _ in range(inflated_bytes // len(block))]
    parts.append(compressor.compress(b" " * (inflated_bytes % len(block)) + b"{}"))
    parts.append(compressor.flush())
    return Response(
        200, b"".join(parts), {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    )


def _operation(method: str, path: str) -> str:
    """A stable counter name per API operation, with run ids folded away (for `/admin/stats`)."""
    if path.startswith(IA + "/"):
        route = _RUN_PATH.sub(lambda m: f"{IA}/synchronizationRuns/{{id}}/{m.group(2)}", path)
        return f"ia {method} {route[len(IA) :]}"
    return f"{method} {path}"


def _flag(request: Request, name: str) -> bool:
    return (request.query_value(name, "false") or "false").lower() == "true"


class LeanIXApp:
    """The sandbox's HTTP routing: MTM token, Integration API, GraphQL, metrics and admin routes."""

    def __init__(
        self,
        state: SandboxState,
        workspace: Workspace,
        tokens: TokenService,
        runs: RunManager,
        now: Callable[[], str],
        *,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        self.rate_limiter = rate_limiter
        self.state = state
        self.workspace = workspace
        self.tokens = tokens
        self.runs = runs
        self.now = now
        self.graphql = GraphQLApi(workspace, now)

    def __call__(self, request: Request) -> Response:
        """Route a request: admin, MTM token, then Bearer-checked, rate-limited /services/ calls."""
        path = request.path.rstrip("/") or "/"
        if path.startswith("/admin/"):
            return admin.handle(self, request, path)
        if path == MTM_TOKEN:
            self.state.stats.record("mtm.token")
            return self._token(request)
        if not path.startswith("/services/"):
            return errors(404, f"No such resource: {path}")
        try:
            claims = self.tokens.verify(request.header("authorization"))
        except AuthError as error:
            return errors(401, str(error), headers={"WWW-Authenticate": 'Bearer realm="leanix"'})
        if self.rate_limiter is not None:
            wait = self.rate_limiter.retry_after(str(claims.get("sub", "")))
            if wait is not None:
                return _too_many_requests(wait)
        self.state.stats.record(_operation(request.method, path))
        if path == GRAPHQL:
            return self._graphql(request)
        if path == DATA_MODEL and request.method == "GET":
            return Response.json({"status": "OK", "data": admin.data_model()})
        if path == METRICS_POINTS and request.method == "GET":
            return self._metrics(request)
        if path.startswith(IA + "/"):
            return self._integration_api(request, path)
        return errors(404, f"No such resource: {path}")

    # -- MTM ----------------------------------------------------------------------------------

    def _token(self, request: Request) -> Response:
        if request.method != "POST":
            return errors(405, "Use POST for the token endpoint")
        try:
            body = self.tokens.grant(request.header("authorization"), request.body, request.query)
        except AuthError as error:
            return Response.json(
                {"error": "unauthorized", "error_description": str(error)},
                status=401,
                headers={"WWW-Authenticate": 'Basic realm="oauth2/client"'},
            )
        except ValueError as error:
            return Response.json(
                {"error": "unsupported_grant_type", "error_description": str(error)}, status=400
            )
        return Response.json(body)

    # -- GraphQL ------------------------------------------------------------------------------

    def _graphql(self, request: Request) -> Response:
        if request.method != "POST":
            return errors(405, "Use POST for GraphQL")
        try:
            body = exactjson.loads(request.body or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError):
            return errors(400, "The request body is not JSON")
        # GraphQL problems are answered HTTP 200 with an `errors` array (LeanIX's example error
        # response: https://docs-eam.leanix.net/reference/manage-relations-between-fact-sheets).
        return exact(self.graphql.execute(body))

    # -- metrics read-back --------------------------------------------------------------------

    def _metrics(self, request: Request) -> Response:
        # LeanIX documents no read API for points written by inboundMetrics; this shape is the
        # sandbox's own, documented in README.md.
        measurement = request.query_value("measurement")
        points = self.workspace.metric_points(measurement or None)
        return Response.json({"data": [point.export() for point in points]})

    # -- Integration API ----------------------------------------------------------------------

    def _integration_api(self, request: Request, path: str) -> Response:
        route = path[len(IA) :]
        method = request.method
        try:
            if route == "/configurations":
                return self._configurations(request)
            if route == "/synchronizationRuns":
                if method == "POST":
                    return self._create_run(request)
                if method == "GET":
                    return Response.json([self._status_entry(run) for run in self.workspace.runs()])
            if route == "/fastSynchronizationRuns" and method == "POST":
                return self._fast_run(request)
            match = _RUN_PATH.match(path)
            if match:
                return self._run_action(request, match.group(1), match.group(2))
        except RunNotFoundError as error:
            return errors(404, str(error))
        except RunStateError as error:
            return errors(400, str(error))
        return errors(404, f"No such resource: {method} {path}")

    def _configurations(self, request: Request) -> Response:
        if request.method == "PUT":
            try:
                body = exactjson.loads(request.body or b"null")
                validate_configuration(body)
            except (json.JSONDecodeError, UnicodeDecodeError):
                return errors(400, "The processor configuration is not JSON")
            except ConfigurationError as error:
                return errors(400, str(error))
            self.workspace.put_configuration(body, self.now())
            return Response(204)
        query = {key: request.query_value(key) for key in BINDING_KEYS}
        if request.method == "GET":
            wanted = {key: value for key, value in query.items() if value}
            found = [
                config
                for config in self.workspace.configurations()
                if all(binding_of(config)[key] == value for key, value in wanted.items())
            ]
            return exact(found)
        if request.method == "DELETE":
            missing = [key for key in BINDING_KEYS[:4] if not query[key]]
            if missing:
                return errors(
                    400, f"Not all necessary parameters are set: missing {', '.join(missing)}"
                )
            binding = binding_of({key: value for key, value in query.items() if value})
            if not self.workspace.delete_configuration(binding):
                return errors(404, "No such processor configuration found")
            return Response(204)
        return errors(405, f"{request.method} is not allowed on /configurations")

    def _read_ldif(self, request: Request) -> tuple[dict[str, Any] | None, Response | None]:
        try:
            body = exactjson.loads(request.body or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError):
            return None, errors(400, "The LDIF is not valid JSON")
        problems = validate_ldif(body)
        if problems:
            return None, errors(400, *problems)
        return body, None

    def _create_run(self, request: Request) -> Response:
        ldif, problem = self._read_ldif(request)
        if problem is not None or ldif is None:
            return problem or errors(400, "The LDIF is missing")
        start, test = _flag(request, "start"), _flag(request, "test")
        if test and not start:
            return errors(400, "The 'test' parameter requires 'start=true' as well")
        run = self.runs.create(ldif, request.body or b"", start=start, test=test)
        return Response.json({"id": run.id})

    def _fast_run(self, request: Request) -> Response:
        ldif, problem = self._read_ldif(request)
        if problem is not None or ldif is None:
            return problem or errors(400, "The LDIF is missing")
        if ldif.get("processingDirection") != "inbound":
            return errors(400, "Fast synchronization runs are only available for inbound LDIFs")
        run = self.runs.execute_now(ldif, request.body or b"", test=_flag(request, "test"))
        config = self.workspace.configuration(run.binding) or {}
        return exact(
            {
                "id": run.id,
                "status": run.status,
                "warnings": self.workspace.warnings(run.id),
                "stats": {
                    "duration": run.progress.get("durationMillis", 0),
                    "processedContentCount": run.progress.get("processedContentCount", 0),
                    "processorCount": len(config.get("processors", [])),
                },
                "results": None,
            }
        )

    def _status_entry(self, run: Any) -> dict[str, Any]:  # noqa: ANN401 - a workspace Run
        entry = {"id": run.id, "status": run.status}
        if run.description:
            entry["description"] = run.description
        return entry

    def _run_action(self, request: Request, run_id: str, action: str) -> Response:
        method = request.method
        if action == "start" and method == "POST":
            self.runs.start(run_id, test=_flag(request, "test"))
            return Response(200)
        if action == "stop" and method == "POST":
            self.runs.stop(run_id)
            return Response(200)
        if method != "GET":
            return errors(405, f"{method} is not allowed on {action}")
        if action == "status":
            return Response.json(self.runs.status(run_id))
        if action == "progress":
            return Response.json(self.runs.progress(run_id))
        if action == "stats":
            return Response.json(self.runs.stats(run_id))
        if action == "results":
            self.runs.get(run_id)
            return Response(204)  # inbound runs produce no LDIF (OpenAPI description)
        if action == "warnings":
            return self._warnings(request, run_id)
        return errors(404, f"No such resource: {action}")

    def _warnings(self, request: Request, run_id: str) -> Response:
        self.runs.get(run_id)
        try:
            offset = int(request.query_value("offset", "0") or "0")
            limit = int(request.query_value("limit", "100") or "100")
        except ValueError:
            return errors(400, "'offset' and 'limit' must be integers")
        if offset < 0 or not 1 <= limit <= 100:
            return errors(400, "'offset' must be >= 0 and 'limit' between 1 and 100")
        if offset % limit:
            # OpenAPI description: 400 unless offset MOD limit == 0 (pages align to the limit).
            return errors(400, "'offset' must be a multiple of 'limit'")
        return exact(self.workspace.warnings(run_id, offset, limit))

    # -- faults -------------------------------------------------------------------------------

    def render_fault(self, fault: Fault, request: Request) -> Response | None:
        """The response an injected fault gives instead (None: carry on, e.g. run_failed armed)."""
        kind, params = fault.kind, fault.params
        if kind == "http_429":
            return _too_many_requests(params.get("retry_after", params.get("seconds", 1)))
        if kind in {"http_500", "http_502", "http_503"}:
            status = int(kind.removeprefix("http_"))
            return errors(status, f"sandbox fault {kind}: {request.method} {request.path}")
        if kind == "token_expired":
            return errors(401, "Access token expired", headers={"WWW-Authenticate": "Bearer"})
        if kind == "run_failed":
            self.runs.arm_failure()
            return None
        if kind == "redirect":
            # 307 and 308 tell the client to repeat the same method, body and all, at Location.
            status = int(params.get("status", 307))
            return Response(status, b"", {"Location": str(params.get("location", "/"))})
        if kind == "gzip_bomb":
            return _gzip_bomb(int(params.get("inflated_bytes", 64 * 1024 * 1024)))
        return errors(500, f"sandbox: unknown fault kind {kind!r}")
