"""Small inline SVG charts, drawn on the server: no script, no library, no network.

Floats appear only as pixel coordinates; every figure printed (labels, tooltips, data attributes) is
the exact `Decimal` as text. Every string is escaped by the caller's `esc`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from html import escape

COLOURS = {
    "card": "#3b6fd1",
    "reimbursement": "#e08a1e",
    "invoice": "#2e9d6a",
    "journal": "#8a5cc2",
}
BAR = "#3b6fd1"


def esc(text: object) -> str:
    """Text safe in HTML and SVG content and attribute values."""
    return escape(str(text), quote=True)


def plain(amount: Decimal) -> str:
    """An exact amount as plain text, for data attributes (never exponent notation)."""
    return format(amount, "f")


def money(amount: Decimal) -> str:
    """An exact amount as text with thousands separators (no float on the way)."""
    return f"{amount:,f}"


def stacked_months(
    months: Mapping[str, Mapping[str, Decimal]],
    sources: Sequence[str],
    currency: str,
    *,
    height: int = 220,
) -> str:
    """Spend per month, one bar per month stacked by source, in one currency."""
    names = sorted(months)
    if not names:
        return '<p class="muted">No spend.</p>'
    totals = [sum((v for v in months[m].values() if v > 0), Decimal(0)) for m in names]
    top = max(totals) or Decimal(1)
    left, bottom, step = 8, 24, 22
    width = left + step * len(names) + 8
    plot = height - bottom - 8
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'preserveAspectRatio="xMinYMin meet" data-chart="months" data-currency="{esc(currency)}" '
        f'aria-label="spend per month by source, {esc(currency)}">'
    ]
    for index, month in enumerate(names):
        x = left + index * step
        y = float(height - bottom)
        for source in sources:
            amount = months[month].get(source)
            if amount is None or amount <= 0:
                continue
            # Only the pixel geometry is a float: the share is exact, the figures shown are Decimal.
            share = amount / top
            h = max(float(share) * plot, 0.5)
            y -= h
            parts.append(
                f'<rect x="{x}" y="{y:.2f}" width="{step - 4}" height="{h:.2f}" '
                f'fill="{COLOURS.get(source, BAR)}" data-month="{esc(month)}" '
                f'data-source="{esc(source)}" data-amount="{plain(amount)}" data-currency="{esc(currency)}">'
                f"<title>{esc(month)} {esc(source)}: {money(amount)} {esc(currency)}</title></rect>"
            )
        if index % 3 == 0:
            parts.append(f'<text x="{x}" y="{height - 8}" font-size="8">{esc(month[2:])}</text>')
    parts.append("</svg>")
    legend = "".join(
        f'<span class="key"><i style="background:{COLOURS.get(s, BAR)}"></i>{esc(s)}</span>'
        for s in sources
    )
    return "".join(parts) + f'<div class="legend">{legend}</div>'


def hbars(rows: Sequence[tuple[str, Decimal, str]], currency: str) -> str:
    """Horizontal bars: (label, exact amount, anchor) per row, the largest bar full width."""
    if not rows:
        return '<p class="muted">Nothing to show.</p>'
    top = max(amount for _, amount, _ in rows) or Decimal(1)
    row_height, label_width, width = 22, 150, 460
    height = row_height * len(rows) + 4
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" data-chart="top-services" '
        f'data-currency="{esc(currency)}" aria-label="top services by spend, {esc(currency)}">'
    ]
    for index, (label, amount, anchor) in enumerate(rows):
        y = index * row_height + 2
        share = amount / top  # exact; only the bar's pixel length is a float
        bar = 0.0
        if amount > 0:
            bar = max(float(share) * (width - label_width - 110), 0.5)
        parts.append(
            f'<a href="#{esc(anchor)}"><text x="0" y="{y + 14}" font-size="11">'
            f"{esc(label[:24])}</text></a>"
            f'<rect x="{label_width}" y="{y + 3}" width="{bar:.2f}" height="{row_height - 8}" '
            f'fill="{BAR}" data-amount="{plain(amount)}" data-currency="{esc(currency)}">'
            f"<title>{esc(label)}: {money(amount)} {esc(currency)}</title></rect>"
            f'<text x="{label_width + bar + 4:.2f}" y="{y + 14}" font-size="10">'
            f"{money(amount)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def sparkline(values: Sequence[Decimal], label: str) -> str:
    """A small line of monthly amounts in one currency."""
    if not values:
        return ""
    top = max(*values, Decimal(0))
    low = min(*values, Decimal(0))
    span = float(top - low) or 1.0
    width, height = 240, 40
    step = width / max(len(values) - 1, 1)
    points = " ".join(
        f"{i * step:.1f},{height - 2 - (float(v - low) / span) * (height - 4):.1f}"
        for i, v in enumerate(values)
    )
    return (
        f'<svg class="spark" role="img" viewBox="0 0 {width} {height}" data-chart="spark" '
        f'aria-label="{esc(label)}"><polyline fill="none" stroke="{BAR}" stroke-width="1.5" '
        f'points="{points}"/></svg>'
    )
