"""Records per second on wide APBILL rows: the tap vs. a loop that only does HTTP + lxml + json.dumps.

Run: .venv/bin/python tap-sage-intacct/scripts/measure_throughput.py [--rows 20000] [--repeat 3]
Both sides read the same rows from the same sandbox (started here with --wide) over real HTTP, with
pages of 2000. Prints figures only; it asserts nothing (no timed assertions in tests).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import threading
import time
from contextlib import redirect_stdout
from typing import Any

import requests
import simplejson  # type: ignore[import-untyped]
from lxml import etree

from sandboxes.common.process import SandboxProcess
from tap_sage_intacct import protocol
from tap_sage_intacct.schema import RecordConverter, datatype_from_property, parse_offset
from tap_sage_intacct.tap import TapSageIntacct

CREDS = {
    "sender_id": "sandbox",
    "sender_password": "sandbox",
    "user_id": "admin",
    "user_password": "admin",
    "company_id": "SANDBOX",
}


class NullOut(io.TextIOBase):
    """Counts what is written, like a pipe to a fast target."""

    def __init__(self) -> None:
        self.chars = 0

    def write(self, text: str) -> int:
        self.chars += len(text)
        return len(text)


def baseline(
    url: str, fields: list[str], pages: list[bytes] | None = None, *, parse: bool = True
) -> tuple[int, float]:
    """The reference loop: POST the same keyset query pages the tap sends (WHENMODIFIED, RECORDNO),
    lxml-parse each page and json.dumps each record. With parse=False: HTTP only (the server's
    ceiling)."""
    http = requests.Session()
    creds = protocol.Credentials(**CREDS)
    conn = protocol.IntacctConnection(
        creds,
        url,
        http=http,
        concurrency=threading.BoundedSemaphore(2),
        retry=protocol.RetryPolicy(),
        stats=protocol.CallStats(),
    )
    conn.ensure_session()
    out = NullOut()
    count = 0
    after: tuple[str, int] | None = None
    start = time.perf_counter()
    while True:
        if after is None:
            filt = protocol.f_isnotnull("WHENMODIFIED")
        else:
            stamp, number = after
            filt = protocol.f_or(
                protocol.f_gt("WHENMODIFIED", stamp),
                protocol.f_and(
                    protocol.f_eq("WHENMODIFIED", stamp), protocol.f_gt("RECORDNO", number)
                ),
            )
        query = protocol.fn_query(
            "APBILL",
            fields,
            filter_xml=filt,
            order_by=("WHENMODIFIED", "RECORDNO"),
            show_private=True,
        )
        body = protocol.envelope(
            sender_id=creds.sender_id,
            sender_password=creds.sender_password,
            authentication=protocol.session_block(conn.session_id),
            functions=[query],
        )
        content = http.post(conn.endpoint, data=body, timeout=300).content
        if pages is not None:
            pages.append(content)
        data = etree.fromstring(content).find("operation/result/data")
        assert data is not None  # noqa: S101
        rows = list(data)
        if parse:
            for row in rows:
                record = {child.tag: child.text for child in row}
                out.write(json.dumps(record) + "\n")
        count += len(rows)
        if int(data.get("numremaining", "0")) == 0 or not rows:
            break
        last = rows[-1]
        after = (last.findtext("WHENMODIFIED") or "", int(last.findtext("RECORDNO") or 0))
    return count, time.perf_counter() - start


def offline(pages: list[bytes], schema: dict[str, Any]) -> tuple[float, float]:
    """Client-side CPU only, on the same recorded pages: the baseline's parse + dumps vs. the tap's
    hardened parse + classification + per-field conversion + RECORD line building. Measured in
    process CPU time, so other load on the machine does not skew the comparison."""
    rows = 0
    start = time.process_time()
    out = NullOut()
    for page in pages:
        data = etree.fromstring(page).find("operation/result/data")
        assert data is not None  # noqa: S101
        for row in data:
            out.write(json.dumps({child.tag: child.text for child in row}) + "\n")
            rows += 1
    base = rows / (time.process_time() - start)
    types = {
        name: datatype_from_property(prop)
        for name, prop in schema["properties"].items()
        if name != "_sdc_deleted_at"
    }
    converter = RecordConverter(types, parse_offset("+00:00"))
    encode = simplejson.JSONEncoder(use_decimal=True, separators=(",", ":")).encode
    prefix, suffix = '{"type":"RECORD","stream":"ap_bill","record":', ',"time_extracted":"x"}\n'
    start = time.process_time()
    for page in pages:
        (result,) = protocol.read_response(protocol.parse_xml(page), "bench").results
        assert result.data is not None  # noqa: S101
        lines = [converter.to_json(row, encode) for row in result.data]
        out.write("".join([prefix + line + suffix for line in lines]))
    return base, rows / (time.process_time() - start)


def tap_run(url: str, catalog: dict[str, Any]) -> tuple[int, float]:
    config = {**CREDS, "api_url": url}
    tap = TapSageIntacct(config=config, catalog=catalog)
    tap.runtime.first_connection()
    _ = tap.runtime.tz
    out = NullOut()
    start = time.perf_counter()
    with redirect_stdout(out):
        tap.sync_all()
    elapsed = time.perf_counter() - start
    stream = tap.streams["ap_bill"]
    return stream.fast_records, elapsed  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with SandboxProcess(
        "intacct-sandbox",
        ["--seed", "7", "--scale", "0.01", "--wide", "--rows", f"APBILL={args.rows}"],
    ) as box:
        url = box.url + "/ia/xml/xmlgw.phtml"
        full = TapSageIntacct(config={**CREDS, "api_url": url}).catalog_dict
        for entry in full["streams"]:
            for item in entry["metadata"]:
                if item["breadcrumb"] == []:
                    item["metadata"]["selected"] = entry["tap_stream_id"] == "ap_bill"
        bill = next(e for e in full["streams"] if e["tap_stream_id"] == "ap_bill")
        fields = [f for f in bill["schema"]["properties"] if f != "_sdc_deleted_at"]
        print(f"APBILL fields: {len(fields)}; rows: {args.rows}; cpus: {os.cpu_count()}")  # noqa: T201
        pages: list[bytes] = []
        baseline(url, fields, pages)
        for attempt in range(args.repeat):
            base_rate, tap_rate = offline(pages, bill["schema"])
            print(  # noqa: T201
                f"client CPU time only, recorded pages, run {attempt + 1}: baseline {base_rate:,.0f} rec/s; "
                f"tap {tap_rate:,.0f} rec/s; baseline rate / tap rate = {base_rate / tap_rate:.2f}"
            )
        for attempt in range(args.repeat):
            n_http, t_http = baseline(url, fields, parse=False)
            print(  # noqa: T201
                f"HTTP only (sandbox ceiling), run {attempt + 1}: {n_http / t_http:,.0f} rec/s"
            )
        for attempt in range(args.repeat):
            n_base, t_base = baseline(url, fields)
            n_tap, t_tap = tap_run(url, full)
            print(  # noqa: T201
                f"end to end over HTTP, run {attempt + 1}: baseline {n_base / t_base:,.0f} rec/s ({n_base} rows, {t_base:.2f}s); "
                f"tap {n_tap / t_tap:,.0f} rec/s ({n_tap} rows, {t_tap:.2f}s); "
                f"tap time / baseline time = {t_tap / t_base:.2f}"
            )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
