"""Cyrillic to Latin for Kazakh, Azerbaijani, Turkmen (and Russian), and a cross-script matching key.

The same place, agency or person reaches the hub as "Ақтау" from Kazinform's Kazakh wire, "Aqtau"
from its Latin wire, "Актау" from TASS and "Aktau" in English. `to_latin` writes Cyrillic text in the
language's own Latin alphabet (readable, reversible enough for a person); `matching_key` goes further
and folds the differences between the Latin alphabets so that spellings of one name meet.

Tables (written from the official alphabets, not from any romanisation library):

- ``kk``: the Kazakh Latin alphabet approved on 28 January 2021 (31 letters: A Ä B D E F G Ğ H I İ J
  K L M N Ñ O Ö P Q R S Ş T U Ū Ü V Y Z). ы->y, і->ı, и and й->i, у->u, ұ->ū, ү->ü, ж->j, ң->ñ.
  The alphabet has no C or Ç, so Russian-only letters follow the 2021 rules: ц->s, ч and щ->ş,
  ё->io, ю->iu, я->ia, э->e, ъ and ь dropped.
- ``az``: the Azerbaijani Cyrillic alphabet of 1958-1991 to the current Latin alphabet (1992).
  Note г->q and ҝ->g (Azerbaijani Cyrillic spells /g/ with Ҝ), ә->ə, ҹ->c, ч->ç, ј and й->y, ы->ı,
  х->x, һ->h. Russian loans: ц->ts, щ->şç, ё->yo, ю->yu, я->ya, э->e, ъ and ь dropped.
- ``tk``: the Turkmen Cyrillic alphabet to the Latin alphabet of 1993/1999 (A B Ç D E Ä F G H I J Ž K
  L M N Ň O Ö P R S Ş T U Ü W Y Ý Z). җ (native /dʒ/)->j, ж (/ʒ/, mostly loans: журнал->žurnal)->ž,
  в->w, й->ý, ы->y, ң->ň, ә->ä. A word-initial е was read /je/ (Ер->Ýer; initial /e/ was written
  Э), so it becomes ýe; ё->ýo, ю->ýu, я->ýa, ц->s, щ->şç, ъ and ь dropped.
- ``ru``: a simple practical scheme for matching (ж->zh, х->kh, ц->ts, ч->ch, ш->sh, щ->shch,
  й and ы->y, ю->yu, я->ya; ё->e because Russian print mostly writes ё as е; дж->j, the spelling of
  a foreign /dʒ/ as in Азербайджан). It also covers the Turkic letters (ә, ғ, қ, ң, ө, ұ, ү, һ, і,
  җ, ҹ, ҝ, ј), so no Cyrillic letter is left in text whose language is unknown.

Case is kept: an upper-case letter gives an upper-case first Latin letter, and a multi-letter output
inside an all-capitals word is all capitals (ЩУКА->SHCHUKA, Щука->Shchuka). Kazakh and Azerbaijani
capital И is İ and small Ы/І is ı. Everything that is not a Cyrillic letter of the table (Latin,
digits, punctuation, other scripts, control characters) is left exactly as it was.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from tabadol.enrich.normalize import normalize_for_search

# Russian letters shared by every table (each table overrides what its language spells otherwise).
_RUSSIAN_BASE = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s",
    "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "",
    "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya", "ё": "e",
}  # fmt: skip

# The letters the Turkic Cyrillic alphabets add, for text of unknown or Russian language.
_TURKIC_EXTRAS = {
    "ә": "ä", "ғ": "ğ", "қ": "q", "ң": "ñ", "ө": "ö", "ұ": "u", "ү": "ü", "һ": "h", "і": "ı",
    "җ": "j", "ҹ": "c", "ҝ": "g", "ј": "y",
}  # fmt: skip

_KAZAKH_2021 = _RUSSIAN_BASE | {
    "ә": "ä", "ғ": "ğ", "ж": "j", "и": "i", "й": "i", "і": "ı", "қ": "q", "ң": "ñ", "ө": "ö",
    "ұ": "ū", "ү": "ü", "х": "h", "һ": "h", "ц": "s", "ч": "ş", "ш": "ş", "щ": "ş", "ё": "io",
    "ю": "iu", "я": "ia",
}  # fmt: skip

_AZERBAIJANI = _RUSSIAN_BASE | {
    "г": "q", "ҝ": "g", "ғ": "ğ", "ә": "ə", "ж": "j", "ы": "ı", "ј": "y", "й": "y", "ө": "ö",
    "ү": "ü", "х": "x", "һ": "h", "ч": "ç", "ҹ": "c", "ш": "ş", "щ": "şç", "ё": "yo",
}  # fmt: skip

_TURKMEN = _RUSSIAN_BASE | {
    "в": "w", "ә": "ä", "ж": "ž", "җ": "j", "й": "ý", "ң": "ň", "ө": "ö", "ү": "ü", "х": "h",
    "ц": "s", "ч": "ç", "ш": "ş", "щ": "şç", "ё": "ýo", "ю": "ýu", "я": "ýa",
}  # fmt: skip

_RUSSIAN = _RUSSIAN_BASE | _TURKIC_EXTRAS


def _upper_turkic(text: str) -> str:
    """Upper case with the Turkish-style i: i->İ and ı->I (Kazakh 2021 and Azerbaijani)."""
    return text.replace("i", "İ").replace("ı", "I").upper()


def _upper_plain(text: str) -> str:
    return text.upper()


@dataclass(frozen=True)
class _Scheme:
    """One language's transliteration: the letter table plus its context rules."""

    letters: Mapping[str, str]
    upper: Callable[[str], str]
    # Rules that depend on neighbours, applied before the letter table: (pattern, lower-case output).
    context_rules: tuple[tuple[re.Pattern[str], str], ...] = ()

    def title(self, latin: str) -> str:
        return self.upper(latin[:1]) + latin[1:]


_WORD_START = r"(?<![^\W\d_])"  # not preceded by a letter
_SCHEMES: dict[str, _Scheme] = {
    "kk": _Scheme(_KAZAKH_2021, _upper_turkic),
    "az": _Scheme(_AZERBAIJANI, _upper_turkic),
    "tk": _Scheme(_TURKMEN, _upper_plain, ((re.compile(_WORD_START + "[еЕ]"), "ýe"),)),
    "ru": _Scheme(_RUSSIAN, _upper_plain, ((re.compile("[дД][жЖ]"), "j"),)),
}
SUPPORTED_LANGUAGES = frozenset(_SCHEMES)

# Decomposed й and ё (a base letter plus a combining breve or diaeresis) as some keyboards send them.
_DECOMPOSED_CYRILLIC = re.compile("[иИеЕ][\u0306\u0308]")


def to_latin(text: str, language: str) -> str:
    """Write the Cyrillic letters of `text` in the Latin alphabet of `language`.

    `language` is a BCP-47 tag; its primary subtag selects the table (``kk``, ``az``, ``tk``, ``ru``;
    see the module docstring, Kazakh follows the official alphabet of January 2021). Text in any
    other language is returned unchanged, as is every character outside the table.
    """
    compiled = _COMPILED.get(_primary_subtag(language))
    if compiled is None or not text:
        return text
    return compiled.apply(text)


def _primary_subtag(language: str | None) -> str:
    return (language or "").split("-", 1)[0].split("_", 1)[0].strip().lower()


