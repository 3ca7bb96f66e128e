"""Expense-report memos: free text an employee typed, read for the service it pays for.

A memo is not a vendor master nor a card line: "Zoom Pro monthly", "Notion Plus - paid on personal card",
"kintone スタンダードコース", "Slack Pro - 12 seats for support team". It names the service somewhere, wraps
it in plan and billing words, and adds noise (how it was paid, the month, quantities, currencies, who it
was for). The same words also name lunches and hotels ("Zoom call with client - lunch", "Notion Hotel,
2 nights", "Box lunch catering"), so a name that is an ordinary word needs the memo's help to count:

* a *distinct* name (``figma``, ``dropbox``, ``kintone``, any alias of two words or more) counts wherever
  it stands;
* a *guarded* name (a ``common_word_name`` service's one-word alias, or a one-word alias shorter than five
  letters such as ``aws``, ``copy``, ``cake``) counts only when what follows it in its part of the memo is
  plan/billing vocabulary or the service's own product words ("Zoom Pro monthly", "Zoom webinar add-on"),
  or when it follows a billing word ("Monthly Zoom"), or when the memo names nothing else ("Zoom -
  March 2025"). Any other word after it ("Zoom *car rental*", "Slack *Jaw* BBQ", "Monday *bakery*") means
  some other thing; ``generic_name`` services (Box, Linear, Front...) need a plan word next to them.
* a memo about meals, lodging or travel ("lunch", "hotel", "taxi", "ランチ") is not a software expense even
  when it names a service: "Zoom call with client - lunch" and "Dinner with Datadog account rep" are
  meals, so no service is read from it.

Parts of a memo are split at spaced dashes, commas, colons, brackets and slashes; "for <whoever>" ends
what is said about the service ("Slack Pro for the design team"), as do "to", "via" and "from".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import chain

from target_leanix.recognition.catalog import AliasHit, Catalog
from target_leanix.recognition.normalize import compact, fold, strip_web_addresses

# Payment-method and claim phrases, removed before the memo is split, so "paid on personal card" never
# reads as words next to a name. At most three of "my", "a", "the", "own" before the card ("paid with
# my own company card"): an unbounded run of them, tried from every word of "a a a a ...", took time
# quadratic in the memo's length. Spaces are taken whole ("\s++"): a word always follows them.
_PAYMENT_NOISE_RE = re.compile(
    r"\b(?:paid\s++(?:on|with|via|by|using|through)\s++)?(?:(?:my|a|the|own)\s++){0,3}"
    r"(?:personal|private|corporate|company|corp|business|own)\s++(?:credit\s++|debit\s++)?card\b"
    r"|\bout[\s-]of[\s-]pocket\b|\bpaid\s++personally\b|\bplease\s++reimburse\b"
    r"|\b(?:inv(?:oice)?|order|receipt|ref)\s*+(?:no\.?|#)\s*+\S+"
)
# Split points: a spaced dash, a dash before spaces, or a bracket or punctuation mark. A run of spaces or
# dashes is tried from its first character only (the look-behinds) and taken whole: tried from each
# character of a long run, the plain "\s+" and "[-~]+" took time quadratic in its length.
_SEGMENT_RE = re.compile(
    r"(?<!\s)\s++[-~–—]++\s*+|(?<![-~])[-~]++\s++|[–—,;:()\[\]{}|/\\!?]"  # noqa: RUF001 - dashes
)
_MEMO_TOKEN_RE = re.compile(r"[a-z0-9]+|[^\W\d_a-z]+", re.UNICODE)
_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")
_CLAUSE_END = frozenset({"for", "to", "via", "from"})

# Plan names vendors sell, seat and licence words, billing cadence and billing events.
_PLAN_WORDS_TEXT = """
pro plus business enterprise team premium standard starter basic essential essentials professional
personal individual organization organisation org advanced unlimited growth scale core lite light
free max ultimate advantage edition tier plan subscription sub seat licence license user member
workspace account monthly annual annually yearly quarterly renewal renew renewed upgrade downgrade
add addon on true up trueup overage usage credit invoice bill billing charge fee payment cost dues
prorated proration trial top
"""
_PLAN_WORDS = frozenset(_PLAN_WORDS_TEXT.split())
# Dates, quantities, currencies and claim words: ignored wherever they stand.
_NOISE_WORDS_TEXT = """
january february march april may june july august september october november december jan feb mar
apr jun jul aug sep sept oct nov dec month year week quarter mo yr per x qty pcs usd eur gbp jpy cad
aud chf sek nok dkk inr sgd nzd hkd reimbursement reimburse reimbursed reimbursable expense expensed
receipt attached paid personally please card cc amex the a an my our of and new
"""
_NOISE_WORDS = frozenset(_NOISE_WORDS_TEXT.split())
# A memo with one of these is a meal, lodging, travel, event or hardware expense. No catalog name
# contains one (a test checks), so the word is about the expense, never the payee.
_TRAVEL_AND_MEALS_TEXT = """
lunch dinner breakfast brunch meal meals food snack snacks coffee drinks drink catering bbq restaurant
cafe bakery pastries pizza hotel hotels lodging airbnb night nights flight flights airfare airport
economy airline airlines
taxi cab uber lyft rideshare parking mileage toll tolls fuel gas rental offsite party gift
conference summit ticket tickets swag merch laptop keyboard headset
"""
TRAVEL_AND_MEALS = frozenset(_TRAVEL_AND_MEALS_TEXT.split())
# Japanese is written without spaces: "スタンダードコース", "年間ライセンス", "4月分" are billing words
# glued together, recognised by cutting these out until nothing is left (longest first).
_JA_BILLING_TEXT = """
スタンダード プレミアム プロフェッショナル ベーシック ライト エンタープライズ ビジネス スターター
チーム コース プラン エディション ライセンス アカウント ユーザー サブスクリプション クラウド 版
年間 年額 月額 月次 利用料 使用料 料金 費用 代金 更新 契約 追加 購入 支払い 支払 請求 分 月 年
度 立替金 立替 経費 精算 個人カード 法人カード 代 の
"""
_JA_BILLING = tuple(sorted((fold(w) for w in _JA_BILLING_TEXT.split()), key=len, reverse=True))
_JA_TRAVEL_AND_MEALS_TEXT = (
    "昼食 夕食 会食 懇親会 ランチ ディナー ホテル 宿泊 タクシー 交通費 新幹線 航空券 駐車"
)
_JA_TRAVEL_AND_MEALS = tuple(fold(w) for w in _JA_TRAVEL_AND_MEALS_TEXT.split())
_MIN_DISTINCT_LEN = 5


@dataclass(frozen=True)
class MemoReading:
    """What a memo says: the alias it names (None if none counts) and why, or the meal word that vetoed it."""

    hit: AliasHit | None
    reason: str
    vetoed_by: str | None = None


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _is_noise(word: str) -> bool:
    return word in _NOISE_WORDS or any(ch.isdigit() for ch in word)


def _before_clause_end(tokens: list[str]) -> list[str]:
    """The part before "for"/"to"/"via"/"from": who or what it was for says nothing about the service."""
    for index, word in enumerate(tokens):
        if word in _CLAUSE_END and index > 0:
            return tokens[:index]
    return tokens


def _is_ja_billing(word: str) -> bool:
    if not _CJK_RE.search(word):
        return False
    for phrase in _JA_BILLING:
        word = word.replace(phrase, "")
    return not word


def memo_segments(text: str) -> list[list[str]]:
    """The memo's parts, each a list of folded tokens: payment phrases gone, web addresses read as names."""
    folded = strip_web_addresses(fold(text))
    folded = _PAYMENT_NOISE_RE.sub(" ", folded.replace("'", "").replace("\u2019", ""))
    segments = []
    for part in _SEGMENT_RE.split(folded):
        tokens = _MEMO_TOKEN_RE.findall(part)
        if tokens:
            segments.append(tokens)
    return segments


