"""Text normalisation for search and matching (never applied to the verbatim original).

The same word reaches the hub in several spellings: Persian and Arabic keyboards give different yeh
and kaf (ی/ي, ک/ك), hamza is written on different seats or not at all, digits come as Arabic-Indic
(٣), Persian (۳) or ASCII (3), a zero-width non-joiner may or may not split a Persian word, and
vowel marks and tatweel (ـ) are optional decoration. `normalize_for_search` maps all of these to one
form, folds case in every script (including Turkish/Azerbaijani dotted and dotless i, which fold to
plain i so either spelling matches), and collapses white space. Indexing and querying both use it, so
a query matches whatever spelling the sender used.
"""

from __future__ import annotations

import re
import unicodedata

# Letters with several spellings across Persian and Arabic keyboards, mapped to one form each.
_LETTERS = {
    "ي": "ی",  # Arabic yeh -> Persian yeh
    "ى": "ی",  # alef maksura
    "ئ": "ی",  # yeh with hamza
    "ك": "ک",  # Arabic kaf -> Persian keheh
    "ة": "ه",  # teh marbuta
    "ۀ": "ه",  # heh with yeh above (Persian ezafe)
    "ؤ": "و",  # waw with hamza
    "أ": "ا",  # alef with hamza above
    "إ": "ا",  # alef with hamza below
    "آ": "ا",  # alef with madda
    "ٱ": "ا",  # alef wasla
    "ء": "",  # a lone hamza is often simply omitted
    "ـ": "",  # tatweel (kashida): a stretch, not a letter
}
# Arabic-Indic and Persian (extended) digits to ASCII.
_DIGITS = {chr(0x0660 + n): str(n) for n in range(10)} | {chr(0x06F0 + n): str(n) for n in range(10)}
# Invisible characters that change nothing a reader sees: ZWNJ, ZWJ, ZWSP, word joiner, BOM, and
# direction marks (LRM, RLM, ALM, embeddings, overrides and isolates).
_INVISIBLE = {
    # ZWNJ joins the parts of a Persian word; writers often drop it (خبرگزاری‌ها / خبرگزاریها).
    "\u200c": "",
    "\u200b": "",
    "\u200d": "",
    "\u2060": "",
    "\ufeff": "",
    "\u200e": "",
    "\u200f": "",
    "\u061c": "",
    **{chr(c): "" for c in range(0x202A, 0x202F)},
    **{chr(c): "" for c in range(0x2066, 0x206A)},
}
# Turkic i: both capitals and both small letters become plain i for matching.
_TURKIC_I = {"İ": "i", "I": "i", "ı": "i"}

_TABLE = str.maketrans(_LETTERS | _DIGITS | _INVISIBLE | _TURKIC_I)
_SPACES = re.compile(r"\s+")


def normalize_for_search(text: str) -> str:
    """One comparable form of `text`: see the module docstring for what is unified."""
    text = unicodedata.normalize("NFKC", text).translate(_TABLE)
    text = _strip_marks(text.casefold())
    return _SPACES.sub(" ", text).strip()


def _strip_marks(text: str) -> str:
    """Remove Arabic-script vowel marks (harakat, shadda, sukun, superscript alef) and the Latin
    combining dot left by casefolding İ; other scripts' combining marks carry meaning (й, ё, ş via
    NFKC are precomposed) and stay."""
    return text.translate(_REMOVABLE_MARKS)


# One translate table rather than a test per character: normalising is what word filters and
# search cost per item, and this was most of it.
_REMOVABLE_MARKS = dict.fromkeys([*range(0x064B, 0x0660), 0x0670, 0x0307, *range(0x06D6, 0x06EE)])
