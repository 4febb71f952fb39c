"""Dates and numbers as each interface writes them.

Times are shown in the interface's time zone with its abbreviation (a reader in Tehran reads Tehran
time), month names from CLDR (via Babel), and the interface's digits. The Persian interface shows
the Solar Hijri date, the calendar Iran uses, with the Gregorian date beside it.
"""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date, format_time
from babel.numbers import format_decimal

from tabadol.enrich.calendars import gregorian_to_solar_hijri
from tabadol.types import ensure_utc
from tabadol.web.portal.languages import Language, localise_digits

SOLAR_HIJRI_MONTHS = (
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
)


def local(value: datetime, lang: Language) -> datetime:
    utc = ensure_utc(value)
    assert utc is not None
    return utc.astimezone(lang.zone)


def solar_hijri(day: date, lang: Language) -> str:
    """'۱۴ آذر ۱۴۰۵' (day, month name, year)."""
    year, month, dom = gregorian_to_solar_hijri(day)
    return localise_digits(f"{dom} {SOLAR_HIJRI_MONTHS[month - 1]} {year}", lang)


def long_date(value: datetime | date, lang: Language) -> str:
    """The day, spelled out: 'December 5, 2026'; in Persian '۱۴ آذر ۱۴۰۵ (۵ دسامبر ۲۰۲۶)'."""
    day = local(value, lang).date() if isinstance(value, datetime) else value
    gregorian = localise_digits(format_date(day, "long", locale=lang.locale), lang)
    if lang.code == "fa":
        return f"{solar_hijri(day, lang)} ({gregorian})"
    return gregorian


def date_time(value: datetime, lang: Language) -> str:
    """Day and time with the offset: 'December 5, 2026, 10:30 AM UTC' in the interface's words."""
    moment = local(value, lang)
    clock = localise_digits(format_time(moment, "short", locale=lang.locale), lang)
    separator = "، " if lang.rtl else ", "  # the Arabic comma in Persian and Arabic text
    return f"{long_date(moment.date(), lang)}{separator}{clock} {localise_digits(_offset(moment), lang)}"


def _offset(moment: datetime) -> str:
    """'UTC+03:30': understood in every language, unlike zone abbreviations."""
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def iso(value: datetime) -> str:
    """The machine-readable time for <time datetime="...">, always UTC."""
    utc = ensure_utc(value)
    assert utc is not None
    return utc.isoformat().replace("+00:00", "Z")


def number(value: int | float, lang: Language) -> str:
    return localise_digits(format_decimal(value, locale=lang.locale), lang)
