"""Everything one running Intacct sandbox holds: configuration, data, sessions, cursors, permissions."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sandboxes.common.http import SandboxState
from sandboxes.intacct.catalog import ObjectDef
from sandboxes.intacct.company import Company
from sandboxes.intacct.filters import Node
from sandboxes.intacct.formats import TimeFormat
from sandboxes.intacct.store import Order, Store

BASE_PATH = "/ia/xml/xmlgw.phtml"
#: getAPISession hands out this endpoint; clients must follow it
#: (https://developer.intacct.com/api/company-console/api-sessions/).
SESSION_PATH = "/na1/ia/xml/xmlgw.phtml"


@dataclass
class Config:
    """Gateway credentials and behaviour settings of one sandbox, from the command line."""

    sender_id: str = "sandbox"
    sender_password: str = "sandbox"  # noqa: S105 - the documented sandbox default
    company_id: str = "SANDBOX"
    user_id: str = "admin"
    user_password: str = "admin"  # noqa: S105
    session_ttl: float = 3600.0
    gmt_offset_seconds: int = 0
    late_visibility_seconds: float = 0.0
    user_recordno: int = 1


@dataclass
class Session:
    """One API session: who opened it, in which entity, and when it expires."""

    sessionid: str
    userid: str
    companyid: str
    entity: str  # LOCATIONID of the entity, "" at top level
    started: datetime
    expires_at: datetime


@dataclass
class Cursor:
    """A readByQuery result set, paged by readMore
    (https://developer.intacct.com/web-services/queries/, "Paginate results")."""

    object_name: str
    node: Node | None
    fields: tuple[str, ...]
    pagesize: int
    allowed: frozenset[int]
    cache_key: str
    delivered: int
    sessionid: str


@dataclass
class IntacctState:
    """Everything one running Intacct sandbox holds, behind one lock for sessions and cursors."""

    common: SandboxState
    config: Config
    catalog: dict[str, ObjectDef]
    company: Company
    store: Store
    tf: TimeFormat
    sessions: dict[str, Session] = field(default_factory=dict)
    cursors: dict[str, Cursor] = field(default_factory=dict)
    denied: set[str] = field(default_factory=set)
    denied_lookup: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def now(self) -> datetime:
        """The sandbox clock's current instant (UTC)."""
        return self.common.clock.now()

    def new_session(self, userid: str, companyid: str, entity: str) -> Session:
        """Open a session that expires session_ttl seconds from now."""
        now = self.now()
        session = Session(
            sessionid=secrets.token_urlsafe(24).replace("-", "x") + "..",
            userid=userid,
            companyid=companyid,
            entity=entity,
            started=now,
            expires_at=now + timedelta(seconds=self.config.session_ttl),
        )
        with self.lock:
            self.sessions[session.sessionid] = session
        return session

    def touch(self, session: Session) -> None:
        """Each call resets the session timeout
        (https://developer.intacct.com/api/company-console/api-sessions/)."""
        session.expires_at = self.now() + timedelta(seconds=self.config.session_ttl)

    def live_session(self, sessionid: str) -> Session | None:
        """The session of this id if it has not expired (an expired one is dropped), else None."""
        with self.lock:
            session = self.sessions.get(sessionid)
            if session is None:
                return None
            if self.now() >= session.expires_at:
                del self.sessions[sessionid]
                return None
            return session

    def drop_session(self, sessionid: str) -> None:
        """Forget a session (no-op for an unknown id)."""
        with self.lock:
            self.sessions.pop(sessionid, None)

    def new_cursor(self, cursor: Cursor) -> str:
        """Keep a readByQuery cursor and return its resultId; only the newest 500 are kept."""
        token = secrets.token_hex(10) + "X" + secrets.token_urlsafe(12)
        with self.lock:
            self.cursors[token] = cursor
            while len(self.cursors) > 500:
                self.cursors.pop(next(iter(self.cursors)))
        return token


__all__ = ["BASE_PATH", "SESSION_PATH", "Config", "Cursor", "IntacctState", "Order", "Session"]
