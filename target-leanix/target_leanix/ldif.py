"""Domain snapshots -> LDIF content items, and the processor configuration that maps them in LeanIX.

Pure functions. The LDIF shape is LeanIX's `LeanIxDataInterchangeFormat`
(https://github.com/ballerina-platform/openapi-connectors/blob/HEAD/openapi/leanix.integrationapi/openapi.yaml);
the processors are LeanIX's documented inbound processors
(https://docs-eam.leanix.net/reference/inbound-processors), keyed by `externalId` so every run is an
upsert. One content item per LeanIX object we own; ids are the external IDs (see README "External
IDs").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from target_leanix import insights
from target_leanix.commitments import (
    COMMITTED_MEASUREMENT,
    RecurringRow,
    cadence,
    occurrences,
)
from target_leanix.ledger import InvoiceRow, ServiceSnapshot
from target_leanix.mapping import slug

CONNECTOR_TYPE = "sage-intacct-saas-discovery"
CONNECTOR_VERSION = "1.0.0"
LX_VERSION = "1.0.0"
SPEND_MEASUREMENT = "intacctSpend"
COMMITMENT_TAGS = ("service", "currency", "source")

# Content item types (our own vocabulary; the processors filter on them with exactType).
SERVICE = "Service"
SERVICE_COST = "ServiceCost"
DEPARTMENT = "Department"
SERVICE_DEPARTMENT = "ServiceDepartment"
SERVICE_DEPARTMENT_REMOVED = "ServiceDepartmentRemoved"
SERVICE_SPEND = "ServiceSpend"
SERVICE_SPEND_REMOVED = "ServiceSpendRemoved"
# A point published before points carried their source (ledger schema 3): removed by its three tags.
SERVICE_SPEND_UNSOURCED_REMOVED = "ServiceSpendUnsourcedRemoved"
INVOICE = "Invoice"
INVOICE_REMOVED = "InvoiceRemoved"
# A service's IT component no longer from the provider it named before (its provider's ID changed).
SERVICE_PROVIDER_REMOVED = "ServiceProviderRemoved"
# A service's or department's fact sheets under an external ID it no longer has (`removal_item`).
SERVICE_RETIRED = "ServiceRetired"
DEPARTMENT_RETIRED = "DepartmentRetired"
RECURRING_BILL = "RecurringBill"
RECURRING_BILL_REMOVED = "RecurringBillRemoved"
COMMITMENT = "ServiceCommitment"
COMMITMENT_REMOVED = "ServiceCommitmentRemoved"

# Items that create fact sheets go first: a relation whose endpoint does not exist yet only warns.
FACT_SHEET_TYPES = frozenset({SERVICE, DEPARTMENT})
# Removals, then retirements, go in runs of their own before the rest (`Publisher._write`).
REMOVAL_TYPES = frozenset(
    {
        SERVICE_DEPARTMENT_REMOVED,
        SERVICE_SPEND_REMOVED,
        SERVICE_SPEND_UNSOURCED_REMOVED,
        INVOICE_REMOVED,
        SERVICE_PROVIDER_REMOVED,
        RECURRING_BILL_REMOVED,
        COMMITMENT_REMOVED,
        insights.SERVICE_TAG_REMOVED,
        insights.SERVICE_OWNER_REMOVED,
    }
)
RETIRED_TYPES = frozenset({SERVICE_RETIRED, DEPARTMENT_RETIRED})

INVOICE_LABELS = {"APBILL": "Bill", "APPYMT": "AP payment", "PODOCUMENT": "Purchase order"}

DEFAULT_RECORD_URL_TEMPLATE = (
    "https://www.intacct.com/ia/acct/ur.phtml?.r={recordno}&.obj={object_lower}&cny={company}"
)

# `LeanIxDataInterchangeFormat` of the Integration API's OpenAPI description
# (https://github.com/ballerina-platform/openapi-connectors/blob/HEAD/openapi/leanix.integrationapi/openapi.yaml):
# required header keys, strings <= 500.
LDIF_JSON_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": [
        "connectorType",
        "connectorId",
        "connectorVersion",
        "lxVersion",
        "processingDirection",
    ],
    "properties": {
        "connectorType": {"type": "string", "minLength": 1, "maxLength": 500},
        "connectorId": {"type": "string", "minLength": 1, "maxLength": 500},
        "connectorVersion": {"type": "string", "minLength": 1, "maxLength": 500},
        "lxVersion": {"type": "string", "minLength": 1, "maxLength": 500},
        "lxWorkspace": {"type": "string", "maxLength": 500},
        "description": {"type": "string", "maxLength": 500},
        "processingDirection": {"enum": ["inbound", "outbound"]},
        "processingMode": {"enum": ["partial", "full"]},
        "customFields": {"type": "object"},
        "chunkInformation": {
            "type": "object",
            "properties": {
                "firstDataObject": {"type": "integer"},
                "lastDataObject": {"type": "integer"},
                "maxDataObject": {"type": "integer"},
            },
        },
        "content": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type", "id", "data"],
                "properties": {
                    "type": {"type": "string", "minLength": 1},
                    "id": {"type": "string", "minLength": 1},
                    "data": {"type": "object"},
                },
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
}


# "No department" in a spend point's ID and tags. No encoded department ID equals it (`optional_part`).
NONE_MARKER = "none"
# Recognition's service keys are a catalog key (`slack`) or `<namespace>:<local id>`, e.g.
# `candidate:<VENDORID>`, `candidate-name:<slug>`, `user:<slug>`: the namespace and the local id are
# separate parts of an ID.
SERVICE_KEY_NAMESPACES = frozenset({"candidate", "candidate-name", "user"})


def id_part(value: str) -> str:
    """One part of an external ID: `%` and the separator `:` percent-encoded, nothing else changed.

    Every part is encoded, so parts joined with `:` can be split again and two different records
    never share an ID. A part without `:` or `%` is left as it is, so the IDs written before parts were
    encoded stay the same: only values that could collide move (`Ledger.upgrade`)."""
    if "%" not in value and ":" not in value:
        return value
    return value.replace("%", "%25").replace(":", "%3A")


def _escape_first(encoded: str) -> str:
    """Percent-encode the first character: the value then differs from a reserved word it spelled."""
    return f"%{ord(encoded[0]):02X}{encoded[1:]}"


def optional_part(value: str | None) -> str:
    """A part that may be absent: `none` when it is, and a real value `none` becomes `%6Eone`."""
    if not value:
        return NONE_MARKER
    encoded = id_part(value)
    return _escape_first(encoded) if encoded == NONE_MARKER else encoded


def service_part(service_key: str) -> str:
    """A service key as one or two ID parts: `candidate:ZQX:saas` -> `candidate:ZQX%3Asaas`.

    A key in a namespace keeps its `:` after the namespace and encodes the rest; any other key is
    one part, and one that spells a namespace is escaped, so the number of parts a service takes is
    known from its first part and nothing appended to a service ID can be read as part of the key."""
    namespace, colon, local = service_key.partition(":")
    if colon and namespace in SERVICE_KEY_NAMESPACES:
        return f"{namespace}:{id_part(local)}"
    encoded = id_part(service_key)
    return _escape_first(encoded) if encoded in SERVICE_KEY_NAMESPACES else encoded


@dataclass(frozen=True)
class ExternalIds:
    """The external IDs of one company's objects. Stable across runs: derived from keys, not names.

    Each ID joins encoded parts with `:` (`id_part`), so it is injective. Providers are the one
    deliberate merge: a provider is a company, keyed by its name's slug (`mapping.slug`), so "A&B"
    and "A B" are one Provider fact sheet; services and departments are keyed by Intacct and catalog
    keys and user-named services by their name's slug (`recognition.normalize.name_slug`)."""

    company: str

    def service(self, service_key: str) -> str:
        """The Application of a service: `intacct:<co>:service:<svc>`."""
        return f"intacct:{self.company}:service:{service_part(service_key)}"

    def it_component(self, service_key: str) -> str:
        """The service's IT component (category saas): its Application's ID plus `:saas`."""
        return f"{self.service(service_key)}:saas"

    def service_cost(self, service_key: str) -> str:
        """The ServiceCost item (costTotalAnnual on Application->IT component): ID plus `:cost`."""
        return f"{self.service(service_key)}:cost"

    def service_department(self, service_key: str, department_id: str) -> str:
        """The ServiceDepartment item linking the service's Application to a department."""
        return f"{self.service(service_key)}:department:{id_part(department_id)}"

    #: Whether spend points carry their source (tag and last ID part); not under ledger schema 1.
    sourced = True

    def spend(
        self, service_key: str, department_id: str, month: str, currency: str, source: str
    ) -> str:
        """The metrics point of a service's spend from one source, department, month, currency."""
        parts = (optional_part(department_id), id_part(month), id_part(currency), id_part(source))
        return f"{self.service(service_key)}:spend:{':'.join(parts)}"

    def department_tag(self, department_id: str) -> str:
        """The `department` tag of a spend point: the department's ID part, or `none`."""
        return optional_part(department_id)

    def provider(self, provider_name: str) -> str:
        """The Provider, keyed by its name's slug so several services share one provider."""
        return f"intacct:{self.company}:provider:{slug(provider_name)}"

    def department(self, department_id: str) -> str:
        """The UserGroup (Organization) of an Intacct DEPARTMENTID."""
        return f"intacct:{self.company}:department:{id_part(department_id)}"

    def invoice(self, obj: str, recordno: str) -> str:
        """The Invoice item of one Intacct APBILL, APPYMT or PODOCUMENT record."""
        return f"intacct:{self.company}:{id_part(obj)}:{id_part(recordno)}"


