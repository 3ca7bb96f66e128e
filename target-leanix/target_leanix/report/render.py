"""The review report as one self-contained HTML page: inline style, inline SVG, a few lines of script.

Every string from the ledger goes through `esc`; every figure is an exact `Decimal` as text, and the
elements that show one carry it in `data-amount` (with `data-currency`, `data-figure`) so tests and
tools can read the page back to the cent.
"""

from __future__ import annotations

from decimal import Decimal

from target_leanix.report import plan
from target_leanix.report.data import SOURCES
from target_leanix.report.model import Amounts, Cut, ReportData, ServiceView, TextMatch
from target_leanix.report.svg import esc, hbars, money, plain, sparkline, stacked_months

STYLE = """
*{box-sizing:border-box}body{font:14px/1.45 system-ui,sans-serif;margin:0;overflow-wrap:break-word;color:#1d2330;background:#f6f7f9}
header,main{max-width:1100px;margin:0 auto;padding:12px 16px}header h1{font-size:20px;margin:4px 0}
nav a{margin-right:12px}section{background:#fff;border:1px solid #dde1e7;border-radius:6px;margin:12px 0;
padding:12px 16px}h2{font-size:17px;margin:4px 0 10px}h3{font-size:15px;margin:12px 0 6px}
.cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid #dde1e7;border-radius:6px;padding:8px 12px;
min-width:150px;flex:1 1 150px}.card b{display:block;font-size:18px}.muted{color:#667}
.scroll{overflow-x:auto;max-width:100%}table{border-collapse:collapse;width:100%;font-size:13px}
td,th{border-bottom:1px solid #eceef2;padding:4px 6px;text-align:left;vertical-align:top}
td.n,th.n,td.k{text-align:right;white-space:nowrap}td.k{text-align:left}td{overflow-wrap:anywhere}
.chart{width:100%;max-width:720px;height:auto;display:block}.spark{width:240px;max-width:100%;height:40px}
.legend .key{margin-right:10px;font-size:12px}.legend i{display:inline-block;width:10px;height:10px;
margin-right:4px}pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f2f4f7;padding:8px;
border-radius:4px;font-size:12px}code.rule{display:block;white-space:pre-wrap;overflow-wrap:anywhere;
background:#f2f4f7;padding:2px 4px}button.copy{font-size:11px;margin-top:2px}details{margin:8px 0}
summary{cursor:pointer;font-weight:600}.warn{background:#fff4e0;border-color:#f0c36d}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(300px,100%),1fr));gap:12px}
.grid>*{min-width:0}
"""

SCRIPT = """
document.addEventListener('click',function(e){var b=e.target;if(!b.classList||!b.classList.contains('copy'))return;
var t=b.previousElementSibling.textContent;if(navigator.clipboard){navigator.clipboard.writeText(t).catch(function(){});}
b.textContent='copied';});
"""


def amounts(values: Amounts, figure: str, extra: str = "", sep: str = "<br>") -> str:
    """Per-currency amounts, each in its own element carrying the exact figure."""
    if not values:
        return '<span class="muted">none</span>'
    return sep.join(
        f'<span data-figure="{esc(figure)}" data-currency="{esc(c)}" data-amount="{plain(v)}"{extra}>'
        f"{money(v)} {esc(c)}</span>"
        for c, v in values.items()
    )


def rest_row(part: Cut, columns: int, what: str) -> str:
    """The closing row of a cut list: how many more, and their totals."""
    if not part.rest_count:
        return ""
    return (
        f'<tr class="rest"><td colspan="{columns - 1}">… and {part.rest_count} more {esc(what)}'
        f'</td><td class="n">{amounts(part.rest_amounts, "rest")}</td></tr>'
    )


