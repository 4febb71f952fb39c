"""The demo's wires: what each member sends, built from the data shipped in `demo/data/`.

- The five seed articles (real Persian and Arabic reports on media-cooperation agreements) are sent
  verbatim as plain text by the agency that plausibly published them.
- The FLORES-200 articles (the same story professionally translated into the eight languages) become
  one ninjs item per language, sent by that language's member. Each story gets a fixed moment in the
  last seven days and every language version follows a few minutes later, as agencies reporting the
  same event do.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from tabadol.demo.members import ALKAWTHAR, ANADOLU, FLORES_SENDERS, IRNA, SANA, DemoMember
from tabadol.serialize import format_datetime

NINJS_CONTENT_TYPE = "application/ninjs+json"
PLAIN_TEXT_CONTENT_TYPE = "text/plain; charset=utf-8"
FLORES_LICENCE = "CC BY-SA 4.0: FLORES-200, NLLB Team et al. (2022), from Wikinews, Wikivoyage and Wikibooks."
HEADLINE_LIMIT = 110

# Seed article file -> the member that sends it. The Persian reports are IRNA's; each Arabic one goes
# to the agency its content points to (Al-Kawthar's own dateline; a Turkish-Azerbaijani platform
# covered by Anadolu's Arabic service; a Syrian-Russian conference reported by SANA).
SEED_SENDERS: dict[str, DemoMember] = {
    "000_8cc19fd164d37fc4.txt": IRNA,
    "001_0741911a11926f71.txt": ALKAWTHAR,
    "002_b19a578a29b02872.txt": IRNA,
    "003_cc7b8ed6a474cf0f.txt": ANADOLU,
    "004_1007a2f2483b8123.txt": SANA,
}

_SPREAD = timedelta(days=7)
_NEWEST = timedelta(hours=1)  # the newest story is an hour old, so no language version lies in the future
_LANGUAGE_LAG_MINUTES = 25
_SENTENCE_END = re.compile(r"[.!?؟。][\"'»”]?\s+")
_QUOTES = "\"'«»“”„"
# Titles and short forms after which a period does not end a sentence (the FLORES sources use these).
_ABBREVIATIONS = frozenset(
    {"dr", "mr", "mrs", "ms", "st", "jr", "sr", "prof", "gen", "gov", "sen", "rep", "no", "vs"}
)


@dataclass(frozen=True, slots=True)
class Wire:
    """One payload a demo member sends: its bytes, as they would arrive, and the guid it carries."""

    member_code: str
    guid: str
    data: bytes
    content_type: str
    language: str
    sent_at: datetime | None = None  # when the member sent it (None: now)


def data_root() -> Traversable:
    return resources.files("tabadol.demo").joinpath("data")


def seed_wires() -> list[Wire]:
    seed_dir = data_root().joinpath("seed")
    wires = []
    for name, member in SEED_SENDERS.items():
        data = seed_dir.joinpath(name).read_bytes()
        language = "fa" if member is IRNA else "ar"
        guid = f"urn:tabadol:demo:{member.code}:seed-{name.split('_')[0]}"
        wires.append(Wire(member.code, guid, data, PLAIN_TEXT_CONTENT_TYPE, language))
    return wires


def flores_articles() -> Iterator[dict[str, Any]]:
    text = data_root().joinpath("flores", "dev.jsonl").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.strip():
            yield json.loads(line)


def flores_wires(now: datetime) -> list[Wire]:
    wires = []
    for article in flores_articles():
        story_time = story_moment(article["article_id"], now)
        for language, sender in FLORES_SENDERS.items():
            sent_at = story_time + language_lag(article["article_id"], language)
            wires.append(_flores_wire(article, language, sender, sent_at))
    return wires


def story_moment(article_id: str, now: datetime) -> datetime:
    """A fixed point in the last seven days for one story (the same article always lands at the same
    offset from `now`)."""
    window = int((_SPREAD - _NEWEST).total_seconds())
    return now - _NEWEST - timedelta(seconds=_stable_number(article_id) % window)


def language_lag(article_id: str, language: str) -> timedelta:
    return timedelta(minutes=_stable_number(f"{article_id}/{language}") % _LANGUAGE_LAG_MINUTES)


def headline_from(text: str, limit: int = HEADLINE_LIMIT) -> str:
    """The first sentence, tidied, cut at a word boundary if it is longer than `limit`."""
    first = _tidy(first_sentence(text))
    if len(first) <= limit:
        return first
    cut = first[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:،-–—") + "…"


def first_sentence(text: str) -> str:
    """Up to the first sentence end that is not an abbreviation or initial ("U.S.", "Dr.", "W.")."""
    for match in _SENTENCE_END.finditer(text):
        if match.group().startswith(".") and _is_abbreviation(text[: match.start()]):
            continue
        return text[: match.start() + 1] if match.group()[0] in "?؟!" else text[: match.start()]
    return text


def _is_abbreviation(before_period: str) -> bool:
    words = before_period.rsplit(maxsplit=1)
    last_word = words[-1].lstrip(_QUOTES) if words else ""
    return len(last_word) == 1 or "." in last_word or last_word.lower() in _ABBREVIATIONS


def _tidy(sentence: str) -> str:
    """Drop edge quotes and invisible characters, and quote marks a cut left unbalanced."""
    tidy = _strip_edges(sentence).rstrip(".")
    straight_unbalanced = tidy.count('"') % 2 == 1
    curly_unbalanced = tidy.count("«") != tidy.count("»") or tidy.count("“") != tidy.count("”")
    if straight_unbalanced or curly_unbalanced:
        tidy = "".join(ch for ch in tidy if ch not in _QUOTES or ch == "'")
    return _strip_edges(tidy)


def _strip_edges(text: str) -> str:
    """Whitespace, quote marks and format characters (e.g. U+2063) at either end; a ZWNJ inside a
    Persian word is a format character too, so only the edges are touched."""
    start, end = 0, len(text)
    while start < end and _is_edge_noise(text[start]):
        start += 1
    while end > start and _is_edge_noise(text[end - 1]):
        end -= 1
    return text[start:end]


def _is_edge_noise(char: str) -> bool:
    return char.isspace() or char in _QUOTES or unicodedata.category(char) == "Cf"


def _flores_wire(article: dict[str, Any], language: str, sender: DemoMember, sent_at: datetime) -> Wire:
    body = article["text"][language].strip()
    guid = f"urn:tabadol:demo:{sender.code}:{article['article_id']}"
    stamp = format_datetime(sent_at.replace(microsecond=0))
    ninjs = {
        "uri": guid,
        "type": "text",
        "language": language,
        "versioncreated": stamp,
        "firstcreated": stamp,
        "headline": headline_from(body),
        "body_text": body,
        "byline": sender.names.get(language) or sender.names["en"],
        "copyrightnotice": FLORES_LICENCE,
        "usageterms": f"Demo data; the source text is at {article['url']}",
        "subject": [
            {"name": topic.strip().lower(), "scheme": "flores-topic"}
            for topic in article["topic"].split(",")
            if topic.strip()
        ],
    }
    data = json.dumps(ninjs, ensure_ascii=False, indent=2).encode("utf-8")
    return Wire(sender.code, guid, data, NINJS_CONTENT_TYPE, language, sent_at)


def _stable_number(text: str) -> int:
    """A number that depends only on `text` (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")
