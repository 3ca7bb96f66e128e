"""One target run: settings, recognition, ledger writes, publication and the run summary.

The SDK glue (`sinks.py`, `target.py`) hands each drained batch of mapped items to `Pipeline.ingest`,
which commits it to the ledger with its dirty marks; `Pipeline.publish` (once per drain of all sinks,
before any STATE goes out) returns only once LeanIX confirmed everything they made dirty.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from target_leanix.currency import FallbackRates, RatesSettingError
from target_leanix.insights import SUBSCRIPTION_TYPES, InsightSettings
from target_leanix.ldif import DEFAULT_RECORD_URL_TEMPLATE
from target_leanix.leanix import LeanIXClient, RetryPolicy, base_url_problem
from target_leanix.ledger import (
    CASH,
    RECOGNITION_KEYS_CHANGED,
    SPEND_BASES,
    BooksPolicy,
    ClassifiedSpend,
    CostWindow,
    Entry,
    Ledger,
    ServiceInfo,
)
from target_leanix.mapping import (
    EmployeeItem,
    Item,
    SpendHeaderItem,
    SpendKind,
    SpendLineItem,
    VendorItem,
)
from target_leanix.private_files import PrivateFileError
from target_leanix.publisher import DryRunWriter, LeanIXWriter, Publisher, PublishSettings, Writer
from target_leanix.recognition import Match, RecognitionReport, RecognitionRules, Recognizer
from target_leanix.recognition.matcher import user_service_key
from target_leanix.recognition.normalize import clip
from target_leanix.report.build import build_report, write_report
from target_leanix.report.plan import plan_lines
from target_leanix.settings import with_setting_defaults
from target_leanix.summary import summary_lines

DEFAULT_LEDGER_PATH = "target-leanix-ledger.sqlite"
MATCH_CACHE_LIMIT = 4_000  # recognition verdicts kept per run
#: Tries per HTTP call at most: with the 30 s backoff cap and 120 s Retry-After cap, one call gives up
#: within about 40 minutes even when LeanIX answers 429 every time.
MAX_ATTEMPTS = 20
#: Most entries in `service_terms` and `gl_spend_accounts`.
MAX_LIST_SETTING = 10_000
# Lines whose service their own memo names (recognition's `match_text`).
_TEXT_KINDS = frozenset({SpendKind.EXPENSE, SpendKind.JOURNAL})


class SettingsError(ValueError):
    """A configuration value the target cannot use; the message names the setting."""


@dataclass(frozen=True)
class Settings:
    """The target's settings as the run uses them, checked and with defaults applied."""

    company_key: str
    dry_run: bool
    dry_run_path: Path
    base_url: str
    api_token: str
    ledger_url: str
    ledger_table_prefix: str
    ledger_rebuild: bool
    ledger_lock_timeout: float
    reporting_currency: str
    window: CostWindow
    fallback_rates: FallbackRates
    exchange_rate_type: str | None
    record_url_template: str
    recognition: Mapping[str, Any] | None
    books: BooksPolicy
    max_items_per_run: int
    on_bad_record: str
    on_unknown_stream: str
    fail_on_run_errors: bool
    poll_interval: float
    max_attempts: int
    backoff_seconds: float
    report_path: Path | None = None
    insights: InsightSettings = field(default_factory=InsightSettings.none)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        """The settings of `config`, each one left out taking its default from the settings schema."""
        config = with_setting_defaults(config)
        company = str(config.get("company_key") or "").strip()
        if not company or any(ch in company for ch in ": /"):
            raise SettingsError(
                "setting company_key is required and may not contain ':', '/' or spaces "
                "(it is part of every external ID)"
            )
        dry_run = bool(config["dry_run"])
        base_url = str(config.get("base_url") or "").rstrip("/")
        api_token = str(config.get("api_token") or "")
        if not dry_run and not base_url:
            raise SettingsError(
                "setting base_url must be the workspace URL, e.g. https://eu.leanix.net "
                "(or set dry_run=true)"
            )
        if base_url:
            problem = base_url_problem(base_url)
            if problem is not None:
                raise SettingsError(f"setting base_url {problem}")
        if not dry_run and not api_token:
            raise SettingsError("setting api_token is required unless dry_run is true")
        ledger_url = _ledger_url(config, dry_run=dry_run)
        currency = str(config["reporting_currency"]).upper()
        if len(currency) != 3 or not currency.isalpha():
            raise SettingsError("setting reporting_currency must be a three-letter ISO code")
        template = str(config.get("intacct_record_url_template") or DEFAULT_RECORD_URL_TEMPLATE)
        try:
            template.format(recordno="1", object="APBILL", object_lower="apbill", company="C")
        except (KeyError, IndexError, ValueError):
            raise SettingsError(
                "setting intacct_record_url_template may only use {recordno}, {object}, "
                "{object_lower} and {company}"
            ) from None
        batch_size = config.get("batch_size_rows")
        if batch_size is not None:
            _number(config, "batch_size_rows", 1, 10**9, integer=True)
        policy = str(config["on_bad_record"])
        unknown = str(config["on_unknown_stream"])
        if policy not in {"fail", "skip"} or unknown not in {"fail", "skip"}:
            raise SettingsError("settings on_bad_record and on_unknown_stream are 'fail' or 'skip'")
        recognition = config.get("recognition")
        report_path = str(config.get("report_path") or "").strip()
        return cls(
            company_key=company,
            dry_run=dry_run,
            dry_run_path=Path(str(config["dry_run_path"])),
            base_url=base_url,
            api_token=api_token,
            ledger_url=ledger_url,
            ledger_table_prefix=str(config["ledger_table_prefix"]),
            ledger_rebuild=bool(config["ledger_rebuild"]),
            ledger_lock_timeout=_number(
                config, "ledger_lock_timeout_seconds", 0, 86_400, integer=True
            ),
            reporting_currency=currency,
            window=_window(config),
            fallback_rates=_fallback_rates(config),
            exchange_rate_type=str(config.get("exchange_rate_type") or "").strip() or None,
            record_url_template=template,
            recognition=recognition if isinstance(recognition, Mapping) else None,
            books=_books(config),
            max_items_per_run=int(_number(config, "max_items_per_run", 1, 100_000, integer=True)),
            on_bad_record=policy,
            on_unknown_stream=unknown,
            fail_on_run_errors=bool(config["fail_on_run_errors"]),
            poll_interval=_number(config, "poll_interval_seconds", 0.01, 60),
            max_attempts=int(_number(config, "max_attempts", 1, MAX_ATTEMPTS, integer=True)),
            backoff_seconds=_number(config, "backoff_seconds", 0, 30),
            report_path=Path(report_path).expanduser() if report_path else None,
            insights=InsightSettings(
                lifecycle=bool(config["insight_lifecycle"]),
                phase_out_after_months=int(
                    _number(config, "phase_out_after_months", 1, 120, integer=True)
                ),
                channel_tags=bool(config["insight_payment_channel_tags"]),
                shadow_it_tags=bool(config["insight_shadow_it_tags"]),
                duplicate_spend_tags=bool(config["insight_duplicate_spend_tags"]),
                owners=bool(config["insight_owners"]),
                owner_subscription_type=_subscription_type(config),
                owner_subscription_role=str(config["owner_subscription_role"]).strip()[:100],
            ),
        )


