"""The demo company's books: AP stories (books_plan.py, books_ap.py) and their GL side (books_gl.py).

`build_books` runs once per company. Rows of objects that also have bulk rows (APBILL, ...) are served
by the store's overlay after the bulk rows; the objects only the books fill (GLBATCH, GLENTRY,
EXCHANGERATE, EXCHANGERATEENTRY) are plain static sources. What happened after entry (a bill line
deleted from a renewal, with its AUDITHISTORY row) is written by `mutations.seed_history`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sandboxes.intacct.books_ap import BooksAP
from sandboxes.intacct.books_gl import BooksGL
from sandboxes.intacct.books_plan import plan
from sandboxes.intacct.model import CompanyView, Row

#: Objects only the books fill: they have no bulk rows.
BOOKS_ONLY = ("GLBATCH", "GLENTRY", "EXCHANGERATE", "EXCHANGERATEENTRY")


@dataclass(frozen=True)
class Books:
    """The books' rows by object, and the (APBILL, APBILLITEM) RECORDNOs of the deleted line (None
    without books)."""

    rows: dict[str, list[Row]]
    deleted_line: tuple[int, int] | None


def build_books(company: CompanyView) -> Books:
    """Every books row of `company` (deterministic: a function of the company's seed and sizes)."""
    ap = BooksAP(company)
    stories = plan(ap)
    gl = BooksGL(company, ap)
    rows = dict(ap.finish())
    rows.update(gl.build(stories))
    renewal = stories.renewal_with_deleted_line
    assert renewal.deleted is not None  # noqa: S101 - the plan always gives it one
    return Books(rows, (int(renewal.row["RECORDNO"]), int(renewal.deleted["RECORDNO"])))
