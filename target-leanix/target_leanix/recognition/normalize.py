"""Normalisation of vendor names and card-statement descriptors.

Two forms come out of here:

* the *cleaned descriptor*: upper case, Unicode-folded, whitespace collapsed and the card network's ``*``
  separator glued (``"GOOGLE *GSUITE"`` -> ``"GOOGLE*GSUITE"``). Descriptor patterns are matched on it.
* the *normalised name*: lower-case tokens with legal suffixes dropped (and, for descriptors, reference
  numbers, phone numbers, domains and city/state/country tails too). Aliases are indexed in this form, so
  ``"Slack Technologies, LLC"`` and ``"SLACK TECHNOLOGIES SAN FRANCISCO CA"`` meet at
  ``"slack technologies"``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import quote

# Recognition reads at most this many characters of any text it is given: a vendor name, a card line or
# an expense memo. Card networks print a merchant descriptor of a few dozen characters (name, city,
# state), and the memos an employee types on a Sage Intacct expense line, its "Paid to" and "Paid for"
# fields, hold up to 1,000 characters
# (https://www.intacct.com/ia/docs/en_ZA/help_action/Expenses/Distribute_expense_reports/fd-distribute-employee-expenses.htm).
# Longer text is no real name, descriptor or memo; cutting it (the first characters, always the same
# ones) keeps every step of recognition, user regexes included, working on a short string.
MAX_TEXT_CHARS = 1_000

# Japanese corporate forms sit before or after the name and are not separated by spaces
# (株式会社セールスフォース・ジャパン, 日本マイクロソフト株式会社), so they are cut as substrings.
_CJK_LEGAL_FORMS = (
    "株式会社",
    "有限会社",
    "合同会社",
    "(株)",
)  # after NFKC, so full-width "(株)" too

# Multi-token forms first: "pty ltd" must go as one unit before "ltd" alone would leave "pty".
_LEGAL_SUFFIX_WORDS = (
    "inc incorporated corp corporation co company llc ltd limited plc lp llp pc pbc pty gmbh ag sa sas "
    "sarl bv nv kk gk pte pvt srl sro spa ab as asa aps oy oyj ou se kg ltda sl slu ulc bhd holdings holding"
)
_LEGAL_SUFFIXES: tuple[tuple[str, ...], ...] = tuple(
    (word,) for word in _LEGAL_SUFFIX_WORDS.split()
)
_LEGAL_SUFFIX_PHRASES: tuple[tuple[str, ...], ...] = tuple(
    sorted(
        (
            tuple(p.split())
            for p in (
                "pty ltd",
                "pty limited",
                "pte ltd",
                "pvt ltd",
                "private limited",
                "co ltd",
                "company limited",
                "unlimited company",
                "limited partnership",
                "l l c",
                "s a",
                "b v",
                "n v",
                "k k",
                "g k",
                "s r o",
                "s r l",
                "s l",
                "s l u",
                "s a u",
                "a s",
                "d o o",
                "sp z o o",
                "sa de cv",
                "s a de c v",
                "s p a",
                "s a s",
                "se co kg",
                "gmbh co kg",
                "sdn bhd",
            )
        ),
        key=len,
        reverse=True,
    )
)
_ALL_SUFFIXES = tuple(
    sorted(set(_LEGAL_SUFFIXES) | set(_LEGAL_SUFFIX_PHRASES), key=len, reverse=True)
)
# Indexed by last word so a name is checked against the two or three suffixes that could end it.
_SUFFIXES_BY_LAST_WORD: dict[str, tuple[tuple[str, ...], ...]] = {}
for _suffix in _ALL_SUFFIXES:
    _SUFFIXES_BY_LAST_WORD[_suffix[-1]] = (*_SUFFIXES_BY_LAST_WORD.get(_suffix[-1], ()), _suffix)

# Card descriptors end in "<CITY> <STATE|PROVINCE|COUNTRY>" (Visa/Mastercard merchant location fields).
_US_STATES = (
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC "
    "ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR"
)
_CA_PROVINCES = "AB BC MB NB NL NS NT NU ON PE QC SK YT"
_COUNTRIES = (
    "US USA GB GBR UK IE IRL NL NLD DE DEU FR FRA ES ESP IT ITA PT BE LU CH AT SE NO DK FI EE LV LT PL "
    "CZ SK HU RO BG GR AU AUS NZ SG HK JP KR CN TW IN IL AE BR MX AR CL ZA MT CY IS CAN"
)
_LOCATION_CODES_TEXT = f"{_US_STATES} {_CA_PROVINCES} {_COUNTRIES}"
_LOCATION_CODES = frozenset(_LOCATION_CODES_TEXT.lower().split())

_CITIES = frozenset(
    c.strip()
    for c in """