@dataclass(frozen=True)
class LegacyExternalIds(ExternalIds):
    """The IDs of ledger schema 1, whose parts were not encoded: only for upgrading such a ledger."""

    def service(self, service_key: str) -> str:
        """Schema-1 service ID: the service key appended raw, `:` and `%` not encoded."""
        return f"intacct:{self.company}:service:{service_key}"

    def service_department(self, service_key: str, department_id: str) -> str:
        """Schema-1 department link ID: the DEPARTMENTID appended raw."""
        return f"{self.service(service_key)}:department:{department_id}"

    sourced = False

    def spend(
        self, service_key: str, department_id: str, month: str, currency: str, source: str
    ) -> str:
        """Schema-1 spend point ID: raw parts, `none` for no department; no source part."""
        return f"{self.service(service_key)}:spend:{department_id or 'none'}:{month}:{currency}"

    def department_tag(self, department_id: str) -> str:
        """Schema-1 `department` tag: the raw DEPARTMENTID, or `none` when there is none."""
        return department_id or "none"

    def department(self, department_id: str) -> str:
        """Schema-1 UserGroup ID: the raw DEPARTMENTID."""
        return f"intacct:{self.company}:department:{department_id}"

    def invoice(self, obj: str, recordno: str) -> str:
        """Schema-1 invoice ID: Intacct object and RECORDNO appended raw."""
        return f"intacct:{self.company}:{obj}:{recordno}"


