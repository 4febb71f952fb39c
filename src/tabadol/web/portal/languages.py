"""The interface languages: the members' eight, with their script direction, digits and time zone.

The interface language is chosen by the URL prefix (`/fa/...`); `/` picks one from the
Accept-Language header (or the language the reader chose before, remembered in a cookie).
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "tabadol_lang"


@dataclass(frozen=True, slots=True)
class Language:
    code: str  # BCP-47 primary subtag, the URL prefix
    name: str  # in its own language, for the language switcher
    direction: str  # "rtl" or "ltr"
    locale: str  # Babel / CLDR locale for month names and number grouping
    digits: str  # the ten digits this interface writes numbers with
    time_zone: str  # where most readers of this interface are: dates are shown in it, labelled

    @property
    def rtl(self) -> bool:
        return self.direction == "rtl"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


_LATIN_DIGITS = "0123456789"
LANGUAGES: dict[str, Language] = {
    language.code: language
    for language in (
        Language("fa", "فارسی", "rtl", "fa_IR", "۰۱۲۳۴۵۶۷۸۹", "Asia/Tehran"),
        Language("ar", "العربية", "rtl", "ar", "٠١٢٣٤٥٦٧٨٩", "Asia/Damascus"),
        Language("ru", "Русский", "ltr", "ru", _LATIN_DIGITS, "Europe/Moscow"),
        Language("az", "Azərbaycanca", "ltr", "az", _LATIN_DIGITS, "Asia/Baku"),
        Language("kk", "Қазақша", "ltr", "kk", _LATIN_DIGITS, "Asia/Almaty"),
        Language("tk", "Türkmençe", "ltr", "tk", _LATIN_DIGITS, "Asia/Ashgabat"),
        Language("tr", "Türkçe", "ltr", "tr", _LATIN_DIGITS, "Europe/Istanbul"),
        Language("en", "English", "ltr", "en", _LATIN_DIGITS, "UTC"),
    )
}


def language(code: str) -> Language | None:
    return LANGUAGES.get(code)


def localise_digits(text: str, lang: Language) -> str:
    """ASCII digits written with the interface's own digits (Persian ۱۲۳, Arabic-Indic ١٢٣)."""
    if lang.digits == _LATIN_DIGITS:
        return text
    return text.translate(str.maketrans(_LATIN_DIGITS, lang.digits))


def negotiate(accept_language: str | None, remembered: str | None = None) -> str:
    """The interface for `/`: the remembered choice, else the best Accept-Language match, else English.

    Accept-Language is parsed as RFC 9110 says (comma-separated ranges with optional q weights);
    a range matches by its primary subtag, so `fa-IR` and `az-Latn-AZ` find their interfaces.
    """
    if remembered in LANGUAGES:
        return str(remembered)
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        primary = tag.strip().split("-")[0].lower()
        if primary in LANGUAGES and weight > 0:
            ranked.append((-weight, position, primary))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE
