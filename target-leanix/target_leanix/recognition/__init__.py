"""Service recognition: which Intacct vendors and card lines are SaaS services, and which ones.

Plain functions and classes, no I/O beyond reading the packaged catalog. The target builds one
``Recognizer`` from ``RecognitionRules.from_config(config.get("recognition"))`` and asks it about every
vendor (``match_vendor``) and card line (``match_descriptor``); ``RecognitionReport`` collects what was
found, ignored and left unattributed.
"""

from target_leanix.recognition.catalog import Catalog
from target_leanix.recognition.errors import CatalogError, RecognitionConfigError
from target_leanix.recognition.matcher import Recognizer
from target_leanix.recognition.models import Match, Service
from target_leanix.recognition.normalize import (
    clean_descriptor,
    normalize_descriptor,
    normalize_name,
)
from target_leanix.recognition.report import RecognitionReport
from target_leanix.recognition.rules import RECOGNITION_CONFIG_SCHEMA, RecognitionRules

__all__ = [
    "RECOGNITION_CONFIG_SCHEMA",
    "Catalog",
    "CatalogError",
    "Match",
    "RecognitionConfigError",
    "RecognitionReport",
    "RecognitionRules",
    "Recognizer",
    "Service",
    "clean_descriptor",
    "normalize_descriptor",
    "normalize_name",
]