def content_item(item_type: str, item_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """An LDIF content item `{type, id, data}`; `type` picks the processors that apply."""
    return {"type": item_type, "id": item_id, "data": data}


def item_key(item: dict[str, Any]) -> str:
    """A content item's key `<content type>|<id>`, as the ledger records what LeanIX holds."""
    return f"{item['type']}|{item['id']}"


def identities(item: dict[str, Any]) -> list[str]:
    """What an item holds in LeanIX, each as `<kind>|<id>`: its content key, and the external IDs of
    the fact sheets it writes (no two of our fact sheets share one, whatever their types)."""
    found = [item_key(item)]
    if item["type"] == SERVICE:
        found += [f"externalId|{item['id']}", f"externalId|{item['id']}:saas"]
    elif item["type"] == DEPARTMENT:
        found.append(f"externalId|{item['id']}")
    return found


def holders(identity: str) -> list[str]:
    """The item keys of the items that can hold this identity (`identities`)."""
    kind, _, value = identity.partition("|")
    if kind != "externalId":
        return [identity]
    return [
        f"{SERVICE}|{value}",
        f"{SERVICE}|{value.removesuffix(':saas')}",
        f"{DEPARTMENT}|{value}",
    ]


def month_start(month: str) -> str:
    """`2025-03` -> the ISO instant LeanIX metrics use (inboundMetrics `time`,
    https://docs-eam.leanix.net/reference/inbound-processors)."""
    return f"{month}-01T00:00:00.000000Z"


def service_items(
    snapshot: ServiceSnapshot,
    ids: ExternalIds,
    *,
    record_url_template: str,
) -> list[dict[str, Any]]:
    """Every content item that shows one service in LeanIX, from its ledger snapshot."""
    service = snapshot.service
    app_id = ids.service(service.key)
    vendors = ", ".join(snapshot.vendor_ids) or "none (recognised from card or expense spend)"
    items = [
        content_item(
            SERVICE,
            app_id,
            {
                "name": service.name,
                "description": (
                    f"SaaS service discovered in Sage Intacct (company {ids.company}); "
                    f"category {service.category or 'unknown'}; Intacct vendors: {vendors}."
                ),
                "itComponentName": f"{service.name} (SaaS)",
                "providerId": ids.provider(service.provider or service.name),
                "providerName": service.provider or service.name,
            },
        ),
        content_item(
            SERVICE_COST,
            ids.service_cost(service.key),
            {
                "serviceId": app_id,
                "costTotalAnnual": snapshot.cost_total,
                "description": _cost_description(snapshot),
            },
        ),
    ]
    for department_id in snapshot.departments:
        items.append(
            content_item(
                SERVICE_DEPARTMENT,
                ids.service_department(service.key, department_id),
                {"serviceId": app_id, "departmentId": ids.department(department_id)},
            )
        )
    points: dict[tuple[str, str, str, str], Decimal] = {}
    for (department_id, month, currency, source), amount in snapshot.spend.items():
        key = (department_id, month, currency, source if ids.sourced else "")
        points[key] = points.get(key, Decimal(0)) + amount
    for (department_id, month, currency, source), amount in sorted(points.items()):
        items.append(
            spend_item(
                ids,
                service.key,
                department_id=department_id,
                month=month,
                currency=currency,
                amount=amount,
                source=source,
            )
        )
    items.extend(
        invoice_item(ids, service.key, invoice, record_url_template=record_url_template)
        for invoice in snapshot.invoices
    )
    items.extend(
        recurring_bill_item(ids, service.key, bill, record_url_template=record_url_template)
        for bill in snapshot.recurring
    )
    items.extend(
        content_item(
            COMMITMENT,
            f"{ids.service(service.key)}:committed:{source}:{month}:{id_part(currency)}",
            {
                "measurement": COMMITTED_MEASUREMENT,
                "time": month_start(month),
                "value": amount,
                "service": ids.service(service.key),
                "currency": currency,
                "source": source,
            },
        )
        for (month, currency, source), amount in sorted(snapshot.committed.items())
    )
    return items


def recurring_bill_item(
    ids: ExternalIds, service_key: str, bill: RecurringRow, *, record_url_template: str
) -> dict[str, Any]:
    """A recurring bill as a document on its service: cadence, amount, next and end date."""
    amount = "n/a" if bill.amount is None else format(bill.amount, "f")
    nexts = occurrences(bill)
    state = bill.status or "active"
    description = (
        f"Recurring bill{': ' + bill.description if bill.description else ''} - "
        f"{amount} {bill.currency} {cadence(bill)}, "
        f"next on {nexts[0].isoformat() if nexts else bill.next_date or 'n/a'}, "
        f"{'ends ' + bill.end_date if bill.end_date else 'no end date'} ({state}; "
        f"started {bill.start_date or 'n/a'})"
    )
    metadata = {
        "object": "APRECURBILL",
        "recordNo": bill.recordno,
        "vendorId": bill.vendor_id,
        "amount": amount,
        "currency": bill.currency,
        "repeatBy": bill.repeat_by,
        "repeatInterval": bill.repeat_interval,
        "startDate": bill.start_date,
        "nextDate": bill.next_date,
        "endDate": bill.end_date,
        "status": bill.status,
    }
    return content_item(
        RECURRING_BILL,
        ids.invoice("APRECURBILL", bill.recordno),
        {
            "serviceId": ids.service(service_key),
            "name": f"Intacct APRECURBILL {bill.recordno}",
            "url": record_url_template.format(
                recordno=bill.recordno,
                object="APRECURBILL",
                object_lower="aprecurbill",
                company=ids.company,
            ),
            "description": description,
            "metadata": json.dumps(metadata, sort_keys=True),
        },
    )


def _cost_description(snapshot: ServiceSnapshot) -> str:
    window = snapshot.window
    text = (
        f"Spend from Sage Intacct {', '.join(snapshot.sources)}, "
        f"{window.start_month}..{window.end_month}, in {snapshot.cost_currency}"
    )
    if snapshot.converted:
        # The parts converted from other currencies, so the total reconciles with its lines.
        parts = ", ".join(
            f"{format(v, 'f')} from {c} ({source})"
            for (c, source), v in sorted(snapshot.converted.items())
        )
        text += f"; converted per line and rounded to the cent: {parts}"
    if snapshot.unconvertible:
        left_out = ", ".join(
            f"{format(v, 'f')} {c}" for c, v in sorted(snapshot.unconvertible.items())
        )
        text += f"; not included (no rate to {snapshot.cost_currency}): {left_out}"
    return text


def spend_item(
    ids: ExternalIds,
    service_key: str,
    *,
    department_id: str,
    month: str,
    currency: str,
    amount: Decimal,
    source: str,
) -> dict[str, Any]:
    """One metrics point: a service's spend from one source in one department, month and currency."""
    data: dict[str, Any] = {
        "measurement": SPEND_MEASUREMENT,
        "time": month_start(month),
        "value": amount,
        "service": ids.service(service_key),
        "department": ids.department_tag(department_id),
        "currency": currency,
    }
    if ids.sourced:
        data["source"] = source
    return content_item(
        SERVICE_SPEND, ids.spend(service_key, department_id, month, currency, source), data
    )


def invoice_item(
    ids: ExternalIds,
    service_key: str,
    invoice: InvoiceRow,
    *,
    record_url_template: str,
) -> dict[str, Any]:
    """Invoice document on the service's Application: name, Intacct link, description, metadata."""
    label = INVOICE_LABELS.get(invoice.object, invoice.object)
    amount = format(invoice.amount, "f")
    url = record_url_template.format(
        recordno=invoice.recordno,
        object=invoice.object,
        object_lower=invoice.object.lower(),
        company=ids.company,
    )
    metadata = {
        "object": invoice.object,
        "recordNo": invoice.recordno,
        "number": invoice.number,
        "date": invoice.date,
        "amount": amount,
        "currency": invoice.currency,
        "status": invoice.status,
        "vendorId": invoice.vendor_id,
    }
    return content_item(
        INVOICE,
        ids.invoice(invoice.object, invoice.recordno),
        {
            "serviceId": ids.service(service_key),
            # The document name is its identity on the fact sheet: keep it free of editable fields.
            "name": f"Intacct {invoice.object} {invoice.recordno}",
            "url": url,
            "description": (
                f"{label} {invoice.number} dated {invoice.date or 'n/a'}: "
                f"{amount} {invoice.currency}, {invoice.status or 'no status'}"
            ),
            "number": invoice.number,
            "date": invoice.date or "",
            "amount": invoice.amount,
            "currency": invoice.currency,
            "status": invoice.status,
            "metadata": json.dumps(metadata, sort_keys=True),
        },
    )


def department_item(ids: ExternalIds, department_id: str, title: str) -> dict[str, Any]:
    """The Department item that makes the UserGroup (Organization) of an Intacct department."""
    return content_item(DEPARTMENT, ids.department(department_id), {"name": title})


def removal_item(published_payload: dict[str, Any], *, replaced: bool) -> dict[str, Any] | None:
    """The item that undoes a published one that the ledger no longer produces (None: keep it).

    A fact sheet stays when its record goes (an archived fact sheet is never revived), unless
    `replaced`: its owner now publishes it under another external ID (the ID scheme changed), and
    the fact sheets under the old one are archived so that LeanIX holds no duplicate."""
    item_type = published_payload["type"]
    data = dict(published_payload["data"])
    if item_type == SERVICE and replaced:
        return content_item(SERVICE_RETIRED, published_payload["id"], data)
    if item_type == DEPARTMENT and replaced:
        return content_item(DEPARTMENT_RETIRED, published_payload["id"], data)
    if item_type == SERVICE_DEPARTMENT:
        return content_item(SERVICE_DEPARTMENT_REMOVED, published_payload["id"], data)
    if item_type == INVOICE:
        return content_item(INVOICE_REMOVED, published_payload["id"], data)
    if item_type == SERVICE_SPEND:
        sourced = "source" in data
        removal = SERVICE_SPEND_REMOVED if sourced else SERVICE_SPEND_UNSOURCED_REMOVED
        return content_item(removal, published_payload["id"], data)
    if item_type == RECURRING_BILL:
        return content_item(RECURRING_BILL_REMOVED, published_payload["id"], data)
    if item_type == COMMITMENT:
        return content_item(COMMITMENT_REMOVED, published_payload["id"], data)
    return insights.removal_item(published_payload)


def provider_change_item(
    published_payload: dict[str, Any], item: dict[str, Any]
) -> dict[str, Any] | None:
    """The item that unlinks a service's IT component from the provider it named when published,
    when the service now names another (None otherwise): LeanIX keeps a relation until told."""
    if item["type"] != SERVICE or published_payload["type"] != SERVICE:
        return None
    former = published_payload["data"].get("providerId")
    if not former or former == item["data"].get("providerId"):
        return None
    return content_item(SERVICE_PROVIDER_REMOVED, item["id"], {"providerId": former})


def ldif(company: str, content: list[dict[str, Any]], description: str) -> dict[str, Any]:
    """One inbound partial-mode LDIF of the company's connector around these content items."""
    return {
        "connectorType": CONNECTOR_TYPE,
        "connectorId": company,
        "connectorVersion": CONNECTOR_VERSION,
        "lxVersion": LX_VERSION,
        "processingDirection": "inbound",
        "processingMode": "partial",
        "description": description[:500],
        "content": content,
    }


# -- processor configuration ------------------------------------------------------------------------


def _expr(text: str) -> dict[str, str]:
    return {"expr": text}


def _external(id_expr: str) -> dict[str, Any]:
    return {"external": {"id": _expr(id_expr), "type": _expr("externalId")}}


def _update(key: str, value_expr: str) -> dict[str, Any]:
    return {"key": _expr(key), "values": [_expr(value_expr)]}


def _processor(
    processor_type: str,
    name: str,
    filter_type: str,
    updates: list[Any],
    *,
    of_type: str | None = None,
    where: dict[str, Any] | None = None,
    run: int = 1,
    delete: bool = False,
) -> dict[str, Any]:
    """One processor entry: `of_type` is the fact sheet or relation type, `where` its identifier
    (or from/to), `run` its stage (fact sheets before what refers to them)."""
    processor: dict[str, Any] = {"processorType": processor_type, "processorName": name}
    if of_type is not None:
        processor["type"] = of_type
    processor.update(
        {
            "filter": {"exactType": filter_type},
            **(where or {}),
            "run": run,
            "updates": updates,
            "logLevel": "warning",
        }
    )
    if delete:
        processor["mode"] = "delete"
    return processor


def _fact_sheet(
    name: str,
    fs_type: str,
    filter_type: str,
    id_expr: str,
    updates: list[Any],
    *,
    delete: bool = False,
) -> dict[str, Any]:
    return _processor(
        "inboundFactSheet",
        name,
        filter_type,
        updates,
        of_type=fs_type,
        where={"identifier": _external(id_expr)},
        run=0,
        delete=delete,
    )


def _relation(
    name: str,
    rel_type: str,
    filter_type: str,
    from_expr: str,
    to_expr: str,
    *,
    updates: list[Any] | None = None,
    delete: bool = False,
) -> dict[str, Any]:
    return _processor(
        "inboundRelation",
        name,
        filter_type,
        updates or [],
        of_type=rel_type,
        where={"from": _external(from_expr), "to": _external(to_expr)},
        delete=delete,
    )


def _document(name: str, filter_type: str, *, delete: bool = False) -> dict[str, Any]:
    updates = [_update("name", "${data.name}")]
    if not delete:
        updates += [
            _update("url", "${data.url}"),
            _update("description", "${data.description}"),
            _update("documentType", "website"),
            _update("origin", "CUSTOM_LINK"),
            _update("metadata", "${data.metadata}"),
        ]
    return _processor(
        "inboundDocument",
        name,
        filter_type,
        updates,
        where={"identifier": _external("${data.serviceId}")},
        delete=delete,
    )


def _metrics(
    name: str,
    filter_type: str,
    *,
    delete: bool = False,
    tags: tuple[str, ...] = ("service", "department", "currency", "source"),
) -> dict[str, Any]:
    def tag(key: str) -> dict[str, Any]:
        return {
            "map": [{"key": "key", "value": key}, {"key": "value", "value": f"${{data.{key}}}"}]
        }

    updates: list[dict[str, Any]] = [
        _update("measurement", "${data.measurement}"),
        _update("time", "${data.time}"),
        {"key": _expr("tags"), "values": [tag(key) for key in tags]},
    ]
    if not delete:
        updates += [_update("fieldKey", "amount"), _update("fieldValueNumber", "${data.value}")]
    return _processor("inboundMetrics", name, filter_type, updates, delete=delete)


def binding(company: str) -> dict[str, str]:
    """The five keys that bind our LDIFs to our configuration (they "need to match exactly":
    https://github.com/leanix-public/scripts/blob/HEAD/startIntegrationAPIRun/ReadME.txt)."""
    return {
        "connectorType": CONNECTOR_TYPE,
        "connectorId": company,
        "connectorVersion": CONNECTOR_VERSION,
        "processingDirection": "inbound",
        "processingMode": "partial",
    }


def processor_configuration(company: str) -> dict[str, Any]:
    """The inbound processor configuration bound to this company's LDIFs
    (https://docs-eam.leanix.net/reference/inbound-processors)."""
    processors = [
        _fact_sheet(
            "Application from service",
            "Application",
            SERVICE,
            "${content.id}",
            [_update("name", "${data.name}"), _update("description", "${data.description}")],
        ),
        _fact_sheet(
            "SaaS IT component from service",
            "ITComponent",
            SERVICE,
            "${content.id}:saas",
            [_update("name", "${data.itComponentName}"), _update("category", "saas")],
        ),
        _fact_sheet(
            "Provider from service",
            "Provider",
            SERVICE,
            "${data.providerId}",
            [_update("name", "${data.providerName}")],
        ),
        _fact_sheet(
            "Organization from department",
            "UserGroup",
            DEPARTMENT,
            "${content.id}",
            [_update("name", "${data.name}")],
        ),
        # `mode: delete` archives the fact sheet
        # (https://docs-eam.leanix.net/reference/inbound-processors); sent only for a changed ID.
        _fact_sheet(
            "Application under a former external ID",
            "Application",
            SERVICE_RETIRED,
            "${content.id}",
            [],
            delete=True,
        ),
        _fact_sheet(
            "SaaS IT component under a former external ID",
            "ITComponent",
            SERVICE_RETIRED,
            "${content.id}:saas",
            [],
            delete=True,
        ),
        _fact_sheet(
            "Organization under a former external ID",
            "UserGroup",
            DEPARTMENT_RETIRED,
            "${content.id}",
            [],
            delete=True,
        ),
        _relation(
            "Service runs on its SaaS IT component",
            "relApplicationToITComponent",
            SERVICE,
            "${content.id}",
            "${content.id}:saas",
        ),
        _relation(
            "SaaS IT component from its provider",
            "relITComponentToProvider",
            SERVICE,
            "${content.id}:saas",
            "${data.providerId}",
        ),
        _relation(
            "SaaS IT component no longer from a former provider",
            "relITComponentToProvider",
            SERVICE_PROVIDER_REMOVED,
            "${content.id}:saas",
            "${data.providerId}",
            delete=True,
        ),
        _relation(
            "Service cost (trailing window)",
            "relApplicationToITComponent",
            SERVICE_COST,
            "${data.serviceId}",
            "${data.serviceId}:saas",
            updates=[
                _update("costTotalAnnual", "${data.costTotalAnnual}"),
                _update("description", "${data.description}"),
            ],
        ),
        _relation(
            "Service used by department",
            "relApplicationToUserGroup",
            SERVICE_DEPARTMENT,
            "${data.serviceId}",
            "${data.departmentId}",
        ),
        _relation(
            "Service no longer used by department",
            "relApplicationToUserGroup",
            SERVICE_DEPARTMENT_REMOVED,
            "${data.serviceId}",
            "${data.departmentId}",
            delete=True,
        ),
        _metrics("Monthly spend per service, department, currency and source", SERVICE_SPEND),
        _metrics("Monthly spend point withdrawn", SERVICE_SPEND_REMOVED, delete=True),
        _metrics(
            "Monthly spend point without a source withdrawn",
            SERVICE_SPEND_UNSOURCED_REMOVED,
            delete=True,
            tags=("service", "department", "currency"),
        ),
        _document("Invoice on its service", INVOICE),
        _document("Invoice removed from its service", INVOICE_REMOVED, delete=True),
        _document("Recurring bill on its service", RECURRING_BILL),
        _document("Recurring bill removed from its service", RECURRING_BILL_REMOVED, delete=True),
        _metrics(
            "Committed spend per service, month, currency and source",
            COMMITMENT,
            tags=COMMITMENT_TAGS,
        ),
        _metrics(
            "Committed spend point withdrawn", COMMITMENT_REMOVED, delete=True, tags=COMMITMENT_TAGS
        ),
        *insights.processors(),
    ]
    return {
        **binding(company),
        "sequentialExecution": True,
        "processors": processors,
    }