def table(head: list[str], rows: list[str], numeric: set[int] | None = None) -> str:
    """A table that scrolls inside its box on narrow screens; `numeric` columns align right."""
    numeric = numeric or set()
    cells = "".join(
        f'<th class="n">{esc(h)}</th>' if i in numeric else f"<th>{esc(h)}</th>"
        for i, h in enumerate(head)
    )
    body = "".join(rows) or f'<tr><td colspan="{len(head)}" class="muted">none</td></tr>'
    # Wide enough that no column is squeezed to a letter a line: on a phone the table scrolls.
    width = 95 * len(head)
    return (
        f'<div class="scroll"><table style="min-width:{width}px"><thead><tr>{cells}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def rule_cell(row: TextMatch) -> str:
    """The rule that would change a decision, with a copy button, or why there is none."""
    if not row.rule:
        return f'<span class="muted">{esc(row.rule_effect or "no rule")}</span>'
    return (
        f'<code class="rule">{esc(row.rule)}</code><button class="copy" type="button">copy</button>'
        f'<div class="muted">{esc(row.rule_effect)}</div>'
    )


def overview(data: ReportData) -> str:
    """Totals, unattributed shares, monthly spend by source and the top services."""
    cards = [
        f'<div class="card">services<b data-figure="service-count">'
        f"{len(data.services) + data.other_services.rest_count}</b></div>"
    ]
    for currency, total in data.spend.items():
        unattributed = data.unattributed.get(currency, Decimal(0))
        share = (unattributed / total * 100).quantize(Decimal("0.1")) if total else Decimal(0)
        cards.append(
            f'<div class="card">spend {esc(currency)}<b>{amounts({currency: total}, "spend-total")}</b>'
            f'<span data-figure="unattributed" data-currency="{esc(currency)}" '
            f'data-amount="{plain(unattributed)}">{money(unattributed)}</span> unattributed '
            f"({share}%)</div>"
        )
    charts = "".join(
        f"<div><h3>Spend per month by source, {esc(c)}</h3>"
        f"{stacked_months(months, SOURCES, c)}</div>"
        for c, months in data.monthly.items()
    )
    top = [(s.name, s.cost_total, f"svc-{i}") for i, s in enumerate(data.services[:10])]
    other = ""
    if data.other_services.rest_count:
        other = (
            f"<p>{data.other_services.rest_count} more services with "
            f"{amounts(data.other_services.rest_amounts, 'other-services')} are not shown one by one.</p>"
        )
    window = f"{data.window.start_month}..{data.window.end_month}"
    return (
        f'<section id="overview"><h2>Overview</h2><div class="cards">{"".join(cards)}</div>'
        f'<div class="grid">{charts}</div>'
        f"<h3>Top services: costTotalAnnual {esc(window)}, {esc(data.reporting_currency)}</h3>"
        f"{hbars(top, data.reporting_currency)}{other}</section>"
    )


def changes(data: ReportData) -> str:
    """The publisher's changes: the plan text, counts per kind, the largest changes."""
    title = (
        "Changes LeanIX has not taken yet"
        if data.changes_pending
        else (
            "Plan: what this dry run would change in LeanIX"
            if data.dry_run
            else "Changes sent by this run"
        )
    )
    rows = [
        f"<tr><td>{esc(plan.kind_name(kind))}</td>"
        + "".join(
            f'<td class="n" data-figure="changes" data-kind="{esc(kind)}" data-action="{a}">{n}</td>'
            for a, n in by_action.items()
        )
        + "</tr>"
        for kind, by_action in plan.counts(data.changes)
    ]
    biggest = [
        f"<tr><td>{plan.SYMBOLS[s.change.action]} {esc(s.change.action)}</td>"
        f"<td>{esc(plan.kind_name(s.change.item_type))}</td><td>{esc(s.label)}</td>"
        f'<td class="n">{"" if s.delta is None else esc(money(s.delta) + " " + s.currency)}</td></tr>'
        for s in plan.sized(data.changes, data.reporting_currency)[:20]
    ]
    text = "\n".join(plan.plan_lines(data.changes, data.reporting_currency))
    return (
        f'<section id="changes"><h2>{esc(title)}</h2><pre id="plan">{esc(text)}</pre>'
        f"{table(['kind', 'create', 'update', 'remove'], rows, {1, 2, 3})}"
        f"<h3>Largest changes</h3>{table(['action', 'kind', 'item', 'amount'], biggest, {3})}</section>"
    )


def review(data: ReportData) -> str:
    """Low-confidence matches, unattributed spend and vendors judged no service, with rules."""
    low = [
        f'<tr><td class="k">{esc(r.kind)}</td><td>{esc(r.text)}</td><td>{esc(r.service_name)}</td>'
        f'<td class="n">{r.confidence:.2f}</td><td>{esc(r.reason)}</td><td>{rule_cell(r)}</td></tr>'
        for r in data.low_confidence.rows
    ]
    parts = [
        '<section id="review"><h2>Review</h2><h3>Low-confidence matches (below 0.90)</h3>'
        + table(
            ["kind", "vendor / text", "service", "confidence", "reason", "rule to undo"], low, {3}
        )
    ]
    if data.low_confidence.rest_count:
        parts.append(f"<p>… and {data.low_confidence.rest_count} more.</p>")
    for currency, ranked in data.unattributed_texts.items():
        rows = [
            f'<tr><td class="k">{esc(r.kind)}</td><td>{esc(r.text)}</td><td class="n">{r.lines}</td>'
            f'<td class="n">{amounts({currency: r.amounts[currency]}, "unattributed-text")}</td>'
            f"<td>{esc(r.reason)}</td><td>{rule_cell(r)}</td></tr>"
            for r in ranked.rows
        ]
        parts.append(
            f"<h3>Unattributed spend, {esc(currency)}, largest first</h3>"
            + table(
                ["kind", "descriptor / memo", "lines", "amount", "why", "rule to attribute"],
                [*rows, rest_row(ranked, 6, "texts")],
                {2, 3},
            )
        )
    rows = [
        f'<tr><td>{esc(r.key)}</td><td>{esc(r.text)}</td><td class="n">{r.confidence:.2f}</td>'
        f'<td>{esc(r.reason)}</td><td class="n">{amounts(r.amounts, "vendor-invoices")}</td>'
        f"<td>{rule_cell(r)}</td></tr>"
        for r in data.not_services.rows
    ]
    parts.append(
        "<h3>Vendors judged not a service (by invoiced amount)</h3>"
        + table(
            ["vendor", "name", "confidence", "reason", "invoiced", "rule to include"],
            [*rows, rest_row(data.not_services, 6, "vendors")],
            {2, 4},
        )
        + '<p class="muted">Add a rule to the target\'s <code>recognition</code> setting (lists are '
        "extended, <code>vendor_services</code> merged); the next run recognises the ledger again.</p>"
        "</section>"
    )
    return "".join(parts)


def service(view: ServiceView, anchor: str, currency: str) -> str:
    """One service's collapsible section."""
    vendors = [
        f'<tr><td>{esc(v.key)}</td><td>{esc(v.text)}</td><td class="n">{v.confidence:.2f}</td>'
        f"<td>{esc(v.reason)}</td></tr>"
        for v in view.vendors
    ]
    texts = [
        f'<tr><td class="k">{esc(t.kind)}</td><td>{esc(t.text)}</td><td class="n">{t.lines}</td>'
        f'<td class="n">{t.confidence:.2f}</td><td>{esc(t.reason)}</td>'
        f'<td class="n">{amounts(t.amounts, "text")}</td></tr>'
        for t in view.texts.rows
    ]
    departments = [
        f'<tr><td>{esc(title)}</td><td class="n">{amounts({c: a}, "department")}</td></tr>'
        for title, c, a in view.departments.rows
    ]
    currencies = sorted({c for m in view.months.values() for c in m})
    months = [
        f"<tr><td>{esc(m)}</td>"
        + "".join(f'<td class="n">{money(a[c]) if c in a else ""}</td>' for c in currencies)
        + "</tr>"
        for m, a in view.months.items()
    ]
    sparks = "".join(
        f"<div>{esc(c)} {sparkline([view.months[m].get(c, Decimal(0)) for m in view.months], f'{view.name} {c} per month')}</div>"
        for c in currencies
    )
    invoices = [
        f"<tr><td>{esc(i.object)} {esc(i.recordno)}</td><td>{esc(i.number)}</td><td>{esc(i.date)}</td>"
        f'<td>{esc(i.status)}</td><td class="n">{amounts({i.currency: i.amount}, "invoice")}</td></tr>'
        for i in view.invoices.rows
    ]
    held = (
        ", ".join(f"{esc(plan.kind_name(k))}: {n}" for k, n in view.published.items())
        or "nothing yet"
    )
    cost_held = (
        f"; costTotalAnnual held: {esc(view.published_cost)} {esc(currency)}"
        if view.published_cost is not None
        else ""
    )
    tag = " (candidate)" if view.candidate else ""
    return (
        f'<details id="{esc(anchor)}" data-service="{esc(view.key)}"><summary>{esc(view.name)}{esc(tag)} — '
        f'<span data-figure="service-cost" data-currency="{esc(currency)}" data-amount="{plain(view.cost_total)}">'
        f"{money(view.cost_total)} {esc(currency)}</span></summary>"
        f"<p>key <code>{esc(view.key)}</code>, {esc(view.category)}, provider {esc(view.provider)}. "
        f"All spend: {amounts(view.spend, 'service-spend', sep=', ')}</p>"
        f"<h3>Vendors</h3>{table(['vendor', 'name', 'confidence', 'reason'], vendors, {2})}"
        f"<h3>Card descriptors and memos that matched</h3>"
        f"{table(['kind', 'text', 'lines', 'confidence', 'reason', 'amount'], [*texts, rest_row(view.texts, 6, 'texts')], {2, 3, 5})}"
        f'<div class="grid"><div><h3>Spend by department</h3>'
        f"{table(['department', 'amount'], [*departments, rest_row(view.departments, 2, 'departments')], {1})}</div>"
        f"<div><h3>Spend by month</h3>{sparks}<details><summary>table</summary>"
        f"{table(['month', *currencies], months, set(range(1, len(currencies) + 1)))}</details></div></div>"
        f"<h3>Invoices ({view.invoice_count})</h3>"
        f"{table(['record', 'number', 'date', 'status', 'amount'], [*invoices, rest_row(view.invoices, 5, 'invoices')], {4})}"
        f"<h3>What LeanIX holds now</h3><p>{held}{cost_held}</p></details>"
    )


def render(data: ReportData) -> str:
    """The whole page."""
    stale = ""
    if data.recognition_stale:
        stale = (
            '<section class="warn">The <code>recognition</code> rules given differ from those the '
            "ledger was last recognised with: confidences and reasons are today's rules; the "
            "attribution changes at the next run.</section>"
        )
    mode = "dry run" if data.dry_run else "LeanIX"
    services = "".join(
        service(view, f"svc-{i}", data.reporting_currency) for i, view in enumerate(data.services)
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
        f"<title>LeanIX review: {esc(data.company)}</title><style>{STYLE}</style></head><body>"
        f"<header><h1>Sage Intacct → LeanIX review: {esc(data.company)}</h1>"
        f'<p class="muted">{esc(data.generated)} · ledger {esc(data.ledger)} · {esc(mode)} · '
        f"cost window {esc(data.window.start_month)}..{esc(data.window.end_month)}</p>"
        '<nav><a href="#overview">Overview</a><a href="#changes">Changes</a>'
        '<a href="#review">Review</a><a href="#services">Services</a></nav></header>'
        f"<main>{stale}{overview(data)}{changes(data)}{review(data)}"
        f'<section id="services"><h2>Services</h2>{services}</section></main>'
        f"<script>{SCRIPT}</script></body></html>"
    )