class MemoReader:
    """Reads expense memos against a catalog; stateless apart from the catalog, safe to share."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def read(self, text: str) -> MemoReading:
        """The service alias an expense memo names, or why none counts (meal, travel words veto)."""
        segments = memo_segments(text)
        veto = self._travel_or_meal(segments)
        if veto is not None:
            return MemoReading(
                None, f'expense memo for meals, travel, events or hardware ("{veto}")', veto
            )
        rejected = ""
        for index, tokens in enumerate(segments):
            start = 0
            while start < len(tokens):
                found = self._alias_at(tokens, start)
                if found is None:
                    start += 1
                    continue
                hit, length = found
                verdict, why = self._judge(segments, index, start, length, hit)
                if verdict:
                    return MemoReading(hit, why)
                rejected = rejected or why
                start += length
        if rejected:
            return MemoReading(None, rejected)
        return MemoReading(
            None, f'no service named in memo "{" ".join(chain.from_iterable(segments))}"'
        )

    # -- internals ---------------------------------------------------------------------------------------

    @staticmethod
    def _travel_or_meal(segments: list[list[str]]) -> str | None:
        for tokens in segments:
            for word in tokens:
                if word in TRAVEL_AND_MEALS:
                    return word
                if _CJK_RE.search(word):
                    for phrase in _JA_TRAVEL_AND_MEALS:
                        if phrase in word:
                            return phrase
        return None

    def _alias_at(self, tokens: list[str], start: int) -> tuple[AliasHit, int] | None:
        """The longest catalog name that opens ``tokens[start:]``, and how many tokens it spans."""
        catalog = self.catalog
        longest = min(catalog.max_name_tokens, len(tokens) - start)
        for length in range(longest, 0, -1):
            phrase = " ".join(tokens[start : start + length])
            hit = catalog.names.get(phrase) or catalog.compacts.get(compact(phrase))
            if hit is not None:
                return hit, length
        return None

    def _guarded(self, hit: AliasHit, length: int) -> bool:
        if length > 1 or " " in hit.normalised:
            return False
        return (
            hit.key in self.catalog.common_word
            or len(hit.normalised) < _MIN_DISTINCT_LEN
            or hit.normalised in self.catalog.products
            # "Customer.io" indexes as "customer", "Copy.ai" as "copy": the word alone is not the web name.
            or "." in hit.alias
        )

    def _is_plan(self, word: str, key: str) -> bool:
        singular = _singular(word)
        if singular in _PLAN_WORDS or word in _PLAN_WORDS or _is_ja_billing(word):
            return True
        own = self.catalog.service_words.get(key, frozenset())
        return word in own or singular in own or any(_singular(w) == singular for w in own)

    def _judge(
        self, segments: list[list[str]], index: int, start: int, length: int, hit: AliasHit
    ) -> tuple[bool, str]:
        name = " ".join(segments[index][start : start + length])
        product = self.catalog.products.get(hit.normalised)
        what = f'product "{product}"' if product else f'"{hit.alias}"'
        if not self._guarded(hit, length):
            return True, f'memo names {what} (as "{name}")'
        tokens = segments[index]
        after: list[str] = []
        for position in range(start + length, len(tokens)):  # no copy of the rest per name found
            word = tokens[position]
            if word in _CLAUSE_END:
                break
            if _is_noise(word):
                continue
            if not self._is_plan(word, hit.key):
                return False, f'memo word "{name}" is followed by "{word}", not a plan or product'
            after.append(word)
        if after:
            return True, f'memo names {what} with plan words "{" ".join(after)}"'
        before = next(
            (
                tokens[k]
                for k in range(start - 1, -1, -1)
                if not _is_noise(tokens[k]) and tokens[k] not in _CLAUSE_END
            ),
            None,
        )
        if before is not None and self._is_plan(before, hit.key):
            return True, f'memo names {what} after billing word "{before}"'
        if hit.key in self.catalog.generic:
            return False, f'memo word "{name}" is too generic without a plan word'
        # The first other word is enough: a memo naming the same word many times must not cost the
        # square of its length.
        other = next(
            (
                w
                for i, part in enumerate(segments)
                for j, w in enumerate(_before_clause_end(part))
                if not (i == index and start <= j < start + length)
                and not _is_noise(w)
                and not self._is_plan(w, hit.key)
            ),
            None,
        )
        if other is not None:
            return False, f'memo word "{name}" stands among other words ("{other}")'
        return True, f"memo names only {what}"
