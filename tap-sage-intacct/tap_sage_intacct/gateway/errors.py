"""The gateway's error classes, and how an `<errormessage>` maps to them.

Intacct reports failures at three levels (control, authentication, function result), each as an
`<errormessage>` of `<error>` elements (https://developer.intacct.com/web-services/error-handling/).
`classify_errors` turns one into the exception that says what to do: retry, log in again, skip the
object, or stop. `unreachable_error` does the same for a connection that failed, naming the URL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote

from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

#: The retry reason of a refused connection: nothing listens where api_url points.
REFUSED = "connection_refused"


@dataclass(frozen=True)
class ErrorDetail:
    """One `<error>` of an `<errormessage>` block; any part may be empty."""

    errorno: str = ""
    description: str = ""
    description2: str = ""
    correction: str = ""

    def text(self) -> str:
        """`errorno: description description2 correction`, description2 URL-decoded."""
        # description2 often ends with a URL-encoded " [Support ID: ...]"; other Intacct clients
        # decode it too.
        parts = [self.description, unquote(self.description2), self.correction]
        message = " ".join(p.strip() for p in parts if p and p.strip())
        return f"{self.errorno}: {message}" if self.errorno else message


class IntacctError(Exception):
    """Base class. `message` is one line that is safe to log (bodies never hold our passwords)."""

    def __init__(self, message: str, errors: Sequence[ErrorDetail] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.errors = tuple(errors)


class RetryableError(IntacctError):
    """Transient: rate limit, 5xx, 524, HTML or truncated body, "Please Try Again Later"."""

    def __init__(
        self,
        message: str,
        errors: Sequence[ErrorDetail] = (),
        retry_after: float | None = None,
        reason: str = "",
    ) -> None:
        super().__init__(message, errors)
        self.retry_after = retry_after
        #: A short label for the retry counters (http_429, http_5xx, html, truncated, ...).
        self.reason = reason


class SessionExpiredError(IntacctError):
    """The session is gone ("Invalid session"): log in again, then resend."""


class PermissionDeniedError(IntacctError):
    """The user may not read this object: skip it with a warning, never crash the run."""


class FatalError(IntacctError):
    """Bad credentials, invalid field, unknown object: retrying cannot help."""


class AuthenticationError(FatalError):
    """Sender or user credentials were refused."""


_RETRYABLE_MARKERS = (
    "please try again later",
    "api rate limit exceeded",
    "temporarily off-line",
    "temporarily offline",
    "there was an error processing the request",
)
_PERMISSION_MARKERS = (
    "permission",
    "not authorized to access",
    "access denied",
)
#: PL04000005 is the permission denial on query.
_PERMISSION_ERRNOS = frozenset({"PL04000005"})
_CREDENTIAL_ERRNOS = frozenset({"XL03000006", "GW-0011", "XMLGW_JPP0002"})
_CREDENTIAL_MARKERS = ("password", "sign-in", "not authorized", "authoriz", "sender")
# DL02000001 is also the number of many permanent failures ("Invalid fields list"), so only its
# text "There was an error processing the request" marks it transient
# (https://developer.intacct.com/web-services/error-handling/).
_RETRYABLE_ERRNOS = frozenset({"GW-0010"})


def classify_errors(level: str, errors: Sequence[ErrorDetail], where: str) -> IntacctError:
    """Map an `<errormessage>` at control/authentication/result level to the exception to raise.

    `where` names the operation (e.g. "query APBILL") so the one-line error says what failed.
    """
    joined = "; ".join(e.text() for e in errors) or "no error details"
    lowered = joined.lower()
    message = f"{where}: Intacct said: {joined}"
    errnos = {e.errorno for e in errors}
    if errnos & _RETRYABLE_ERRNOS or any(m in lowered for m in _RETRYABLE_MARKERS):
        reason = "http_429" if "GW-0010" in errnos or "rate limit" in lowered else "try_again"
        return RetryableError(message, errors, reason=reason)
    if level == "authentication" and "invalid session" in lowered:
        return SessionExpiredError(message, errors)
    if level in ("control", "authentication"):
        credentials = errnos & _CREDENTIAL_ERRNOS or any(m in lowered for m in _CREDENTIAL_MARKERS)
        return (AuthenticationError if credentials else FatalError)(message, errors)
    if errnos & _PERMISSION_ERRNOS or any(m in lowered for m in _PERMISSION_MARKERS):
        return PermissionDeniedError(message, errors)
    return FatalError(message, errors)


def shown_url(url: str) -> str:
    """`scheme://host:port/path` of a URL for messages: never user-info, query or fragment."""
    try:
        parts = parse_url(url)
    except (LocationParseError, ValueError):
        return "(unreadable URL)"
    host = parts.host or ""
    if not host or not all(c.isascii() and c.isprintable() for c in host):
        return "(unreadable URL)"
    port = f":{parts.port}" if parts.port is not None else ""
    path = "".join(c for c in (parts.path or "") if c.isascii() and c.isprintable())[:200]
    return f"{parts.scheme or 'http'}://{host}{port}{path}"


def is_refused(exc: BaseException) -> bool:
    """Whether a connection error is a refused connection (nothing listens at that port)."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:  # requests wraps urllib3, which wraps the socket's error: walk every cause
        current = stack.pop()
        if current is None or id(current) in seen or len(seen) > 32:
            continue
        seen.add(id(current))
        if isinstance(current, ConnectionRefusedError):
            return True
        stack.extend([current.__cause__, current.__context__])
        stack.extend(arg for arg in current.args if isinstance(arg, BaseException))
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            stack.append(reason)
    return False


def unreachable_error(where: str, url: str, exc: BaseException) -> RetryableError:
    """The error for a gateway that could not be reached, naming the URL (never a secret)."""
    if is_refused(exc):
        return RetryableError(
            f"{where}: connection refused by {shown_url(url)}: nothing listens there (check "
            "api_url)",
            reason=REFUSED,
        )
    return RetryableError(
        f"{where}: {type(exc).__name__} talking to the gateway at {shown_url(url)}",
        reason="connection",
    )


_INVALID_FIELDS = "invalid fields list"


def invalid_fields(errors: Sequence[ErrorDetail], requested: Sequence[str]) -> list[str]:
    """The requested fields an "Invalid fields list ..." failure names (empty when it is another
    failure). Only names that were requested count, so the error text cannot invent a field."""
    wanted = {name.upper(): name for name in requested}
    found: list[str] = []
    for error in errors:
        for text in (error.description2, error.description):
            lowered = text.lower()
            at = lowered.find(_INVALID_FIELDS)
            if at < 0:
                continue
            for token in text[at + len(_INVALID_FIELDS) :].replace(",", " ").split():
                name = wanted.get(token.strip("'\".;:").upper())
                if name is not None and name not in found:
                    found.append(name)
    return found