def _fallback_rates(config: Mapping[str, Any]) -> FallbackRates:
    try:
        return FallbackRates.from_setting(config.get("rates"))
    except RatesSettingError as error:
        raise SettingsError(str(error)) from None


def _subscription_type(config: Mapping[str, Any]) -> str:
    kind = str(config["owner_subscription_type"]).strip().upper()
    if kind not in SUBSCRIPTION_TYPES:
        raise SettingsError(
            f"setting owner_subscription_type must be one of {', '.join(SUBSCRIPTION_TYPES)}"
        )
    return kind


def _number(
    config: Mapping[str, Any],
    name: str,
    low: float,
    high: float,
    *,
    integer: bool = False,
) -> float:
    """A numeric setting within [low, high]; NaN and infinity are refused."""
    value = config[name]
    kind = "a whole number" if integer else "a number"
    try:
        number = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        number = math.nan
    if not low <= number <= high or (integer and number != int(number)):
        raise SettingsError(f"setting {name} must be {kind} from {low:g} to {high:g}")
    return number


def _ledger_url(config: Mapping[str, Any], *, dry_run: bool) -> str:
    ledger_url = str(config.get("ledger_url") or "")
    ledger_path = str(config.get("ledger_path") or "")
    if ledger_url and ledger_path:
        raise SettingsError("set either ledger_url or ledger_path, not both")
    if ledger_url:
        _check_ledger_url(ledger_url)
        return ledger_url
    if ledger_path:
        return f"sqlite:///{Path(ledger_path).expanduser().resolve()}"
    if dry_run:
        return "sqlite://"  # a dry run without a ledger starts from nothing
    return f"sqlite:///{Path(DEFAULT_LEDGER_PATH).resolve()}"


