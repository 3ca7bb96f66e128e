"""The ledger's SQLAlchemy tables and schema version, and how an older ledger's tables catch up."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

# 1: external IDs joined their parts as they were. 2: every part is encoded (`ldif.id_part`), so
# values that collided under 1 have new IDs (`Ledger.upgrade`). 3: the slugs in service keys and
# provider IDs keep letters of every script (`normalize.name_slug`), so names without Latin letters
# no longer share `user:unnamed` or `provider:unnamed`. 4: spend points carry their source (invoice,
# payment, card, reimbursement, journal) in their tags and IDs, so points published without one are
# replaced (`Ledger.upgrade`).
SCHEMA_VERSION = "4"
# The recognition fingerprint an upgrade to schema 3 leaves behind: it equals no real one, so the next
# run recognises the whole ledger again, which moves vendors to their new keys, and then retires the
# keys they left (`retire_services`).
RECOGNITION_KEYS_CHANGED = "service keys changed"


class Tables:
    """The ledger's tables, named with a prefix so several ledgers can share one database."""

    def __init__(self, table_prefix: str) -> None:
        self.metadata = sa.MetaData()
        p = table_prefix
        md = self.metadata
        self.meta = sa.Table(
            f"{p}meta",
            md,
            sa.Column("key", sa.String(64), primary_key=True),
            sa.Column("value", sa.Text, nullable=False),
        )
        self.services = sa.Table(
            f"{p}services",
            md,
            sa.Column("service_key", sa.String(200), primary_key=True),
            sa.Column("name", sa.Text, nullable=False),
            sa.Column("category", sa.Text, nullable=False),
            sa.Column("provider", sa.Text, nullable=False),
            sa.Column("candidate", sa.Boolean, nullable=False),
        )
        self.vendors = sa.Table(
            f"{p}vendors",
            md,
            sa.Column("vendor_id", sa.String(200), primary_key=True),
            sa.Column("recordno", sa.String(64), nullable=False),
            sa.Column("name", sa.Text, nullable=False),
            sa.Column("status", sa.String(32), nullable=False),
            sa.Column("website", sa.Text),
            sa.Column("deleted", sa.Boolean, nullable=False),
            sa.Column("service_key", sa.String(200)),
        )
        self.vendor_accounts_table = sa.Table(
            f"{p}vendor_accounts",
            md,
            sa.Column("recordno", sa.String(64), primary_key=True),  # the AP bill line
            sa.Column("vendor_id", sa.String(200), index=True),
            sa.Column("accountno", sa.String(64)),
            sa.Column("deleted", sa.Boolean, nullable=False),
        )
        self.departments = sa.Table(
            f"{p}departments",
            md,
            sa.Column("department_id", sa.String(200), primary_key=True),
            sa.Column("recordno", sa.String(64), nullable=False),
            sa.Column("title", sa.Text, nullable=False),
            sa.Column("parent_id", sa.String(200)),
            sa.Column("deleted", sa.Boolean, nullable=False),
        )
        self.headers = sa.Table(
            f"{p}spend_headers",
            md,
            sa.Column("kind", sa.String(16), primary_key=True),
            sa.Column("recordno", sa.String(64), primary_key=True),
            sa.Column("descriptor", sa.Text, nullable=False),
            sa.Column("state", sa.String(64), nullable=False),
            sa.Column("deleted", sa.Boolean, nullable=False),
            sa.Column("service_key", sa.String(200)),
            # Bills and AP payments (written with their invoice): the vendor whose service their
            # lines count for, and the bill or payment date (ISO).
            sa.Column("vendor_id", sa.String(200), index=True),
            sa.Column("doc_date", sa.String(10)),
            sa.Column("base_currency", sa.String(3)),
            # Card transactions (FINANCIALENTITY, RECORDID) and AP payments (FINANCIALENTITY,
            # DOCNUMBER, PAYMENTMETHOD): a payment by credit card settles the card transaction
            # with the same pair, which is then no card spend (README "Policies").
            sa.Column("entity", sa.String(200)),
            sa.Column("document", sa.String(200), index=True),
            sa.Column("method", sa.String(64)),
            sa.Column("module", sa.String(64)),  # journal batches: MODULE
            # Bills a recurring bill created: its SCHOPKEY, whose schedule is their service period.
            sa.Column("schedule", sa.String(64)),
            sa.Column("buyer", sa.String(200)),  # expense report: the submitter's EMPLOYEEID
            # The card-paid rule looks up payments by (kind, document) for every card line it
            # counts: without this index SQLite walks every payment header per card line.
            sa.Index(f"ix_{p}spend_headers_kind_document", "kind", "document"),
        )
        # Only with insight_owners: the e-mail an owner subscription names (see README, Owners).
        self.employees = sa.Table(
            f"{p}employees",
            md,
            sa.Column("employee_id", sa.String(200), primary_key=True),
            sa.Column("recordno", sa.String(64), index=True),
            sa.Column("email", sa.Text, nullable=False),
            sa.Column("name", sa.Text, nullable=False),
            sa.Column("deleted", sa.Boolean, nullable=False),
        )
        self.lines = sa.Table(
            f"{p}spend_lines",
            md,
            sa.Column("kind", sa.String(16), primary_key=True),
            sa.Column("recordno", sa.String(64), primary_key=True),
            sa.Column("header_recordno", sa.String(64), nullable=False, index=True),
            sa.Column("department_id", sa.String(200)),
            sa.Column("vendor_id", sa.String(200), index=True),
            sa.Column("description", sa.Text, nullable=False),
            sa.Column("amount", sa.String(64), nullable=False),
            sa.Column("currency", sa.String(3), nullable=False),
            sa.Column("base_amount", sa.String(64), nullable=False),
            sa.Column("base_currency", sa.String(3), nullable=False),
            sa.Column("month", sa.String(7), nullable=False),
            sa.Column("deleted", sa.Boolean, nullable=False),
            sa.Column("own_service_key", sa.String(200)),  # from the line's own text (expenses)
            sa.Column("service_key", sa.String(200), index=True),  # resolved attribution
            # The run that last wrote the line: the run summary's unattributed lines are the ones
            # this run received, found without keeping a key per line in memory.
            sa.Column("seen_run", sa.String(32), index=True),
            sa.Column("accountno", sa.String(64)),  # bill and journal lines: the GL account
            sa.Column("period_start", sa.String(10)),  # bill lines: their own service period
            sa.Column("period_end", sa.String(10)),
            sa.Column("paid_header", sa.String(64), index=True),  # payment lines: the bill paid
            sa.Column("paid_line", sa.String(64)),  # payment lines: the bill line paid
            # ISO ENTRY_DATE, whose exchange rate converts the line (lines an older version wrote
            # lack it and are converted at the rate of their month's first day).
            sa.Column("entry_date", sa.String(10)),
        )
        self.reimbursements = sa.Table(
            f"{p}reimbursements",
            md,
            sa.Column("recordno", sa.String(64), primary_key=True),
            sa.Column("report_recordno", sa.String(64), index=True),
            sa.Column("state", sa.String(64), nullable=False),
            sa.Column("amount", sa.String(64)),
            sa.Column("currency", sa.String(3), nullable=False),
            sa.Column("deleted", sa.Boolean, nullable=False),
        )
        self.invoices = sa.Table(
            f"{p}invoices",
            md,
            sa.Column("object", sa.String(16), primary_key=True),
            sa.Column("recordno", sa.String(64), primary_key=True),
            sa.Column("vendor_id", sa.String(200), index=True),
            sa.Column("number", sa.Text, nullable=False),
            sa.Column("date", sa.String(10)),
            sa.Column("amount", sa.String(64)),
            sa.Column("currency", sa.String(3), nullable=False),
            sa.Column("status", sa.String(64), nullable=False),
            sa.Column("deleted", sa.Boolean, nullable=False),
            # PODOCUMENT's DOCPARID: only a "Purchase Order" can be an open commitment.
            sa.Column("doc_type", sa.String(64)),
        )
        self.recurring_bills = sa.Table(
            f"{p}recurring_bills",
            md,
            sa.Column("recordno", sa.String(64), primary_key=True),
            sa.Column("vendor_id", sa.String(200), index=True),
            sa.Column("description", sa.Text, nullable=False),
            sa.Column("start_date", sa.String(10)),
            sa.Column("end_date", sa.String(10)),
            sa.Column("next_date", sa.String(10)),
            sa.Column("repeat_by", sa.String(32), nullable=False),
            sa.Column("repeat_interval", sa.Integer, nullable=False),
            sa.Column("amount", sa.String(64)),
            sa.Column("currency", sa.String(3), nullable=False),
            sa.Column("status", sa.String(32), nullable=False),
            sa.Column("deleted", sa.Boolean, nullable=False),
            sa.Column("schedule", sa.String(64), index=True),  # SCHOPKEY, shared with its bills
        )
        # Intacct's exchange-rate tables (EXCHANGERATE) and their entries (EXCHANGERATEENTRY).
        self.rate_tables = sa.Table(
            f"{p}rate_tables",
            md,
            sa.Column("recordno", sa.String(64), primary_key=True),
            sa.Column("type_name", sa.Text, nullable=False),
            sa.Column("from_currency", sa.String(3), nullable=False),
            sa.Column("to_currency", sa.String(3), nullable=False),
            sa.Column("deleted", sa.Boolean, nullable=False),
        )
        self.rate_entries = sa.Table(
            f"{p}rate_entries",
            md,
            sa.Column("recordno", sa.String(64), primary_key=True),
            sa.Column("table_recordno", sa.String(64), nullable=False, index=True),
            sa.Column("effective_date", sa.String(10), nullable=False),
            sa.Column("rate", sa.String(64)),
            sa.Column("reciprocal", sa.String(64)),
            sa.Column("deleted", sa.Boolean, nullable=False),
        )
        self.published_items = sa.Table(
            f"{p}published",
            md,
            sa.Column("owner", sa.String(300), primary_key=True),
            sa.Column("item_key", sa.String(500), primary_key=True),
            sa.Column("digest", sa.String(64), nullable=False),
            sa.Column("payload", sa.Text, nullable=False),
        )
        self.dirty = sa.Table(
            f"{p}dirty",
            md,
            sa.Column("kind", sa.String(16), primary_key=True),
            sa.Column("key", sa.String(300), primary_key=True),
        )

    def create(self, engine: Engine) -> None:
        """Create the tables that are missing, and the columns and indexes added since a ledger
        was made."""
        self.metadata.create_all(engine)
        self.add_missing_columns(engine)
        with engine.begin() as conn:
            for table in self.metadata.tables.values():
                for index in table.indexes:
                    index.create(conn, checkfirst=True)

    def add_missing_columns(self, engine: Engine) -> None:
        """A ledger made by an earlier version lacks the nullable columns added since: add them."""
        inspector = sa.inspect(engine)
        with engine.begin() as conn:
            for table in self.metadata.tables.values():
                present = {column["name"] for column in inspector.get_columns(table.name)}
                for column in table.columns:
                    if column.name in present or not column.nullable:
                        continue
                    kind = column.type.compile(dialect=engine.dialect)
                    conn.execute(
                        sa.text(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}')
                    )
                    for index in table.indexes:
                        if column.name in index.columns:
                            index.create(conn, checkfirst=True)