@dataclass(frozen=True)
class _CompiledScheme:
    """A scheme turned into fast passes: regular expressions for the rare cases, then one
    `str.translate` for the rest (a megabyte of Cyrillic takes about a tenth of a second)."""

    scheme: _Scheme
    table: dict[int, str]
    all_caps: re.Pattern[str] | None
    caps_output: dict[str, str]

    def apply(self, text: str) -> str:
        if _DECOMPOSED_CYRILLIC.search(text):
            text = _DECOMPOSED_CYRILLIC.sub(lambda m: unicodedata.normalize("NFC", m.group()), text)
        for pattern, latin in self.scheme.context_rules:
            text = pattern.sub(self._replacer(latin), text)
        if self.all_caps is not None:
            text = self.all_caps.sub(lambda m: self.caps_output[m.group()], text)
        return text.translate(self.table)

    def _replacer(self, latin: str) -> Callable[[re.Match[str]], str]:
        """A substitution giving `latin` the case of the Cyrillic it replaces: lower, Title, or
        ALL CAPS when the match (or the letter after it) shows an all-capitals word."""

        def replace(match: re.Match[str]) -> str:
            source = match.group()
            if source.islower():
                return latin
            following = match.string[match.end() : match.end() + 1]
            if source[1:].isupper() or following.isupper():
                return self.scheme.upper(latin)
            return self.scheme.title(latin)

        return replace


def _compile(scheme: _Scheme) -> _CompiledScheme:
    table: dict[int, str] = {}
    caps_output: dict[str, str] = {}
    for small, latin in scheme.letters.items():
        capital = small.upper()
        table[ord(small)] = latin
        table[ord(capital)] = scheme.title(latin)
        if len(latin) > 1:
            caps_output[capital] = scheme.upper(latin)
    all_caps = None
    if caps_output:
        # A capital with a multi-letter output next to another capital is inside an all-caps word.
        capitals = "[" + "".join(sorted({small.upper() for small in scheme.letters})) + "]"
        multi = "[" + "".join(sorted(caps_output)) + "]"
        all_caps = re.compile(f"(?<={capitals}){multi}|{multi}(?={capitals})")
    return _CompiledScheme(scheme, table, all_caps, caps_output)


_COMPILED = {language: _compile(scheme) for language, scheme in _SCHEMES.items()}


# --- matching key ------------------------------------------------------------------------------

# Sounds each Latin alphabet (and English or Russian romanisation) spells its own way, folded to one
# spelling. Applied to case-folded text, digraphs first, then single letters.
_DIGRAPHS = {"dzh": "j", "kh": "h", "zh": "j", "ch": "ç", "sh": "ş"}
_DIGRAPH_PATTERN = re.compile("|".join(sorted(_DIGRAPHS, key=len, reverse=True)))
_LETTER_FOLDS = {
    "c": "j",  # Azerbaijani/Turkish c is /dʒ/: Azərbaycan, Azerbaýjan, Azerbaijan
    "ç": "ch",  # /tʃ/: ç, Russian and English ch
    "ş": "sh",  # /ʃ/: ş, Russian and English sh
    "ž": "j",  # Turkmen ž, Kazakh j, Russian zh
    "q": "k",  # Kazakh қ is q in Latin, k in Russian and English: Aqtau, Aktau
    "y": "i",  # Kazakh/Turkmen y (ы), Turkmen ý (й) and Russian y (й, ы) against i
    "ı": "i",
    "ä": "a",  # Kazakh/Turkmen ä: usually a in Russian and English spellings
    "ə": "e",  # Azerbaijani ə: e in the Turkish and Turkmen forms of shared names (Azərbaycan)
    "ŋ": "n",
    "ø": "o",
    "æ": "ae",
    "đ": "d",
    "ł": "l",
}
# Control and invisible format characters separate nothing a reader sees or are noise.
_CONTROLS = {code: " " for code in [*range(0x00, 0x20), *range(0x7F, 0xA0)]}
_FORMAT_CHARS = {
    code: ""
    for code in [
        0x00AD, 0x034F, 0x061C, 0x180E, *range(0x200B, 0x2010), *range(0x202A, 0x202F),
        *range(0x2060, 0x2070), 0xFEFF, *range(0xFFF9, 0xFFFC),
    ]
}  # fmt: skip
_SCRUB = str.maketrans(_CONTROLS | _FORMAT_CHARS)
_CYRILLIC_LETTER = re.compile("[\u0400-\u04ff]")
_REPEATED_LETTER = re.compile(r"([^\W\d_])\1+")