def _check_ledger_url(url: str) -> None:
    """Fail at start, naming the setting, when SQLAlchemy cannot use the URL (never echo a password)."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        raise SettingsError("setting ledger_url is not a SQLAlchemy database URL") from None
    try:
        parsed.get_dialect()
    except (sa.exc.NoSuchModuleError, ImportError) as error:
        shown = parsed.render_as_string(hide_password=True)
        raise SettingsError(
            f"setting ledger_url {shown!r} names a database driver that is not installed "
            f"({type(error).__name__})"
        ) from None


def _books(config: Mapping[str, Any]) -> BooksPolicy:
    """How bills, payments and journals count: `spend_basis`, `service_terms`, `gl_spend_accounts`."""
    basis = str(config["spend_basis"])
    if basis not in SPEND_BASES:
        raise SettingsError("setting spend_basis is 'accrual' or 'cash'")
    terms = config["service_terms"]
    if not isinstance(terms, Mapping) or len(terms) > MAX_LIST_SETTING:
        raise SettingsError(
            f"setting service_terms is an object of at most {MAX_LIST_SETTING} service keys or "
            "vendor IDs, each to a number of months from 1 to 120"
        )
    service_terms: dict[str, int] = {}
    for key, months in terms.items():
        if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 120:
            raise SettingsError(
                f"setting service_terms: {clip(str(key))!r} must map to a whole number of months "
                "from 1 to 120"
            )
        service_terms[str(key)] = months
    accounts = config["gl_spend_accounts"]
    if (
        not isinstance(accounts, Sequence)
        or isinstance(accounts, str)
        or len(accounts) > MAX_LIST_SETTING
        or not all(isinstance(a, str | int) and not isinstance(a, bool) for a in accounts)
    ):
        raise SettingsError(
            f"setting gl_spend_accounts is a list of at most {MAX_LIST_SETTING} GL account numbers"
        )
    return BooksPolicy(
        basis=basis,
        service_terms=service_terms,
        gl_spend_accounts=frozenset(str(a).strip() for a in accounts if str(a).strip()),
    )


def _window(config: Mapping[str, Any]) -> CostWindow:
    months = int(_number(config, "cost_window_months", 1, 120, integer=True))
    end_text = config.get("cost_window_end")
    try:
        end = dt.date.fromisoformat(str(end_text)) if end_text else dt.datetime.now(dt.UTC).date()
    except ValueError:
        raise SettingsError("setting cost_window_end must be an ISO date (YYYY-MM-DD)") from None
    return CostWindow.ending(end, months)


def recognition_fingerprint(recognition: Mapping[str, Any] | None, catalog_version: str) -> str:
    """What the ledger remembers of the rules and catalog it was recognised with."""
    text = json.dumps([recognition, catalog_version], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _service_info(match: Match) -> ServiceInfo | None:
    service = match.service
    if service is None:
        return None
    return ServiceInfo(
        key=service.key,
        name=service.name,
        category=service.category,
        provider=service.provider,
        candidate=bool(service.candidate),
    )


class Pipeline:
    """One run: recognition, ledger writes, publication to LeanIX (or dry run) and summary."""

    def __init__(
        self, settings: Settings, logger: logging.Logger, rules: RecognitionRules | None = None
    ) -> None:
        self.settings = settings
        self.logger = logger
        self.recognizer = Recognizer(
            rules=rules if rules is not None else RecognitionRules.from_config(settings.recognition)
        )
        self.report = RecognitionReport()
        self.ledger = Ledger(
            settings.ledger_url,
            settings.ledger_table_prefix,
            lock_timeout=settings.ledger_lock_timeout,
        )
        self.ledger.create()
        self.ledger.bind_company(settings.company_key)
        self.client: LeanIXClient | None = None
        writer: Writer
        if settings.dry_run:
            writer = DryRunWriter(settings.dry_run_path, settings.company_key)
        else:
            self.client = LeanIXClient(
                settings.base_url,
                settings.api_token,
                retry=RetryPolicy(
                    max_tries=settings.max_attempts, initial_wait=settings.backoff_seconds
                ),
                poll_interval=settings.poll_interval,
            )
            writer = LeanIXWriter(
                self.client, settings.company_key, fail_on_errors=settings.fail_on_run_errors
            )
        self.publisher = Publisher(
            self.ledger,
            writer,
            PublishSettings(
                company=settings.company_key,
                window=settings.window,
                reporting_currency=settings.reporting_currency,
                record_url_template=settings.record_url_template,
                max_items_per_run=settings.max_items_per_run,
                ledger_rebuild=settings.ledger_rebuild,
                books=settings.books,
                fallback_rates=settings.fallback_rates,
                exchange_rate_type=settings.exchange_rate_type,
                insight_settings=settings.insights,
            ),
            lifecycle_reader=self.client.lifecycles if self.client is not None else None,
        )
        self._other_basis_kind = (
            SpendKind.BILL if settings.books.basis == CASH else SpendKind.PAYMENT
        )
        self._match_cache: dict[tuple[str, str], Match] = {}
        self._vendor_matches: dict[str, tuple[str, Match]] = {}
        self._vendor_not_software: dict[str, bool] = {}
        self._text_not_software: dict[tuple[str, str], bool] = {}
        # The exact amounts of the spend lines ingested, per currency (as received, repeats included).
        self.spend_ingested: dict[str, Decimal] = defaultdict(Decimal)
        self.records_written: dict[str, int] = defaultdict(int)
        self.records_deleted: dict[str, int] = defaultdict(int)
        self.deletes_unknown: dict[str, int] = defaultdict(int)
        self.records_ingested = 0
        self.checkpoints = 0
        self.skipped: list[str] = []
        self.unknown_streams: set[str] = set()
        self._window_checked = False
        self._recognition_checked = False

    def _match(self, how: str, text: str) -> Match:
        # Recognition reads only the clipped text, so the verdict is keyed by it: a huge descriptor
        # then costs no more memory in the cache than one of `MAX_TEXT_CHARS` characters.
        key = (how, clip(text).strip().lower())
        cached = self._match_cache.get(key)
        if cached is None:
            if how == "descriptor":
                cached = self.recognizer.match_descriptor(text)
            else:
                cached = self.recognizer.match_text(text)
            # Card descriptors carry store and order numbers, so nearly every one is new: a bound
            # keeps memory flat however long the input (the recognizer keeps its own cache too).
            if len(self._match_cache) >= MATCH_CACHE_LIMIT:
                self._match_cache.clear()
            self._match_cache[key] = cached
        return cached

    def _match_vendor(self, vendor_id: str, name: str, website: str | None) -> Match:
        match = self.recognizer.match_vendor(
            vendor_id,
            name,
            gl_accounts=self.ledger.vendor_accounts(vendor_id),
            website=website,
        )
        self._vendor_matches[vendor_id] = (name, match)  # the latest verdict goes to the report
        return match

    def _entry(self, item: Item) -> Entry:
        if item.deleted:
            return Entry(item)
        if isinstance(item, VendorItem):
            match = self._match_vendor(item.vendor_id, item.name, item.website)
            return Entry(item, _service_info(match))
        if isinstance(item, SpendHeaderItem) and item.kind is SpendKind.CARD:
            return Entry(item, _service_info(self._match("descriptor", item.descriptor)))
        if isinstance(item, SpendLineItem):
            # A bill and its payment are the same money: received spend counts the basis's one.
            if item.kind is not self._other_basis_kind:
                self.spend_ingested[item.currency] += item.amount
            if item.kind in _TEXT_KINDS and item.description:
                return Entry(item, _service_info(self._match("text", item.description)))
        return Entry(item)

    def _kept(self, item: Item) -> Item:
        """A journal line on an account that is no spend account is not kept: a tombstone
        replaces whatever earlier version of it the ledger holds (lines can move accounts)."""
        if (
            isinstance(item, SpendLineItem)
            and item.kind is SpendKind.JOURNAL
            and not item.deleted
            and item.accountno not in self.settings.books.gl_spend_accounts
        ):
            return replace(item, deleted=True)
        return item

    def ingest(self, items: Sequence[Item]) -> None:
        """Write a batch to the ledger with the dirty marks it causes; `publish` sends them later.

        The target publishes once per drain of all sinks (before it passes STATE on), so each
        LeanIX publication covers every stream's batch instead of one sink's."""
        self.publisher.check_fresh_ledger()
        self._check_window()
        self._check_recognition()
        if not self.settings.insights.owners:
            # Employees' e-mail is kept only for owner subscriptions (README: Owners, privacy).
            items = [item for item in items if not isinstance(item, EmployeeItem)]
        kept = [self._kept(item) for item in items]
        entries = [self._entry(item) for item in kept]
        stats = self.ledger.write(entries)
        for name, count in stats.written.items():
            self.records_written[name] += count
        for name, count in stats.deleted.items():
            self.records_deleted[name] += count
        # Journal lines on other accounts went in as tombstones; Intacct deleted none of them.
        off_accounts = sum(1 for item, given in zip(kept, items, strict=True) if item is not given)
        if off_accounts:
            self.records_deleted[SpendLineItem.__name__] -= off_accounts
        for name, count in stats.deleted_unknown.items():
            self.deletes_unknown[name] += count
        self.records_ingested += len(items)
        # New GL accounts on a vendor's bills can make it a (candidate) service, or stop it being one.
        # Under the ledger's lock: a partition sharing the ledger may add accounts to the same vendor,
        # and a verdict from accounts read before its commit must not land after its own.
        if stats.vendors_to_recognize:
            with self.ledger.lock.hold():
                self._recognize_vendors_again(sorted(stats.vendors_to_recognize))

    def _recognize_vendors_again(self, vendor_ids: Sequence[str]) -> None:
        for vendor_id in vendor_ids:
            vendor = self.ledger.vendor_for_recognition(vendor_id)
            if vendor is not None:
                match = self._match_vendor(vendor_id, *vendor)
                self.ledger.set_vendor_service(vendor_id, _service_info(match))

    def publish(self) -> None:
        """Send what the ledger's dirty marks say changed; one progress line when anything was."""
        sent = self.publisher.publish()
        if sent:
            self.checkpoints += 1
            self.logger.info(
                "published checkpoint %d: %s records so far, %s items sent to LeanIX",
                self.checkpoints,
                f"{self.records_ingested:,}",
                f"{sent:,}",
            )

    def _check_recognition(self) -> None:
        """New rules or a new catalog may change which service a vendor, descriptor or memo is:
        recognise everything in the ledger again, so totals follow without a full resync."""
        if self._recognition_checked:
            return
        self._recognition_checked = True
        fingerprint = recognition_fingerprint(
            self.settings.recognition, self.recognizer.catalog.version
        )
        recorded = self.ledger.get_meta("recognition")
        if recorded not in (None, fingerprint):
            moved = 0
            for vendor_id, name, website in self.ledger.live_vendors():
                match = self._match_vendor(vendor_id, name, website)
                moved += self.ledger.set_vendor_service(vendor_id, _service_info(match))
            for descriptor in self.ledger.card_descriptors():
                match = self._match("descriptor", descriptor)
                moved += self.ledger.set_descriptor_service(descriptor, _service_info(match))
            for text in self.ledger.expense_texts():
                service = _service_info(self._match("text", text)) if text else None
                moved += self.ledger.set_text_service(text, service)
            self.logger.info(
                "recognition rules or catalog changed: recognised the ledger again, %d moved", moved
            )
        if recorded == RECOGNITION_KEYS_CHANGED:
            # Services named by user rules whose names shared a key under ledger schema 2 (e.g. all
            # without Latin letters shared `user:unnamed`) now have keys of their own.
            retired = self.ledger.retire_services(
                lambda key, name: key.startswith("user:") and key != user_service_key(name)
            )
            if retired:
                self.logger.info("service keys changed: retired %s", ", ".join(retired))
        self.ledger.set_meta("recognition", fingerprint)

    def _check_window(self) -> None:
        """A new cost window (a new month) changes every service's costTotalAnnual."""
        if self._window_checked:
            return
        window = self.settings.window
        # The fallback rates and rate type change every converted costTotalAnnual as well, and the
        # spend basis, service terms and GL spend accounts change spend as the window does.
        rates = json.dumps(
            [
                {
                    c: [[m, str(r)] for m, r in v]
                    for c, v in self.settings.fallback_rates.rates.items()
                },
                self.settings.exchange_rate_type,
            ],
            sort_keys=True,
        )
        current = (
            f"{window.start_month}..{window.end_month}:{self.settings.reporting_currency}"
            f":{hashlib.sha256(rates.encode()).hexdigest()[:16]}"
            f":{self.settings.books.fingerprint()}"
        )
        if self.ledger.get_meta("cost_window") not in (None, current):
            self.logger.info(
                "cost window (%s..%s), reporting currency %s or fallback rates changed: "
                "recomputing every service",
                window.start_month,
                window.end_month,
                self.settings.reporting_currency,
            )
            self.ledger.mark_all_services_dirty()
        self.ledger.set_meta("cost_window", current)
        # Insights switched on or off, or a new phase-out threshold, change every service's items.
        insights = json.dumps(dataclasses.asdict(self.settings.insights), sort_keys=True)
        # A ledger from before insights records none: its services get their insight items now.
        if self.ledger.get_meta("insights") != insights:
            self.logger.info("insight settings changed: recomputing every service")
            self.ledger.mark_all_services_dirty()
        self.ledger.set_meta("insights", insights)
        if not self.settings.insights.owners and self.ledger.forget_employees():
            self.logger.info("insight_owners is off: the employees' names and e-mail were deleted")
        self._window_checked = True

    def finish(self) -> None:
        """Publish leftovers (dirty marks of an interrupted earlier run), then log the summary."""
        self.publisher.check_fresh_ledger()
        self._check_window()
        self._check_recognition()
        self.publish()

    def log_plan(self) -> None:
        """In a dry run, log what the run's publications would have changed in LeanIX."""
        if not self.settings.dry_run:
            return
        for line in plan_lines(self.publisher.changes, self.settings.reporting_currency):
            self.logger.info("plan: %s", line)

    def write_report(self) -> None:
        """Write the review report to `report_path`, when set (dry runs included)."""
        path = self.settings.report_path
        if path is None:
            return
        data = build_report(
            self.ledger,
            self.publisher,
            company=self.settings.company_key,
            window=self.settings.window,
            reporting_currency=self.settings.reporting_currency,
            recognizer=self.recognizer,
            recognition=self.settings.recognition,
            recognition_fingerprint=recognition_fingerprint(
                self.settings.recognition, self.recognizer.catalog.version
            ),
            dry_run=self.settings.dry_run,
            run_changes=self.publisher.changes,
        )
        try:
            size = write_report(path, data)
        except (PrivateFileError, OSError) as error:
            # LeanIX and STATE are done by now: the run stands, and the report's absence is said once.
            self.logger.error("setting report_path: cannot write the review report: %s", error)  # noqa: TRY400
            return
        self.logger.info("report: wrote %s (%d bytes)", path, size)

    def close(self) -> None:
        """Close the LeanIX HTTP session and the ledger's connections."""
        if self.client is not None:
            self.client.close()
        self.ledger.close()

    def not_software(self, group: ClassifiedSpend) -> bool:
        """True when recognition knows unattributed spend is no software: its line's vendor, card
        descriptor or expense memo is a known non-service (rent, audit and law firms, travel...)."""
        if group.vendor_id:
            known = self._vendor_not_software.get(group.vendor_id)
            if known is None:
                vendor = self.ledger.vendor_for_recognition(group.vendor_id)
                known = vendor is not None and _known_non_service(
                    self.recognizer.match_vendor(group.vendor_id, vendor[0], website=vendor[1])
                )
                self._vendor_not_software[group.vendor_id] = known
            if known:
                return True
        if not group.text:
            return False
        how = "descriptor" if group.kind == SpendKind.CARD.value else "text"
        # The summary asks for the run's lines and then the ledger's, which repeat the run's texts:
        # remember verdicts for the summary's length (the match cache keeps only a few thousand).
        key = (how, group.text)
        known = self._text_not_software.get(key)
        if known is None:
            known = self._text_not_software[key] = _known_non_service(self._match(how, group.text))
        return known

    def summary(self) -> tuple[list[str], list[str], list[str]]:
        """(summary lines, warnings, recognition details): the first two at INFO and WARNING, the
        recognition report's per-vendor lines at DEBUG."""
        for vendor_id, (name, match) in sorted(self._vendor_matches.items()):
            if match.service is not None:
                self.report.add_service(vendor_id, name, match)
            else:
                self.report.add_ignored(vendor_id, name, match)
        for descriptor, amount, currency in self.ledger.unattributed_this_run():
            self.report.add_unattributed(descriptor, amount, currency)
        window = self.settings.window
        lines, warnings = summary_lines(
            ledger=self.ledger,
            published=self.publisher.summary,
            window=f"{window.start_month}..{window.end_month}",
            reporting_currency=self.settings.reporting_currency,
            written=self.records_written,
            deleted=self.records_deleted,
            deleted_unknown=self.deletes_unknown,
            not_software=self.not_software,
            books=self.settings.books,
        )
        pending = self.ledger.pending_summary()
        lines.append(
            f"invoices not in LeanIX: {pending['invoices_without_service']:,} in the ledger belong "
            "to vendors that are no service (or were not received yet)"
        )
        lines.append(self.publisher.summary.insights.line())
        if self.skipped:
            lines.append(
                f"skipped bad records ({len(self.skipped)}): " + "; ".join(self.skipped[:10])
            )
        if self.unknown_streams:
            lines.append(f"skipped unknown streams: {', '.join(sorted(self.unknown_streams))}")
        self._text_not_software.clear()
        details = [f"recognition: {line}" for line in self.report.lines(top=10)]
        if details:
            lines.append(details[0] + " (per-vendor reasons at DEBUG, or target-leanix-recognize)")
        return lines, warnings, details[1:]


def _known_non_service(match: Match) -> bool:
    """A verdict that decided "no service" (a rule or a known non-service), not "nothing matched"."""
    return match.service is None and match.confidence > 0
