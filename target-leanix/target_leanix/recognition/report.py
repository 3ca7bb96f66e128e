"""What one run recognised: services found, vendors ignored and why, card spend nobody could attribute."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from target_leanix.recognition.models import Match, Service
from target_leanix.recognition.normalize import clean_descriptor, clip, normalize_descriptor


@dataclass
class _ServiceEntry:
    service: Service
    vendors: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Unattributed:
    descriptor: str  # the first spelling seen; later ones differ only in references and tails
    amount: Decimal = Decimal(0)
    lines: int = 0


_GROUP_CACHE_LIMIT = 4_000


def _reason_kind(reason: str) -> str:
    """Group ignored vendors by the rule that ignored them, for a one-line summary."""
    if reason.startswith("user rule: "):
        return reason.split()[2]
    if reason.startswith("known non-service"):
        return "known non-service"
    if reason.startswith("no catalog match"):
        return "no catalog match"
    return reason.split(":", 1)[0]


class RecognitionReport:
    """Collects matches during a run; renders text lines for logs and a dict for JSON.

    Amounts stay ``Decimal`` (summed per currency, never converted); ``as_dict`` returns them as Decimal
    too, so serialise it with a Decimal-aware encoder (e.g. ``json.dumps(..., default=str)``). Names and
    descriptors are kept as recognition reads them (``normalize.clip``), so the summary stays short.
    """

    def __init__(self) -> None:
        self._services: dict[str, _ServiceEntry] = {}
        self._ignored: list[dict[str, Any]] = []
        self._unattributed: dict[tuple[str, str], _Unattributed] = {}
        # descriptor -> its group: the lines of one card transaction or expense report share their
        # text, and normalising it again for each line was most of the report's cost.
        self._groups: dict[str, str] = {}

    def add_service(self, vendor_id: str, vendor_name: str, match: Match) -> None:
        """Record a vendor recognised as this match's service (the match must name one)."""
        if match.service is None:
            raise ValueError(f"vendor {vendor_id}: add_service needs a match with a service")
        entry = self._services.setdefault(match.service.key, _ServiceEntry(match.service))
        entry.vendors.append(
            {
                "vendor_id": vendor_id,
                "vendor_name": clip(vendor_name),
                "confidence": match.confidence,
                "reason": match.reason,
            }
        )

    def add_ignored(self, vendor_id: str, vendor_name: str, match: Match) -> None:
        """Record a vendor recognised as no service, with the reason."""
        self._ignored.append(
            {
                "vendor_id": vendor_id,
                "vendor_name": clip(vendor_name),
                "confidence": match.confidence,
                "reason": match.reason,
            }
        )

    def add_unattributed(self, descriptor: str, amount: Decimal, currency: str) -> None:
        """Add an unattributed line's Decimal amount to its descriptor group in that currency."""
        # Money never passes through float: a float here is a caller bug, not something to round.
        if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
            raise TypeError(
                f"unattributed {descriptor!r}: amount must be Decimal, got {type(amount).__name__}"
            )
        descriptor = clip(descriptor)
        group = self._groups.get(descriptor)
        if group is None:
            group = normalize_descriptor(descriptor) or clean_descriptor(descriptor)
            if len(self._groups) >= _GROUP_CACHE_LIMIT:
                self._groups.clear()  # descriptors are mostly unique: keep memory flat
            self._groups[descriptor] = group
        key = (currency.upper(), group)
        entry = self._unattributed.get(key)
        if entry is None:
            entry = self._unattributed[key] = _Unattributed(" ".join(descriptor.split()))
        entry.amount += Decimal(amount)
        entry.lines += 1

    # -- rendering ---------------------------------------------------------------------------------

    def _unattributed_by_currency(self) -> dict[str, list[_Unattributed]]:
        by_currency: dict[str, list[_Unattributed]] = {}
        for (currency, _), entry in self._unattributed.items():
            by_currency.setdefault(currency, []).append(entry)
        for entries in by_currency.values():
            entries.sort(key=lambda e: (-e.amount, e.descriptor))
        return dict(sorted(by_currency.items()))

    def as_dict(self, top: int = 10) -> dict[str, Any]:
        """JSON-ready data: services, ignored vendors, top unattributed descriptors per currency."""
        services = sorted(
            self._services.values(), key=lambda e: (e.service.name.casefold(), e.service.key)
        )
        unattributed = {
            currency: {
                "total": sum((e.amount for e in entries), Decimal(0)),
                "lines": sum(e.lines for e in entries),
                "descriptors": len(entries),
                "top": [
                    {"descriptor": e.descriptor, "amount": e.amount, "lines": e.lines}
                    for e in entries[:top]
                ],
            }
            for currency, entries in self._unattributed_by_currency().items()
        }
        return {
            "service_count": len(services),
            "candidate_count": sum(1 for e in services if e.service.candidate),
            "services": [
                {
                    "key": e.service.key,
                    "name": e.service.name,
                    "category": e.service.category,
                    "provider": e.service.provider,
                    "candidate": e.service.candidate,
                    "vendors": list(e.vendors),
                }
                for e in services
            ],
            "ignored_count": len(self._ignored),
            "ignored_by_reason": dict(
                sorted(Counter(_reason_kind(i["reason"]) for i in self._ignored).items())
            ),
            "ignored": list(self._ignored),
            "unattributed": unattributed,
        }

    def lines(self, top: int = 10) -> list[str]:
        """Summary log lines: services and their vendors, ignored vendors, unattributed spend."""
        data = self.as_dict(top)
        vendor_count = sum(len(s["vendors"]) for s in data["services"])
        out = [
            f"{data['service_count']} services ({data['candidate_count']} candidates) "
            f"from {vendor_count} vendors; {data['ignored_count']} vendors ignored"
        ]
        for service in data["services"]:
            vendors = ", ".join(
                f"{v['vendor_id']} {v['vendor_name']!r}" for v in service["vendors"]
            )
            tag = " [candidate]" if service["candidate"] else ""
            first = service["vendors"][0]
            out.append(
                f"service {service['key']} ({service['name']}, {service['category']}){tag}: {vendors}"
                f" - {first['reason']}"
            )
        if data["ignored_by_reason"]:
            summary = ", ".join(f"{kind}: {n}" for kind, n in data["ignored_by_reason"].items())
            out.append(f"ignored vendors by reason: {summary}")
        for ignored in data["ignored"][:top]:
            out.append(
                f"ignored vendor {ignored['vendor_id']} {ignored['vendor_name']!r}: {ignored['reason']}"
            )
        if len(data["ignored"]) > top:
            out.append(f"... and {len(data['ignored']) - top} more ignored vendors")
        for currency, block in data["unattributed"].items():
            out.append(
                f"unattributed spend {currency}: {block['total']} over {block['lines']} lines "
                f"({block['descriptors']} descriptors)"
            )
            for item in block["top"]:
                out.append(
                    f"  {currency} {item['amount']} {item['descriptor']!r} ({item['lines']} lines)"
                )
        return out
