"""The `inboundSubscription` processor, and the users and fact sheet subscriptions it maintains.

Keys ("Inbound Subscription", https://help.sap.com/docs/leanix/ea/inbound-processors): `user` (the
user's e-mail) or `newUser` ("Works like user but creates a new user if not existing", written as
`newUser.userName`, `newUser.email`, `newUser.firstName`, `newUser.lastName`), `subscriptionType`
(required), `subscriptionRoles` (maps `{roleName, comment}`; replaces the roles) or
`addSubscriptionRoles` (adds to them), `optional` (no warning when the user does not exist),
`comment`. A user `newUser` creates is a contact, not invited ("Contacts are created when non-SAP-LeanIX
users are added as fact sheet subscribers", https://help.sap.com/docs/leanix/ea/users-overview). One
subscription per fact sheet and user. An Accountable subscription is not replaced: "To add a new
subscription of the Accountable type, delete the existing subscription first." `mode: delete` removes
the user's subscription (the processor-level `mode` of the Integration API's OpenAPI description).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sandboxes.leanix.deletion import Touched
from sandboxes.leanix.updates import (
    CATEGORY_MISSING_VALUE,
    CATEGORY_NOT_FOUND,
    CATEGORY_VALIDATION,
    ItemError,
    Processor,
    evaluate_updates,
    template_value,
    text_of,
)
from sandboxes.leanix.workspace import FactSheet, Workspace, new_id

#: The subscription types of the standard meta model (Responsible, Accountable, Observer).
TYPES = ("RESPONSIBLE", "ACCOUNTABLE", "OBSERVER")
MAX_EMAIL = 254


@dataclass
class User:
    """A workspace user or contact, unique by e-mail (compared case-insensitively)."""

    id: str
    email: str
    attrs: dict[str, Any] = field(default_factory=dict)  # userName, firstName, lastName, status


@dataclass
class Subscription:
    """A user's subscription to a fact sheet: its type and roles (`{name, comment}`)."""

    id: str
    fact_sheet_id: str
    user_id: str
    type: str
    roles: list[dict[str, str]] = field(default_factory=list)


def find_user(workspace: Workspace, email: str) -> User | None:
    """The user with this e-mail, or None."""
    row = workspace._one("SELECT * FROM users WHERE email = ?", email.lower())
    return User(row["id"], row["email"], json.loads(row["attrs"])) if row else None


def users(workspace: Workspace) -> list[User]:
    """Every user and contact, by e-mail."""
    rows = workspace._all("SELECT * FROM users ORDER BY email")
    return [User(r["id"], r["email"], json.loads(r["attrs"])) for r in rows]


def save_user(workspace: Workspace, user: User) -> None:
    """Insert or replace a user."""
    workspace._run(
        "INSERT OR REPLACE INTO users (id, email, attrs) VALUES (?, ?, ?)",
        user.id,
        user.email.lower(),
        json.dumps(user.attrs, sort_keys=True),
    )


def subscriptions_of(workspace: Workspace, fact_sheet_id: str) -> list[Subscription]:
    """The subscriptions of a fact sheet, by user e-mail."""
    rows = workspace._all(
        "SELECT subscriptions.* FROM subscriptions JOIN users ON users.id = subscriptions.user_id "
        "WHERE fact_sheet_id = ? ORDER BY users.email",
        fact_sheet_id,
    )
    return [
        Subscription(r["id"], r["fact_sheet_id"], r["user_id"], r["type"], json.loads(r["roles"]))
        for r in rows
    ]


def user_by_id(workspace: Workspace, user_id: str) -> User | None:
    """The user with this ID, or None."""
    row = workspace._one("SELECT * FROM users WHERE id = ?", user_id)
    return User(row["id"], row["email"], json.loads(row["attrs"])) if row else None


def _save(workspace: Workspace, subscription: Subscription) -> None:
    workspace._run(
        "INSERT OR REPLACE INTO subscriptions (id, fact_sheet_id, user_id, type, roles) "
        "VALUES (?, ?, ?, ?, ?)",
        subscription.id,
        subscription.fact_sheet_id,
        subscription.user_id,
        subscription.type,
        json.dumps(subscription.roles, sort_keys=True),
    )


def _delete(workspace: Workspace, subscription: Subscription) -> None:
    workspace._run("DELETE FROM subscriptions WHERE id = ?", subscription.id)


class SubscriptionEngine(Protocol):
    """What the subscription processor uses of the running engine (`processors.Engine`)."""

    workspace: Workspace
    pending: list[ItemError]
    touched: Touched

    def identify(
        self, identifier: dict[str, Any], fs_type: str | None, context: dict[str, Any], role: str
    ) -> tuple[FactSheet | None, str | None]:
        """The fact sheet an identifier names (or None), and the external ID it carries (if any)."""


def apply_subscription_processor(
    engine: SubscriptionEngine, processor: Processor, context: dict[str, Any]
) -> None:
    """Apply one `inboundSubscription` processor to one item."""
    values = {
        key: found for key, found, _ in evaluate_updates(processor.updates, context, engine.pending)
    }

    def single(key: str) -> str:
        found = values.get(key)
        return text_of(found[0]).strip() if found else ""

    fs_type = text_of(template_value(processor.spec.get("type"), context)) or None
    sheet, external_id = engine.identify(
        processor.spec["identifier"], fs_type, context, "fact sheet"
    )
    if sheet is None:
        raise ItemError(
            f"Subscription could not be created: fact sheet with externalId '{external_id}' "
            "does not exist",
            category=CATEGORY_NOT_FOUND,
        )
    user = _user(engine.workspace, single, values)
    if user is None:
        return
    current = {s.user_id: s for s in subscriptions_of(engine.workspace, sheet.id)}
    mine = current.get(user.id)
    if processor.delete:
        if mine is not None:
            _delete(engine.workspace, mine)
            engine.touched.fact_sheets.add(sheet.id)
        return
    kind = single("subscriptionType").upper()
    if kind not in TYPES:
        raise ItemError(
            f"Subscription type '{kind[:40]}' is not one of {', '.join(TYPES)}",
            category=CATEGORY_VALIDATION,
            status="ERROR",
        )
    if kind == "ACCOUNTABLE" and any(
        s.type == "ACCOUNTABLE" and s.user_id != user.id for s in current.values()
    ):
        raise ItemError(
            f"Fact sheet '{sheet.name}' already has an Accountable subscription; delete it first",
            category=CATEGORY_VALIDATION,
        )
    roles = _roles(values.get("subscriptionRoles"))
    if roles is None:
        roles = list(mine.roles) if mine else []
    for role in _roles(values.get("addSubscriptionRoles")) or []:
        if role["name"] not in {r["name"] for r in roles}:
            roles.append(role)
    updated = Subscription(
        mine.id if mine else new_id(), sheet.id, user.id, kind, sorted(roles, key=_role_name)
    )
    if mine is None or (mine.type, mine.roles) != (updated.type, updated.roles):
        _save(engine.workspace, updated)
        engine.touched.fact_sheets.add(sheet.id)


def _user(
    workspace: Workspace,
    single: Callable[[str], str],
    values: dict[str, list[Any]],
) -> User | None:
    """The subscribing user: `user`, else `newUser.email` (created as a contact when unknown)."""
    email = single("user") or single("newUser.email")
    if not email:
        raise ItemError(
            "Either 'user' or 'newUser' is required for a subscription",
            category=CATEGORY_MISSING_VALUE,
        )
    if len(email) > MAX_EMAIL or email.count("@") != 1:
        raise ItemError(
            f"'{email[:60]}' is no e-mail address", category=CATEGORY_VALIDATION, status="ERROR"
        )
    user = find_user(workspace, email)
    if user is not None:
        return user
    if single("newUser.email") or single("newUser.userName"):
        user = User(
            new_id(),
            email,
            {
                "userName": single("newUser.userName") or email,
                "firstName": single("newUser.firstName"),
                "lastName": single("newUser.lastName"),
                "status": "NOT_INVITED",
            },
        )
        save_user(workspace, user)
        return user
    if single("optional").lower() == "true" or values.get("optional") == [True]:
        return None
    raise ItemError(f"User '{email[:60]}' does not exist", category=CATEGORY_NOT_FOUND)


def _role_name(role: dict[str, str]) -> str:
    return role["name"]


def _roles(found: list[Any] | None) -> list[dict[str, str]] | None:
    """Role maps `{roleName, comment}` as `{name, comment}`; None when the key was not given."""
    if found is None:
        return None
    roles = []
    for value in found:
        if not isinstance(value, dict) or not text_of(value.get("roleName")).strip():
            raise ItemError(
                "Subscription roles must be maps with 'roleName'",
                category=CATEGORY_VALIDATION,
                status="ERROR",
            )
        roles.append(
            {"name": text_of(value["roleName"]).strip(), "comment": text_of(value.get("comment"))}
        )
    return roles


def export(workspace: Workspace, fact_sheet_id: str) -> list[dict[str, Any]]:
    """A fact sheet's subscriptions as the admin export shows them: user e-mail, type, roles."""
    result = []
    for subscription in subscriptions_of(workspace, fact_sheet_id):
        user = user_by_id(workspace, subscription.user_id)
        result.append(
            {
                "user": user.email if user else None,
                "type": subscription.type,
                "roles": subscription.roles,
            }
        )
    return result


def graphql_nodes(workspace: Workspace, fact_sheet_id: str) -> dict[str, Any]:
    """`subscriptions { edges { node { id type user {…} roles {…} } } }` of a fact sheet."""
    edges = []
    for subscription in subscriptions_of(workspace, fact_sheet_id):
        user = user_by_id(workspace, subscription.user_id)
        edges.append(
            {
                "node": {
                    "id": subscription.id,
                    "type": subscription.type,
                    "user": None
                    if user is None
                    else {
                        "id": user.id,
                        "userName": user.attrs.get("userName"),
                        "email": user.email,
                        "firstName": user.attrs.get("firstName"),
                        "lastName": user.attrs.get("lastName"),
                    },
                    "roles": [
                        {"id": f"{subscription.id}:{r['name']}", **r} for r in subscription.roles
                    ],
                }
            }
        )
    return {"totalCount": len(edges), "edges": edges}
