"""`make demo`: both sandboxes, `meltano run tap-sage-intacct target-leanix` twice, and what landed.

The first run loads the demo company; then the Intacct data changes (a reproducible mix of modified,
new and deleted records) and the second run shows the incremental pick-up. What is printed is read back
from the LeanIX sandbox's workspace, not from the pipeline's own claims. Every run rewrites the target's
review report (`report_path`); its path is printed last. Any failure exits non-zero.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from sandboxes.common.process import SandboxError, SandboxProcess

REPO = Path(__file__).resolve().parents[2]
WORKDIR = REPO / ".demo"
REPORT = WORKDIR / "target-leanix-report.html"  # the review report, rewritten by every run
GATEWAY_PATH = "/ia/xml/xmlgw.phtml"
SPEND_MEASUREMENT = "intacctSpend"
COMMITTED_MEASUREMENT = "intacctCommitted"
CHANGES = {"op": "random", "count": 25, "seed": 11}
RECORD_COUNT = re.compile(r"Stream '(\w+)' wrote (\d+) records")


class DemoError(RuntimeError):
    """A demo step failed (meltano exited non-zero); main prints it on one line and exits 1."""


def meltano(env: dict[str, str], *args: str) -> str:
    """Run meltano like a user would; return its combined output, fail with its tail."""
    command = [str(Path(sys.executable).parent / "meltano"), *args]
    result = subprocess.run(
        command, cwd=REPO, env={**os.environ, **env}, capture_output=True, text=True, check=False
    )
    output = result.stdout + result.stderr
    if result.returncode != 0:
        tail = "\n".join(output.splitlines()[-25:])
        raise DemoError(f"meltano {' '.join(args)} exited {result.returncode}:\n{tail}")
    return output


def records_per_stream(output: str) -> dict[str, int]:
    """Records written per stream, summed from meltano's "Stream ... wrote N records" lines."""
    counts: dict[str, int] = defaultdict(int)
    for stream, value in RECORD_COUNT.findall(output):
        counts[stream] += int(value)
    return dict(counts)


def target_summary(output: str) -> list[str]:
    """The text after "summary: " of each target-leanix summary line in meltano's output."""
    return [line.split("summary: ", 1)[1] for line in output.splitlines() if "summary: " in line]


def _money(amounts: dict[str, Decimal]) -> str:
    return ", ".join(f"{currency} {amount:,.2f}" for currency, amount in sorted(amounts.items()))


def workspace_summary(export: dict[str, Any]) -> list[str]:
    """Lines describing a LeanIX export: fact sheets by type, relations, spend, invoices."""
    fact_sheets = [fs for fs in export["factSheets"] if fs.get("status") != "ARCHIVED"]
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for fact_sheet in fact_sheets:
        by_type[fact_sheet["type"]].append(fact_sheet)
    department_names = {
        (fs.get("externalId") or "").rsplit(":", 1)[-1]: fs["name"] for fs in by_type["UserGroup"]
    }
    service_names = {fs.get("externalId"): fs["name"] for fs in by_type["Application"]}

    spend_by_department: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    # service -> source (invoice, payment, card, reimbursement, journal) -> currency -> amount
    by_source: dict[str, dict[str, dict[str, Decimal]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(Decimal))
    )
    spend: dict[str, Decimal] = defaultdict(Decimal)
    committed: dict[str, Decimal] = defaultdict(Decimal)
    for point in export.get("metrics", []):
        tags = {tag["key"]: tag["value"] for tag in point.get("tags", [])}
        amount = sum((Decimal(v) for v in point.get("fields", {}).values()), Decimal(0))
        if point.get("measurement") == COMMITTED_MEASUREMENT:
            committed[tags.get("currency", "?")] += amount
        if point.get("measurement") != SPEND_MEASUREMENT:
            continue
        spend[tags.get("currency", "?")] += amount
        department = department_names.get(tags.get("department", ""), "(no department)")
        spend_by_department[department][tags.get("currency", "?")] += amount
        service = service_names.get(tags.get("service"), tags.get("service", "?"))
        by_source[service][tags.get("source", "untagged")][tags.get("currency", "?")] += amount

    cost_of = {
        relation["from"].get("externalId"): Decimal(str(relation["fields"]["costTotalAnnual"]))
        for relation in export.get("relations", [])
        if "costTotalAnnual" in relation.get("fields", {})
    }
    costs = list(cost_of.values())
    top = sorted(
        ((cost, service_names.get(external_id, "?")) for external_id, cost in cost_of.items()),
        key=lambda entry: (-entry[0], entry[1]),
    )[:10]
    invoices: dict[str, int] = defaultdict(int)
    for document in export.get("documents", []):
        # Documents are named "Intacct <OBJECT> <RECORDNO>" by target-leanix.
        parts = (document.get("name") or "").split(" ")
        kind = parts[1] if len(parts) == 3 else "other"
        invoices[kind] += 1

    return [
        f"services (Applications): {len(by_type['Application'])}, providers: "
        f"{len(by_type['Provider'])}, SaaS IT components: {len(by_type['ITComponent'])}",
        f"departments (Organizations): {len(by_type['UserGroup'])}",
        f"relations: {len(export.get('relations', []))}",
        f"spend (intacctSpend points): {_money(spend) or 'none'}",
        f"costTotalAnnual: {sum(costs, Decimal(0)):,.2f} over {len(costs)} services",
        f"committed (intacctCommitted points): {_money(committed) or 'none'}",
        "spend per department:",
        *(
            f"  {name:<28} {_money(amounts)}"
            for name, amounts in sorted(spend_by_department.items())
        ),
        "top services by costTotalAnnual, with all their spend by source:",
        *(
            f"  {name:<24} {cost:>14,.2f}  "
            + "; ".join(
                f"{source} {_money(amounts)}" for source, amounts in sorted(by_source[name].items())
            )
            for cost, name in top
        ),
        "invoices (documents on services): "
        + ", ".join(f"{kind} {count}" for kind, count in sorted(invoices.items())),
    ]