def _latin_base_folds() -> dict[int, str]:
    """Latin letters with diacritics (ä ö ü ğ ñ ň ū ý é ...) to their base letter, except the ones
    `_LETTER_FOLDS` treats as letters of their own (ş, ç, ž)."""
    folds: dict[int, str] = {}
    for code in [*range(0x00C0, 0x0250), *range(0x1E00, 0x1F00)]:
        char = chr(code)
        decomposed = unicodedata.normalize("NFKD", char)
        base, marks = decomposed[:1], decomposed[1:]
        if base.isascii() and base.isalpha() and marks and all(unicodedata.combining(m) for m in marks):
            folds[code] = _LETTER_FOLDS.get(base.lower(), base.lower())
    for char, folded in _LETTER_FOLDS.items():
        folds[ord(char)] = folded
    return folds


_FOLD_TABLE = _latin_base_folds()


def matching_key(text: str, language: str | None) -> str:
    """One script-independent form of a name or phrase, for matching across scripts and alphabets.

    Cyrillic is first written in Latin with the table of `language` (kk, az, tk; Russian and any
    other or unknown language use the ``ru`` table, which also covers the Turkic letters). Then the
    text is normalised for search (case folding, Turkic i, invisible characters, white space), Latin
    diacritics are dropped, the spellings of one sound are merged (sh/ş, ch/ç, zh/ž/j, c/j, kh/h,
    q/k, y/ı/i, ä/a, ə/e) and a doubled letter counts once (Aliyev/Алиев). Digits are kept as they
    are, so numbers still tell items apart.

    What meets (see tests/enrich/test_translit.py for the full list):
    - Қазақстан / Qazaqstan (kk), and separately Казахстан (ru) / Kazakhstan (en);
    - Ақтау / Aqtau / Актау / Aktau; Қазақпарат / Qazaqparat / Kazakparat;
    - Түркменистан / Türkmenistan / Туркменистан / Turkmenistan;
    - Түркменбашы / Türkmenbaşy / Türkmənbaşı / Туркменбаши / Turkmenbashi;
    - Әзербайжан (kk) / Азербайҗан / Azerbaýjan (tk) / Азәрбајҹан / Azərbaycan (az) / Азербайджан (ru)
      / Azerbaijan / Azerbaycan (tr);
    - Бакы / Bakı (az); Ашгабат / Aşgabat / Ashgabat; Алиев / Aliyev.

    What does not meet: forms that differ in more than spelling. Kazakh Qazaqstan (қ) and Russian
    Kazakhstan (х) stay apart, as do Bakı (az) and Baku (ru, en), Ashgabat and the Russian
    Ashkhabad, Əliyev (ə->e) and Aliyev, Kazakh Türıkmenstan and Türkmenistan, Azerbaijani Xəzər
    and Russian Хазар (Latin x is left alone: it is /ks/ in English). The price of the folding: words
    that differ only in a folded distinction meet too (Kazakh тіл and тыл, süt and sut), which is
    acceptable for finding candidates but not for deciding identity on its own.
    """
    scheme_language = _primary_subtag(language)
    if scheme_language not in {"kk", "az", "tk"}:
        scheme_language = "ru"
    latin = to_latin(text.translate(_SCRUB), scheme_language)
    if _CYRILLIC_LETTER.search(latin):
        # Letters of another Turkic alphabet (a Kazakh text quoting Azerbaijani ҹ or ј).
        latin = to_latin(latin, "ru")
    folded = normalize_for_search(latin)
    folded = _DIGRAPH_PATTERN.sub(lambda m: _DIGRAPHS[m.group()], folded)
    folded = folded.translate(_FOLD_TABLE)
    return _REPEATED_LETTER.sub(r"\1", folded)
