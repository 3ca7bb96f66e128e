"""The reference every tap figure is read against: plain HTTP, lxml parsing and json.dumps of each record.

It asks the gateway for the same pages the tap asks for (keyset on WHENMODIFIED, RECORDNO; 2,000 rows a
page) and does nothing else with them: no types, no Singer messages, no state. Whatever the tap does beyond
this loop is the tap's overhead.
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from dataclasses import asdict, dataclass
from xml.sax.saxutils import escape

import requests
from lxml import etree


def _envelope(
    auth: str, function: str, *, sender: str = "sandbox", sender_password: str = "sandbox"
) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><request><control>'
        f"<senderid>{sender}</senderid><password>{sender_password}</password>"
        f"<controlid>{uuid.uuid4()}</controlid><uniqueid>false</uniqueid><dtdversion>3.0</dtdversion>"
        "<includewhitespace>false</includewhitespace></control><operation><authentication>"
        f'{auth}</authentication><content><function controlid="{uuid.uuid4()}">{function}</function>'
        "</content></operation></request>"
    ).encode()


def login(session: requests.Session, gateway: str) -> tuple[str, str]:
    """Log in to the sandbox gateway: (session id, endpoint to send its requests to)."""
    body = _envelope(
        "<login><userid>admin</userid><companyid>SANDBOX</companyid><password>admin</password></login>",
        "<getAPISession/>",
    )
    root = etree.fromstring(
        session.post(gateway, data=body, headers={"Content-Type": "application/xml"}).content
    )
    return root.findtext(".//api/sessionid") or "", root.findtext(".//api/endpoint") or gateway


def _query(
    object_name: str, fields: list[str], after: tuple[str, str] | None, page_size: int
) -> str:
    select = "".join(f"<field>{f}</field>" for f in fields)
    keyset = ""
    if after is not None:
        stamp, recordno = (escape(v) for v in after)
        keyset = (
            "<filter><or>"
            f"<greaterthan><field>WHENMODIFIED</field><value>{stamp}</value></greaterthan>"
            f"<and><equalto><field>WHENMODIFIED</field><value>{stamp}</value></equalto>"
            f"<greaterthan><field>RECORDNO</field><value>{recordno}</value></greaterthan></and>"
            "</or></filter>"
        )
    return (
        f"<query><object>{object_name}</object><select>{select}</select>{keyset}"
        "<orderby><order><field>WHENMODIFIED</field><ascending/></order>"
        "<order><field>RECORDNO</field><ascending/></order></orderby>"
        "<options><showprivate>true</showprivate></options>"
        f"<pagesize>{page_size}</pagesize></query>"
    )


@dataclass(frozen=True)
class LoopResult:
    """What one loop run read: records, gateway calls and wall seconds."""

    records: int
    calls: int
    seconds: float

    @property
    def records_per_second(self) -> float:
        """Records read per wall-clock second (0 when no time was measured)."""
        return self.records / self.seconds if self.seconds else 0.0


def run(
    gateway: str,
    object_name: str,
    fields: list[str],
    page_size: int = 2000,
    *,
    fetch_only: bool = False,
) -> LoopResult:
    """Walk every page. `fetch_only` parses just enough to find the next keyset (the last row of the
    page) and skips per-record work, so its time is the gateway's serving time plus transfer."""
    started = time.perf_counter()
    http = requests.Session()
    session_id, endpoint = login(http, gateway)
    auth = f"<sessionid>{session_id}</sessionid>"
    records = calls = 0
    after: tuple[str, str] | None = None
    sink = 0
    while True:
        payload = _envelope(auth, _query(object_name, fields, after, page_size))
        response = http.post(endpoint, data=payload, headers={"Content-Type": "application/xml"})
        calls += 1
        data = etree.fromstring(response.content).find("operation/result/data")
        if data is None:
            raise RuntimeError(f"no data in answer: {response.content[:500]!r}")
        rows = list(data)
        if not fetch_only:
            for row in rows:
                sink += len(json.dumps({child.tag: child.text or "" for child in row}))
        records += len(rows)
        if not rows or int(data.get("numremaining", "0")) == 0:
            break
        last = rows[-1]
        after = (last.findtext("WHENMODIFIED") or "", last.findtext("RECORDNO") or "")
    return LoopResult(records, calls + 1, time.perf_counter() - started)


def main() -> None:
    """Run as a child process, so the loop's wall time, CPU and peak RSS are measured like the tap's."""
    parser = argparse.ArgumentParser(description="The reference loop: HTTP + lxml + json.dumps.")
    parser.add_argument("--gateway", required=True)
    parser.add_argument("--object", required=True)
    parser.add_argument("--fields", required=True, help="comma-separated field names")
    parser.add_argument("--page-size", type=int, default=2000)
    parser.add_argument("--fetch-only", action="store_true")
    args = parser.parse_args()
    result = run(
        args.gateway,
        args.object,
        args.fields.split(","),
        args.page_size,
        fetch_only=args.fetch_only,
    )
    print(json.dumps(asdict(result)))


if __name__ == "__main__":
    main()
