"""Normalisation of vendor names and card descriptors."""

from __future__ import annotations

import pytest

from target_leanix.recognition import clean_descriptor, normalize_descriptor, normalize_name
from target_leanix.recognition.normalize import extract_domains


def _fullwidth(text: str) -> str:
    """Full-width forms, as some Japanese vendor masters hold Latin names."""
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else "\u3000" for ch in text)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Slack Technologies, LLC", "slack technologies"),
        ("Atlassian Pty Ltd", "atlassian"),
        ("Atlassian Pty. Ltd.", "atlassian"),
        ("HubSpot Germany GmbH", "hubspot germany"),
        ("Société Générale S.A.", "societe generale"),
        ("Elasticsearch B.V.", "elasticsearch"),
        ("Deutsche Telekom AG", "deutsche telekom"),
        ("Amazon Web Services Japan G.K.", "amazon web services japan"),
        ("日本マイクロソフト株式会社", normalize_name("日本マイクロソフト")),
        ("OpenAI, L.L.C.", "openai"),
        ("Zoho Corporation Pvt. Ltd.", "zoho"),
        ("Pipedrive OÜ", "pipedrive"),
        ("JetBrains s.r.o.", "jetbrains"),
        ("Anthropic, PBC", "anthropic"),
        ("Dropbox International Unlimited Company", "dropbox international"),
        ("The Rocket Science Group, LLC", "rocket science group"),
        ("monday.com Ltd.", "monday"),
        (_fullwidth("Slack Technologies, LLC"), "slack technologies"),
        ("ZÜRICH Versicherungs-Gesellschaft AG", "zurich versicherungs gesellschaft"),
        ("McDonald's Corp", "mcdonalds"),
        ("Inc", "inc"),  # a name made only of a suffix keeps it rather than vanish
    ],
)
def test_normalize_name(raw: str, expected: str) -> None:
    assert normalize_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ATLASSIAN* JIRA SYDNEY AU", "atlassian jira"),
        ("SLACK T01AB2CD3E DUBLIN IE", "slack"),
        ("ZOOM.US 888-799-9666 CA", "zoom"),
        ("ZOOM.US 888-799-9666 WWW.ZOOM.US CA", "zoom"),
        ("SLACK TECHNOLOGIES SAN FRANCISCO CA", "slack technologies"),
        ("DEEL INC SAN FRANCISCO CA", "deel"),
        ("MSFT * E0400ABCDE MSBILL.INFO WA", "msft"),
        ("AMZN Mktp US*2K4AB1CD2 Amzn.com/bill WA", "amzn mktp"),
        ("GITHUB 877-448-4820 CA", "github"),
        ("COMCAST CABLE COMM 800-COMCAST PA", "comcast cable comm"),
        ("GOOGLE *CLOUD 4Z7X2K g.co/helppay# CA", "google cloud"),
        ("8X8 INC 408-727-1885 CA", "8x8"),
        ("1PASSWORD TORONTO ON", "1password"),
        ("15FIVE INC INDIANAPOLIS IN", "15five"),
        ("CANVA* I04271-10012345 SYDNEY AU", "canva"),
        ("STARBUCKS STORE 12345 SEATTLE WA", "starbucks store"),
        ("MONDAY.COM TEL AVIV IL", "monday"),
        ("Café Zoë São Paulo BR", "cafe zoe"),
    ],
)
def test_normalize_descriptor(raw: str, expected: str) -> None:
    assert normalize_descriptor(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("google *gsuite_acme.com", "GOOGLE*GSUITE_ACME.COM"),
        ("  PAYPAL  *  ATLASSIAN   4029357733 ", "PAYPAL*ATLASSIAN 4029357733"),
        (_fullwidth("Microsoft") + "*Microsoft 365", "MICROSOFT*MICROSOFT 365"),
        ("Crème Brûlée", "CREME BRULEE"),
    ],
)
def test_clean_descriptor(raw: str, expected: str) -> None:
    assert clean_descriptor(raw) == expected


def test_extract_domains_reads_hosts_emails_and_paths() -> None:
    text = "ZAPIER.COM/CHARGE cc@google.com WWW.ZOOM.US Amzn.com/bill S.A. INC."
    assert extract_domains(text) == ["zapier.com", "google.com", "www.zoom.us", "amzn.com"]