def print_block(title: str, lines: list[str]) -> None:
    """Print a titled block of indented lines."""
    print(f"\n== {title}")
    for line in lines:
        print(f"   {line}")


def run_demo() -> None:
    """Start both sandboxes, run the pipeline, change Intacct data, run it again, print results."""
    shutil.rmtree(WORKDIR, ignore_errors=True)
    WORKDIR.mkdir()
    started = time.perf_counter()
    with (
        SandboxProcess("intacct-sandbox", ["--seed", "7", "--scale", "1"]) as intacct,
        SandboxProcess("leanix-sandbox", ["--db", str(WORKDIR / "leanix.sqlite")]) as leanix,
    ):
        print(f"Intacct sandbox: {intacct.url}   LeanIX sandbox: {leanix.url}")
        env = {
            "MELTANO_ENVIRONMENT": "sandbox",
            "MELTANO_DATABASE_URI": f"sqlite:///{WORKDIR / 'meltano.db'}",
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "TAP_SAGE_INTACCT_API_URL": intacct.url + GATEWAY_PATH,
            "TARGET_LEANIX_BASE_URL": leanix.url,
            "TARGET_LEANIX_LEDGER_PATH": str(WORKDIR / "ledger.sqlite"),
            "TARGET_LEANIX_REPORT_PATH": str(REPORT),
        }
        print("\n-> meltano run tap-sage-intacct target-leanix (first run: everything)")
        output = meltano(env, "run", "tap-sage-intacct", "target-leanix")
        first = records_per_stream(output)
        print_block("records read from Intacct", [f"{sum(first.values())} in {len(first)} streams"])
        print_block("target-leanix summary", target_summary(output))
        print_block(
            "what landed in LeanIX", workspace_summary(leanix.admin("GET", "/admin/export"))
        )

        changes = intacct.admin("POST", "/admin/mutate", {"ops": [CHANGES]})
        print(f"\n-> changed Intacct data: {describe_changes(changes)}")
        print("-> meltano run tap-sage-intacct target-leanix (second run: incremental)")
        output = meltano(env, "run", "tap-sage-intacct", "target-leanix")
        second = records_per_stream(output)
        full = sorted(s for s, n in second.items() if n and n == first.get(s))
        print_block(
            "records read from Intacct",
            [
                f"{sum(second.values())} (first run: {sum(first.values())}): records modified since "
                "the last run's bookmark (WHENMODIFIED), a changed header's lines, deletes from "
                "the audit trail"
                + (
                    f", and every record of {', '.join(full)} (read in full each run)"
                    if full
                    else ""
                )
            ]
            + [f"{stream}: {count}" for stream, count in sorted(second.items()) if count],
        )
        print_block("target-leanix summary", target_summary(output))
        print_block(
            "what landed in LeanIX", workspace_summary(leanix.admin("GET", "/admin/export"))
        )
    if not REPORT.is_file():
        raise DemoError(
            f"target-leanix wrote no review report at {REPORT}: the installed plugin predates "
            "report_path; reinstall it (make plugins)"
        )
    print(f"\nReview report (open it in a browser): {REPORT}")
    print(f"\nDemo finished in {time.perf_counter() - started:.0f} s; sandboxes stopped.")


def describe_changes(answer: Any) -> str:  # noqa: ANN401 - the sandbox's JSON answer
    """`op count, ...` of a /admin/mutate answer (the answer's start if it lists no change)."""
    counts: dict[str, int] = defaultdict(int)
    for result in answer.get("results", []) if isinstance(answer, dict) else []:
        for change in result.get("done", []) if isinstance(result, dict) else []:
            counts[f"{change.get('op', '?')}"] += 1
    return ", ".join(f"{op} {n}" for op, n in sorted(counts.items())) or str(answer)[:200]


def main() -> None:
    """Run the demo; a failure prints one line to stderr and exits 1, without a traceback."""
    try:
        run_demo()
    except (DemoError, SandboxError, OSError) as exc:
        print(f"demo failed: {exc}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