san francisco,south san francisco,san jose,san mateo,san diego,san ramon,santa clara,santa monica,
santa barbara,los angeles,los altos,los gatos,palo alto,mountain view,menlo park,redwood city,sunnyvale,
cupertino,foster city,burlingame,oakland,berkeley,walnut creek,irvine,sacramento,new york,brooklyn,
seattle,bellevue,redmond,kirkland,boston,cambridge,waltham,chicago,austin,dallas,houston,denver,boulder,
atlanta,miami,orlando,tampa,portland,salt lake city,lehi,provo,south jordan,draper,phoenix,scottsdale,
washington,arlington,reston,mclean,herndon,philadelphia,pittsburgh,minneapolis,st louis,saint louis,
kansas city,nashville,raleigh,durham,charlotte,columbus,cleveland,detroit,ann arbor,indianapolis,
toronto,vancouver,montreal,ottawa,waterloo,calgary,london,manchester,edinburgh,dublin,cork,amsterdam,
the hague,rotterdam,paris,roubaix,berlin,munich,hamburg,frankfurt,cologne,zurich,geneva,vienna,
stockholm,copenhagen,oslo,helsinki,tallinn,riga,vilnius,warsaw,krakow,prague,budapest,madrid,barcelona,
lisbon,milan,rome,brussels,luxembourg,sydney,melbourne,brisbane,perth,auckland,singapore,hong kong,
tokyo,osaka,seoul,tel aviv,bangalore,bengaluru,mumbai,chennai,pune,hyderabad,sao paulo,mexico city,
www
""".replace("\n", "").split(",")
    if c.strip()
)
_CITY_MAX_TOKENS = max(len(c.split()) for c in _CITIES)

# Words a company adds to its name for a subsidiary or a product line without changing who it is:
# "Miro Software", "Asana Ireland", "Datadog International". Only these may follow a common-word name.
_CORPORATE_FILLER_TEXT = """
software technologies technology tech labs lab operations international global worldwide
cloud hq app apps usa us uk emea apac americas america europe eu
ireland germany deutschland france netherlands nederland spain espana italia italy japan australia
brasil brazil india singapore canada mexico israel poland sweden denmark norway finland switzerland
austria belgium
"""
CORPORATE_FILLER = frozenset(_CORPORATE_FILLER_TEXT.split())

_KNOWN_TLDS_TEXT = (
    "com net org io co ai app so us fm tech me sh to de uk eu info biz dev cloud ly tv gg xyz nl fr es it "
    "se au ca jp in ie ch at be pl no dk fi cz ee lt lv pt br mx sg hk nz il run page site cn md do pro hr "
    "chat town video design security new"
)
_KNOWN_TLDS = frozenset(_KNOWN_TLDS_TEXT.split())

# Kana voicing marks are letters, not accents: dropping them turns "サイボウズ" into "サイホウス" and
# "スタンダード" into "スタンタート", words no Japanese reader would recognise.
_KANA_VOICING = frozenset("\u3099\u309a")

_WHITESPACE_RE = re.compile(r"\s+")
# Only from the start of a run (the look-behind) and without giving characters back (possessive): tried
# at every character of a long run without "@", the plain form took time quadratic in its length.
_EMAIL_LOCAL_RE = re.compile(r"(?<![\w.+-])[\w.+-]++@", re.UNICODE)
_DOMAIN_RE = re.compile(
    r"(?<![\w.-])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,12}))(?![a-z0-9-])(/\S*)?",
    re.IGNORECASE,
)
_PHONE_RE = re.compile(
    r"(?<!\w)(?:\+?\d{1,3}[-.\s]?)?\(?\d{3}\)?[-.\s]?\d{3}[-.\s]?\d{4}(?!\w)"
    r"|(?<!\w)\d{3}-[A-Z]{4,8}(?!\w)",
    re.IGNORECASE,
)
_TOKEN_RE = re.compile(r"[^\W_]+", re.UNICODE)
_APOSTROPHE_RE = re.compile("['\u2019`]")
_DIGIT_RUN_RE = re.compile(r"\d+")
_ASCII_SLUG_SEPARATOR_RE = re.compile(r"[^a-z0-9]+")
# Unicode general categories (first letter) of the characters a slug keeps: letters, marks, numbers.
_SLUG_CATEGORIES = frozenset("LMN")


def clip(text: str) -> str:
    """The part of ``text`` recognition reads: its first ``MAX_TEXT_CHARS`` characters."""
    return text[:MAX_TEXT_CHARS]


def glue_stars(text: str) -> str:
    """Whitespace around each ``*`` removed: ``"GOOGLE * GSUITE"`` -> ``"GOOGLE*GSUITE"``."""
    parts = text.split("*")
    if len(parts) == 1:
        return text
    inner = [part.strip() for part in parts[1:-1]]
    return "*".join([parts[0].rstrip(), *inner, parts[-1].lstrip()])


def fold(text: str) -> str:
    """NFKC, Japanese corporate forms cut, case folded and diacritics stripped (``Zürich`` -> ``zurich``)."""
    if text.isascii():
        # The common case (US/EU card feeds): nothing to compose, fold or strip.
        return text.lower()
    text = unicodedata.normalize("NFKC", text)
    for form in _CJK_LEGAL_FORMS:
        text = text.replace(form, " ")
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(
        ch for ch in decomposed if ch in _KANA_VOICING or not unicodedata.combining(ch)
    )
    return unicodedata.normalize("NFC", stripped)


def slug_words(lowered: str) -> str:
    """Letters and digits of any script, runs of anything else as one ``-``: ``"sakura: サイボウズ!"`` ->
    ``"sakura-サイボウズ"``; ``""`` when there is no letter or digit. ASCII text slugs as ``[^a-z0-9]+``
    -> ``-`` always did, so keys of such names keep their bytes."""
    if lowered.isascii():
        return _ASCII_SLUG_SEPARATOR_RE.sub("-", lowered).strip("-")
    words: list[str] = []
    word: list[str] = []
    for ch in lowered:
        if ch.isascii():
            kept = "a" <= ch <= "z" or "0" <= ch <= "9"
        else:
            kept = unicodedata.category(ch)[0] in _SLUG_CATEGORIES
        if kept:
            word.append(ch)
        elif word:
            words.append("".join(word))
            word = []
    if word:
        words.append("".join(word))
    return "-".join(words)


def name_slug(name: str) -> str:
    """The id fragment of a name: equal for names equal up to case, accents, punctuation and
    corporate forms (``fold``), different otherwise.

    A name with no letter or digit (``"???"``) becomes ``-`` and its percent-encoded text: no slug
    starts with ``-``, so it cannot equal one, and two such names stay apart."""
    return slug_words(fold(name)) or "-" + quote(" ".join(name.split()), safe="")


def clean_descriptor(text: str) -> str:
    """The form descriptor patterns are matched on: folded, upper case, ``*`` glued to its neighbours."""
    upper = fold(text).upper()
    upper = _WHITESPACE_RE.sub(" ", upper).strip()
    return glue_stars(upper)


def extract_domains(text: str) -> list[str]:
    """Host names in the text (``WWW.ZOOM.US``, ``cc@google.com``, ``zapier.com/charge``), lower case."""
    lowered = text.lower()
    return [m.group(1) for m in _DOMAIN_RE.finditer(lowered) if m.group(2) in _KNOWN_TLDS]


def domain_suffixes(host: str) -> Iterable[str]:
    """``a.b.example.com`` -> ``a.b.example.com``, ``b.example.com``, ``example.com``."""
    host = host.lower().strip(".")
    host = host.removeprefix("www.")
    parts = host.split(".")
    for start in range(len(parts) - 1):
        yield ".".join(parts[start:])


def _drop_legal_suffixes(tokens: list[str]) -> list[str]:
    changed = True
    while changed and len(tokens) > 1:
        changed = False
        for suffix in _SUFFIXES_BY_LAST_WORD.get(tokens[-1], ()):
            n = len(suffix)
            if len(tokens) > n and tuple(tokens[-n:]) == suffix:
                del tokens[-n:]
                changed = True
                break
    if len(tokens) > 1 and tokens[0] == "the":
        del tokens[0]
    return tokens


def _is_reference(token: str) -> bool:
    """Store, order and team numbers: ``t01ab2cd3e``, ``e0400abcde``, ``1abcd2ef``, ``12345``.

    Names with a digit or two in them survive: ``1password``, ``knowbe4``, ``6sense``, ``8x8``, ``15five``.
    """
    if token.isalpha():
        return False
    digits = sum(map(str.isdigit, token))
    if digits == 0:
        return False
    if digits == len(token):
        return True
    if len(token) <= 3:
        return False
    if digits >= 3:
        return True
    return digits == 2 and len(_DIGIT_RUN_RE.findall(token)) > 1


def _drop_location_tail(tokens: list[str]) -> list[str]:
    for _ in range(3):
        if len(tokens) > 1 and tokens[-1] in _LOCATION_CODES:
            tokens.pop()
            continue
        for n in range(min(_CITY_MAX_TOKENS, len(tokens) - 1), 0, -1):
            if " ".join(tokens[-n:]) in _CITIES:
                del tokens[-n:]
                break
        else:
            break
    return tokens


def _tokens(folded: str) -> list[str]:
    return _TOKEN_RE.findall(_APOSTROPHE_RE.sub("", folded))


def _strip_tld(domain_match: re.Match[str]) -> str:
    # "monday.com Ltd." names the company by its web address; keep the name, drop the TLD and any path.
    host, tld = domain_match.group(1), domain_match.group(2)
    if tld not in _KNOWN_TLDS:
        return domain_match.group(0)
    labels = host.split(".")
    return " " + " ".join(label for label in labels[:-1] if label != "www") + " "


def _domain_in_descriptor(domain_match: re.Match[str]) -> str:
    # A web address that opens the descriptor is the merchant's name ("MONDAY.COM TEL AVIV IL"); one
    # further on is a contact field ("... WWW.ZOOM.US CA") and would only repeat or mislead.
    if domain_match.start() == 0:
        return _strip_tld(domain_match)
    return " " if domain_match.group(2) in _KNOWN_TLDS else domain_match.group(0)


def strip_web_addresses(folded: str) -> str:
    """``"monday.com standard"`` -> ``" monday  standard"``: a web address read as the name it spells."""
    return _DOMAIN_RE.sub(_strip_tld, folded)


def normalize_name(text: str) -> str:
    """A vendor name as indexed: ``"Slack Technologies, LLC"`` -> ``"slack technologies"``."""
    folded = _DOMAIN_RE.sub(_strip_tld, fold(text))
    return " ".join(_drop_legal_suffixes(_tokens(folded)))


def normalize_descriptor(text: str) -> str:
    """A card descriptor as a name: references, phones, domains and the location tail removed.

    ``"SLACK T01AB2CD3E DUBLIN IE"`` -> ``"slack"``; ``"DEEL INC SAN FRANCISCO CA"`` -> ``"deel"``.
    """
    folded = fold(text)
    folded = _EMAIL_LOCAL_RE.sub(" ", folded)
    folded = _PHONE_RE.sub(" ", folded)
    folded = _DOMAIN_RE.sub(_domain_in_descriptor, folded)
    # A reference glued after the card network's "*" ("*2K4", "*MK1234567") is not part of the name.
    tokens = [t for t in _tokens(folded.replace("*", " ")) if not _is_reference(t)]
    tokens = _drop_location_tail(tokens)
    return " ".join(_drop_legal_suffixes(tokens))


def compact(normalised: str) -> str:
    """Spaces removed, so ``"drop box"`` meets ``"dropbox"`` and ``"digital ocean"`` meets ``"digitalocean"``."""
    return normalised.replace(" ", "")
