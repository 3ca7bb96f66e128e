"""Errors with one-line messages that name the setting or catalog entry at fault."""

from __future__ import annotations


class RecognitionConfigError(ValueError):
    """The ``recognition`` config object is invalid; the message names the key."""


class CatalogError(ValueError):
    """The service catalog is invalid; the message names the entry and field."""
