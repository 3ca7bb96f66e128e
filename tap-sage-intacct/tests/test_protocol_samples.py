"""Pure-function tests of the gateway and schema layers on the gateway samples.

The samples (tests/fixtures/intacct/*.xml) are answers from the official SDKs' fixtures and docs, plus a
few written in the same layout (tests/fixtures/SOURCES.md says which); no server is needed to check
that we parse and classify them the way Sage Intacct's documentation says
(https://developer.intacct.com/web-services/responses/,
https://developer.intacct.com/web-services/error-handling/).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
import simplejson
from lxml import etree

from tap_sage_intacct.gateway import connection, errors, functions, parsing
from tap_sage_intacct.objects import STANDARD_OBJECTS
from tap_sage_intacct.schema import (
    CURRENCY,
    DATE,
    TIMESTAMP,
    ConversionError,
    FieldDef,
    RecordConverter,
    fields_from_lookup,
    json_schema,
    parse_intacct_timestamp,
    parse_offset,
    property_schema,
    to_intacct_timestamp,
)

SAMPLES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "intacct"


def sample(name: str) -> bytes:
    (path,) = SAMPLES.glob(f"{name}_*.xml")
    return path.read_bytes()


def test_session_sample_gives_session_endpoint_and_timeout() -> None:
    response = parsing.read_response(parsing.parse_xml(sample("01")), "getAPISession")
    (result,) = response.results
    assert result.ok
    assert result.function == "getAPISession"
    assert result.data is not None
    assert result.data.findtext("api/sessionid") == "q7Lm2VnX0cTbE9wRkA4sYdHu3Ff6Pj.."
    assert response.session_timeout == datetime(2024, 3, 4, 20, 15, 0, tzinfo=UTC)


def test_entity_session_sample_reports_its_location() -> None:
    response = parsing.read_response(parsing.parse_xml(sample("02")), "getAPISession")
    assert response.locationid == "testentity"
    assert response.session_timestamp is not None
    assert response.session_timestamp.utcoffset() == timedelta(hours=-8)


def test_readbyquery_apbill_page_converts_every_field_exactly() -> None:
    response = parsing.read_response(parsing.parse_xml(sample("03")), "readByQuery")
    data = response.results[0].data
    assert data is not None
    assert data.get("numremaining") == "239"
    (row,) = list(data)
    spec = next(s for s in STANDARD_OBJECTS if s.object_name == "APBILL")
    types = spec.fallback_field_types()
    converter = RecordConverter(types, parse_offset("-07:00"))
    record = converter.convert(row)
    assert record["RECORDNO"] == 2207
    assert record["TRX_ENTITYDUE"] == Decimal("1842.50")
    assert record["WHENCREATED"] == "2023-02-15"
    assert record["WHENPAID"] is None
    assert record["ONHOLD"] is False
    # WHENMODIFIED is in company time, AUWHENCREATED at GMT (the pattern of a recorded APBILL answer):
    # 10:05:44 at -07:00 is the same instant as the fixture's AUWHENCREATED 17:05:44.
    assert record["WHENMODIFIED"] == "2023-02-15T17:05:44+00:00"
    # Both writers give the same values.
    encode = simplejson.JSONEncoder(use_decimal=True, separators=(",", ":")).encode
    fast = json.loads(converter.to_json(row, encode), parse_float=Decimal)
    slow = json.loads(encode(record), parse_float=Decimal)
    assert fast == slow


def test_empty_result_and_single_record_pages() -> None:
    empty = parsing.read_response(parsing.parse_xml(sample("06")), "readByQuery").results[0]
    assert empty.ok
    assert empty.attr_int("totalcount") == 0
    assert empty.data is not None
    assert len(empty.data) == 0
    one = parsing.read_response(parsing.parse_xml(sample("04")), "readByQuery").results[0]
    assert one.data is not None
    assert len(one.data) == 1
    query = parsing.read_response(parsing.parse_xml(sample("07")), "query").results[0]
    assert query.attr_int("numremaining") == 0
    assert query.data is not None
    assert [r.tag for r in query.data] == ["VENDOR", "VENDOR"]


@pytest.mark.parametrize(
    ("name", "expected", "text"),
    [
        ("10", errors.AuthenticationError, "Incorrect Intacct XML Partner ID or password."),
        ("11", errors.AuthenticationError, "Sign-in information is incorrect"),
        ("12", errors.SessionExpiredError, "Invalid session"),
        ("14", errors.FatalError, "XML Parse schema error"),
        ("15", errors.AuthenticationError, "GW-0011"),
    ],
)
def test_control_and_auth_failures_are_classified(name: str, expected: type, text: str) -> None:
    with pytest.raises(errors.IntacctError) as info:
        parsing.read_response(parsing.parse_xml(sample(name)), "query VENDOR")
    assert type(info.value) is expected
    assert text in info.value.message
    assert info.value.message.startswith("query VENDOR: Intacct said:")
    assert "\n" not in info.value.message


def test_function_failure_is_returned_and_classified_fatal() -> None:
    response = parsing.read_response(parsing.parse_xml(sample("13")), "read")
    (result,) = response.results
    assert not result.ok
    error = errors.classify_errors("result", result.errors, "read VENDOR2")
    assert isinstance(error, errors.FatalError)
    assert "Object definition VENDOR2 not found" in error.message


@pytest.mark.parametrize(
    ("errorno", "text", "expected"),
    [
        ("PL04000005", "no access", errors.PermissionDeniedError),
        (
            "",
            "You do not have permission for API operation READ_QUERY on objects of type apbill",
            errors.PermissionDeniedError,
        ),
        ("GW-0010", "Rate limited", errors.RetryableError),
        ("XL03000009", "Please Try Again Later", errors.RetryableError),
        ("DL02000001", "There was an error processing the request.", errors.RetryableError),
        ("BL01001973", "Invalid fields list FOO", errors.FatalError),
        ("DL02000001", "Invalid fields list FOO", errors.FatalError),
    ],
)
def test_result_level_classification(errorno: str, text: str, expected: type) -> None:
    error = errors.classify_errors(
        "result", [errors.ErrorDetail(errorno=errorno, description2=text)], "query APBILL"
    )
    assert type(error) is expected


def test_support_id_is_url_decoded() -> None:
    detail = errors.ErrorDetail("BL1", "", "Bad thing [Support ID: ab%40cd]", "")
    assert detail.text() == "BL1: Bad thing [Support ID: ab@cd]"


def test_lookup_excerpt_gives_fields_types_and_enums() -> None:
    body = sample("08").replace(b"        ...\n", b"").replace(b" ...\n", b"")
    root = etree.fromstring(b"<data>" + body.split(b"-->", 1)[1] + b"</data>")
    fields = fields_from_lookup(root)
    assert [(f.name, f.datatype) for f in fields] == [("RECORDNO", "INTEGER"), ("STATE", "TEXT")]
    assert "Posted" in fields[1].valid_values


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body>Cloudflare cf-error-details</body></html>",
        b"",
        b'<?xml version="1.0"?><response><control><status>succ',
        b'<!DOCTYPE response [<!ENTITY a "aaaa">]><response>&a;</response>',
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><response>&x;</response>',
        # A DTD hidden behind more padding than any prefix check would scan.
        b'<?xml version="1.0"?><!--' + b" " * 20000 + b'--><!DOCTYPE response [<!ENTITY a "x">]>'
        b"<response><control><status>success</status></control><NAME>&a;</NAME></response>",
    ],
)
def test_hostile_or_broken_bodies_are_refused_as_transient(body: bytes) -> None:
    with pytest.raises(errors.RetryableError):
        parsing.parse_xml(body)


def test_envelope_escapes_values_and_orders_login_fields() -> None:
    body = functions.envelope(
        sender_id="s<1>",
        sender_password="p&w",
        authentication=functions.login_block("u", "c", "pw", "DE01"),
        functions=[functions.fn_get_api_session()],
    )
    root = etree.fromstring(body)
    assert root.findtext("control/senderid") == "s<1>"
    assert root.findtext("control/password") == "p&w"
    login = root.find("operation/authentication/login")
    assert login is not None
    assert [c.tag for c in login] == ["userid", "companyid", "password", "locationid"]


def test_keyset_filter_shape() -> None:
    filt = functions.f_or(
        functions.f_gt("WHENMODIFIED", "01/02/2025 10:00:00"),
        functions.f_and(
            functions.f_eq("WHENMODIFIED", "01/02/2025 10:00:00"), functions.f_gt("RECORDNO", 42)
        ),
    )
    query = etree.fromstring(
        functions.fn_query(
            "APBILL", ["RECORDNO"], filter_xml=filt, order_by=("WHENMODIFIED", "RECORDNO")
        )
    )
    assert [o.findtext("field") for o in query.iterfind("orderby/order")] == [
        "WHENMODIFIED",
        "RECORDNO",
    ]
    assert query.find("filter/or/and/greaterthan/value").text == "42"  # type: ignore[union-attr]


def test_time_zone_round_trip_and_dst_free_offsets() -> None:
    pacific = parse_offset("-08:00")
    moment = parse_intacct_timestamp("03/10/2025 01:30:00", pacific)
    assert moment == datetime(2025, 3, 10, 9, 30, tzinfo=UTC)
    assert to_intacct_timestamp(moment, pacific) == "03/10/2025 01:30:00"
    assert parse_offset("+09:30") == timezone(timedelta(hours=9, minutes=30))
    assert parse_offset("Z") == UTC


def test_schema_types_follow_the_issue() -> None:
    assert property_schema(FieldDef("A", "INTEGER")) == {"type": ["integer", "null"]}
    assert property_schema(FieldDef("A", CURRENCY)) == {"type": ["number", "null"]}
    assert property_schema(FieldDef("A", DATE))["format"] == "date"
    assert property_schema(FieldDef("A", TIMESTAMP))["format"] == "date-time"
    # Valid values are documented, never enforced: Intacct adds values over time.
    assert property_schema(FieldDef("A", "ENUM", ("x", "y"))) == {
        "type": ["string", "null"],
        "description": "Valid values: x, y",
    }
    assert "enum" not in property_schema(FieldDef("STATE", "TEXT", ("Draft", "Posted")))
    assert "_sdc_deleted_at" in json_schema([FieldDef("RECORDNO", "INTEGER")])["properties"]


def test_money_is_exact_in_both_writers() -> None:
    converter = RecordConverter({"A": CURRENCY, "B": "PERCENT", "C": "INTEGER"}, UTC)
    row = etree.fromstring(b"<X><A>12345678901234567.01</A><B>-0.10</B><C>007</C></X>")
    encode = simplejson.JSONEncoder(use_decimal=True).encode
    text = converter.to_json(row, encode)
    assert json.loads(text, parse_float=Decimal) == {
        "A": Decimal("12345678901234567.01"),
        "B": Decimal("-0.10"),
        "C": 7,
    }
    assert "12345678901234567.01" in text


@pytest.mark.parametrize(
    ("datatype", "text"),
    [("INTEGER", "1.5"), (CURRENCY, "1,234"), (DATE, "2025-01-02"), ("BOOLEAN", "maybe")],
)
def test_bad_values_raise_a_conversion_error(datatype: str, text: str) -> None:
    converter = RecordConverter({"A": datatype}, UTC)
    row = etree.fromstring(f"<X><A>{text}</A></X>".encode())
    with pytest.raises(ConversionError):
        converter.convert(row)
    with pytest.raises(ConversionError):
        converter.to_json(row, json.dumps)


def test_credentials_repr_hides_passwords() -> None:
    creds = connection.Credentials("s", "sender-secret", "u", "user-secret", "c")
    assert "secret" not in repr(creds)
