"""The Sage Intacct XML gateway: everything that knows XML and HTTP, nothing of Singer.

- `errors`: the error classes and `classify_errors` (an `<errormessage>` -> what to do).
- `parsing`: the hardened lxml parse of an answer, whole or streamed row by row to a `RowSink`,
  and `read_response` (control, authentication, function results).
- `rawrows`: the byte path that turns plain rows into JSON text without an XML tree.
- `functions`: the request envelope, login and session blocks, the read functions and the
  `query` filter language.
- `connection`: HTTP transport, size and time bounds, retries, sessions, endpoint checks
  (`IntacctConnection`).

The rest of the tap uses the names below as `gateway.<name>`; tests import the module they test.
"""

from tap_sage_intacct.gateway.connection import (
    DEFAULT_API_URL,
    DEFAULT_MAX_TRIES,
    DEFAULT_REQUEST_TIMEOUT_SECONDS,
    DEFAULT_RETRY_WAIT_SECONDS,
    CallStats,
    Credentials,
    FetchedAnswer,
    IntacctConnection,
    RetryPolicy,
    gateway_origin,
    gateway_session,
    is_loopback,
)
from tap_sage_intacct.gateway.errors import (
    FatalError,
    IntacctError,
    PermissionDeniedError,
    RetryableError,
    classify_errors,
    invalid_fields,
)
from tap_sage_intacct.gateway.functions import (
    MAX_QUERY_PAGE_SIZE,
    MAX_READ_BY_QUERY_PAGE_SIZE,
    f_and,
    f_eq,
    f_ge,
    f_gt,
    f_isnotnull,
    f_isnull,
    f_or,
    fn_get_dimensions,
    fn_inspect_all,
    fn_lookup,
    fn_query,
    fn_read_by_name,
    fn_read_by_query,
    fn_read_entity_details,
    fn_read_more,
    fn_read_user_formatting,
    function_name,
)
from tap_sage_intacct.gateway.parsing import (
    FunctionResult,
    RowSink,
    parse_row,
    raise_for_result,
)
from tap_sage_intacct.gateway.rawrows import RawRowReader, RowKeys, RowLayout

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_MAX_TRIES",
    "DEFAULT_REQUEST_TIMEOUT_SECONDS",
    "DEFAULT_RETRY_WAIT_SECONDS",
    "MAX_QUERY_PAGE_SIZE",
    "MAX_READ_BY_QUERY_PAGE_SIZE",
    "CallStats",
    "Credentials",
    "FatalError",
    "FetchedAnswer",
    "FunctionResult",
    "IntacctConnection",
    "IntacctError",
    "PermissionDeniedError",
    "RawRowReader",
    "RetryPolicy",
    "RetryableError",
    "RowKeys",
    "RowLayout",
    "RowSink",
    "classify_errors",
    "f_and",
    "f_eq",
    "f_ge",
    "f_gt",
    "f_isnotnull",
    "f_isnull",
    "f_or",
    "fn_get_dimensions",
    "fn_inspect_all",
    "fn_lookup",
    "fn_query",
    "fn_read_by_name",
    "fn_read_by_query",
    "fn_read_entity_details",
    "fn_read_more",
    "fn_read_user_formatting",
    "function_name",
    "gateway_origin",
    "gateway_session",
    "invalid_fields",
    "is_loopback",
    "parse_row",
    "raise_for_result",
]
