"""The values recognition hands to the target: a service and the match that names it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Service:
    """A SaaS or cloud service as LeanIX should see it.

    ``key`` is a stable slug: a catalog key (``"slack"``), ``"user:<slug>"`` for a service named only in the
    user's ``vendor_services`` map, or ``"candidate:<vendor_id>"`` for a vendor that only a software GL
    account (or an include rule) made a service (``"candidate-name:<slug>"`` for one without an ID).
    Slugs keep letters of every script (``normalize.name_slug``): names equal up to case, accents and
    punctuation share a key, other names never do.
    """

    key: str
    name: str
    category: str
    provider: str
    domains: tuple[str, ...] = ()
    candidate: bool = False


@dataclass(frozen=True)
class Match:
    """The outcome of recognising one vendor or card descriptor.

    ``service`` is None when the input is not a service. ``confidence`` is how sure we are of the named
    service (0..1); for a None service it is 1.0 when a rule or the catalog's list of known non-services
    decided it, and 0.0 when nothing matched at all. ``reason`` is one human-readable line.
    """

    service: Service | None
    confidence: float
    reason: str

    @property
    def is_service(self) -> bool:
        """True when the match names a service; otherwise `reason` says why it is none."""
        return self.service is not None
