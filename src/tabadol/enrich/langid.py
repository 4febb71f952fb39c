"""Language and script identification for headlines and bodies.

Stock detectors are weak exactly where the alliance writes: CLD2 gives up on many short Russian
lines, and Turkmen, Azerbaijani, Turkish and Latin-script Kazakh share most of their letters. So the
default identifier combines independent evidence instead of trusting one detector:

1. the script: letters are counted per Unicode script and the majority script decides which
   languages are candidates (mixed text: the majority wins);
2. letters: each candidate has distinctive letters (Kazakh ә ғ қ ң ө ұ ү һ і; Persian پ چ ژ گ ک ی;
   Azerbaijani ə; Turkmen ý ň ž ...) and an alphabet, and a word using a letter outside a
   language's alphabet counts against that language;
3. CLD2 (pycld2), weighted by its own reliability flag, for the languages the rules cannot tell
   apart (English among the Latin-script languages) and for every language outside the eight;
4. short lists of the most frequent function words per language, which settle short headlines.

Every guess carries its evidence, so an editor (or a test) can see why a tag was chosen, and the
`LanguageIdentifier` protocol lets a better model replace this one without touching callers.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import pycld2

UNDETERMINED = "und"
# Only this much text is read: a few thousand characters identify a language as well as 5 MB do,
# and the cost of a guess must not grow with the body.
SAMPLE_CHARS = 4000
# If the first sample holds almost no letters (a table of figures, padding), look a little further,
# but never beyond this many characters.
MAX_SCAN_CHARS = 64_000
_ENOUGH_LETTERS = 200


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    """A BCP-47 `tag` ("und" when unknown), an ISO 15924 `script` ("Zyyy" when the text has no
    letters), a `confidence` in 0..1 and the `evidence` behind the choice."""

    tag: str
    script: str
    confidence: float
    evidence: tuple[str, ...] = ()


class LanguageIdentifier(Protocol):
    """Anything that can name the language of a text; implementations must be pure and total."""

    def identify(self, text: str) -> LanguageGuess: ...


@dataclass(frozen=True, slots=True)
class LanguageProfile:
    """What the rules know about one language: the letters that point to it (weight per word that
    contains one), the letters it normally uses (lower case), and its most frequent function words."""

    tag: str
    markers: Mapping[str, float]
    alphabet: frozenset[str]
    stop_words: frozenset[str]
    # Codes CLD2 uses for this language (none for kk-Latn: CLD2 only knows Cyrillic Kazakh).
    cld2_codes: frozenset[str] = frozenset()
    # Word shapes that point to the language (the Arabic article), with their weight per word.
    word_patterns: tuple[tuple[re.Pattern[str], float], ...] = ()
    # Ordinary text shows a telling marker (or, for a language without markers, one of its
    # function words) within a few words, so their absence is evidence against the language:
    # Kazakh without ә ғ қ ң ө ұ ү һ і is most likely Russian, Azerbaijani without ə, q or x most
    # likely Turkish, English without "the", "of", "and"... most likely not English. The score
    # loses this much (in full from six words on; the more often the markers appear, the more).
    absence_penalty: float = 0.0
    # Score a language starts with: Russian is the unmarked Cyrillic language of the region (Kazakh
    # adds letters to its alphabet), so Cyrillic text with no evidence either way is Russian.
    prior: float = 0.0
    # CLD2 is known to call this language's close neighbour by its name (Turkish "az"); its vote
    # then counts only in part when the telling letters are absent.
    cld2_confuses_neighbour: bool = False


def _letters(spec: str) -> frozenset[str]:
    return frozenset(spec.replace(" ", ""))


def _words(spec: str) -> frozenset[str]:
    return frozenset(spec.split())


_BASIC_LATIN = "abcdefghijklmnopqrstuvwxyz"
_RUSSIAN = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
# Letters shared by Arabic and Persian.
_ARABIC_COMMON = "ءآأؤإئابتثجحخدذرزسشصضطظعغفقلمنهوۀ"
# Case suffixes after an apostrophe on Latin-script names are a Turkic habit (Ring'in, Bakı'da);
# English only has 's, 't, 'll, 're, 've, 'd, 'm.
_TURKIC_APOSTROPHE_SUFFIX = re.compile(r"^[^'’]{2,}['’](?!(?:s|t|d|m|ll|re|ve)$)[^\W\d_]{1,8}$")
# The Arabic article, alone or after a one-letter conjunction or preposition (و ف ب ك ل).
_ARABIC_ARTICLE = re.compile(r"^(?:[وفبكل]?ال|لل)..")
# Shared by every Turkic language here, so below the telling weight: it tells them from English only.
_TURKIC_PATTERNS = ((_TURKIC_APOSTROPHE_SUFFIX, 0.6),)
_TURKISH_PRESENT = re.compile(r".+[ıiuü]yor")
_AZERBAIJANI_FINAL_B = re.compile(r".+[aıoueəiöü]b$")
# y as a vowel between consonants (Turkmen artykmaçlyk, Kazakh salynady).
_TURKMEN_VOWEL_Y = re.compile(r".*[bçdfghjklmnprsştz]y[bçdfghjklmnprsştz]")
# Letters every Latin Turkic alphabet here has and English lacks; equal weights, so they separate
# the Turkic languages from English and from foreign guesses, not from each other.
_TURKIC_LETTERS = {"ç": 0.3, "ö": 0.3, "ş": 0.3, "ü": 0.3}
# Case-folded İ (i + combining dot above): the dotted capital of Turkish, Azerbaijani and Kazakh.
_DOTTED_CAPITAL_I = {"\u0307": 0.3}
# Markers at least this heavy are "telling": ordinary text shows one within a few words.
_TELLING_MARKER = 0.7

PROFILES: Mapping[str, tuple[LanguageProfile, ...]] = {
    "Cyrl": (
        LanguageProfile(
            tag="ru",
            markers={},
            alphabet=_letters(_RUSSIAN),
            stop_words=_words(
                "и в во на с со по не что как для из о об от к ко за это он она они его её их был "
                "была были быть при также же но а или до после у уже так только который которая "
                "которые которых году года лет будет может этот этом этой все всех более чем где "
                "когда если между под над через сегодня заявил сообщил"
            ),
            cld2_codes=frozenset({"ru"}),
            prior=0.25,
        ),
        LanguageProfile(
            tag="kk",
            # ұ and ә, ғ, қ, ң occur in no other major Cyrillic alphabet together; і and ү, ө, һ
            # are shared with Ukrainian, Kyrgyz, Tatar or Mongolian, so they weigh less.
            markers={
                "ә": 2.0,
                "ғ": 2.0,
                "қ": 2.0,
                "ң": 2.0,
                "ұ": 2.5,
                "ө": 1.5,
                "ү": 1.5,
                "һ": 1.0,
                "і": 1.5,
            },
            alphabet=_letters(_RUSSIAN + "әғқңөұүһі"),
            stop_words=_words(
                "және мен бен пен да де та те бұл осы сол ол олар оның бір деп деді үшін туралы "
                "бойынша жылы жыл кейін бірақ немесе сондай ақ ретінде арқылы дейін қазір тағы "
                "барлық әр өз еді болып болды болады бар жоқ емес тиіс керек көп ең"
            ),
            cld2_codes=frozenset({"kk"}),
            absence_penalty=0.6,
        ),
    ),
    "Arab": (
        LanguageProfile(
            tag="fa",
            # ZWNJ inside a word (می‌شود, خبرگزاری‌ها) is Persian spelling; Arabic does not use it.
            markers={"پ": 2.0, "چ": 2.0, "ژ": 2.0, "گ": 2.0, "ک": 1.0, "ی": 1.0, "\u200c": 2.0},
            # Persian typed on an Arabic keyboard has ي and ك; Arabic loanwords keep ة.
            alphabet=_letters(_ARABIC_COMMON + "پچژگکیيكة\u200c"),
            stop_words=_words(
                "در به از که این با را است برای آن یک می خود تا شد شده بود کرد هم نیز ها اما یا "
                "بر دیگر وی او ما شود باید کند دارد بین پیش پس چه همه اند هر نه ای کرده بوده "
                "گفت سال روز خواهد نمی"
            ),
            cld2_codes=frozenset({"fa"}),
            absence_penalty=0.3,
        ),
        LanguageProfile(
            tag="ar",
            markers={
                "ة": 1.5,
                "ى": 1.5,
                "ي": 1.0,
                "ك": 1.0,
                "أ": 0.5,
                "إ": 1.0,
                "\u064b": 1.0,
                "\u064c": 1.0,
                "\u064d": 1.0,
            },
            alphabet=_letters(_ARABIC_COMMON + "ةيكى"),
            stop_words=_words(
                "في من على إلى الى أن ان إن التي الذي الذين عن مع هذا هذه كان كانت وقد قد لا بعد "
                "أو او كما بين عند حيث ثم لم لن ذلك تلك هو هي وفي ومن وهو وهي إنه أنه كل قبل خلال "
                "منذ حتى غير عام أي وكان ولا لها له فيه فيها عليه إلا بأن"
            ),
            cld2_codes=frozenset({"ar"}),
            word_patterns=((_ARABIC_ARTICLE, 1.0),),
            absence_penalty=0.3,
        ),
    ),
    "Latn": (
        LanguageProfile(
            tag="en",
            markers={},
            alphabet=_letters(_BASIC_LATIN),
            stop_words=_words(
                "the of and to in a is that for it as was with be by on not he she they this are or "
                "his her from at which but have has had an were their its been will would who there "
                "after said more into also than about over new can you our"
            ),
            cld2_codes=frozenset({"en"}),
            absence_penalty=0.45,
        ),
        LanguageProfile(
            tag="tr",
            markers={"ğ": 0.5, "ı": 0.5, **_TURKIC_LETTERS, **_DOTTED_CAPITAL_I},
            alphabet=_letters(_BASIC_LATIN.replace("q", "").replace("w", "").replace("x", "") + "çğıöşüâîû"),
            stop_words=_words(
                "ve bir bu için ile de da olarak olan gibi daha çok en ancak ama sonra kadar göre "
                "değil ise veya şu her hem ki mi tarafından üzerinde arasında yılında bunun ayrıca "
                "olduğu olduğunu dedi diye büyük yeni iki ilk yapılan kendi önce şekilde"
            ),
            cld2_codes=frozenset({"tr"}),
            # The present continuous -yor (geliyor, oluyor) is Turkish; Azerbaijani says gəlir.
            word_patterns=(*_TURKIC_PATTERNS, (_TURKISH_PRESENT, 1.0)),
        ),
        LanguageProfile(
            tag="az",
            # ə is decisive: no other language here writes it.
            markers={
                "ə": 3.0,
                "x": 0.7,
                "q": 0.7,
                "ğ": 0.3,
                "ı": 0.3,
                **_TURKIC_LETTERS,
                **_DOTTED_CAPITAL_I,
            },
            alphabet=_letters(_BASIC_LATIN.replace("w", "") + "çəğıöşü"),
            stop_words=_words(
                "və bir bu üçün ilə də da olaraq olan kimi daha çox ən lakin amma sonra qədər görə "
                "deyil isə həm hər ki tərəfindən arasında ildə onun həmçinin olduğu olduğunu dedi "
                "böyük yeni iki ilk edilən öz əvvəl şəkildə bunu"
            ),
            cld2_codes=frozenset({"az"}),
            cld2_confuses_neighbour=True,
            # Azerbaijani spelling keeps a final b (başlayıb, kitab) where Turkish writes p.
            word_patterns=(*_TURKIC_PATTERNS, (_AZERBAIJANI_FINAL_B, 0.7)),
            absence_penalty=0.6,
        ),
        LanguageProfile(
            tag="tk",
            # ý, ň and ž are Turkmen letters no neighbour uses this way; w replaces v throughout.
            markers={"ý": 2.0, "ň": 3.0, "ž": 2.0, "ä": 1.0, "w": 0.7, **_TURKIC_LETTERS},
            alphabet=_letters("abdefghijklmnoprstuwyz" + "çäňöşüýž"),
            stop_words=_words(
                "we bir bu üçin bilen hem hem-de bolup bolan ýaly has köp iň emma ýöne soň soňra "
                "çenli görä däl bolsa ýa-da ýa her şu ol olar onuň boýunça arasynda ýylda "
                "tarapyndan diýip diýdi uly täze iki ilkinji öz öň görnüşde edilen bar ýok"
            ),
            cld2_codes=frozenset({"tk"}),
            # y is a vowel in Turkmen (artykmaçlyk, asyrlar); Turkish and Azerbaijani y is a
            # consonant and never stands between two consonants.
            word_patterns=(*_TURKIC_PATTERNS, (_TURKMEN_VOWEL_Y, 0.5)),
            absence_penalty=0.5,
        ),
        LanguageProfile(
            tag="kk-Latn",
            # Both official Latin alphabets: the 2018 one (á ǵ ń ó ú ý, ı for и/й, sh ch) and the
            # 2021 revision (ä ğ ñ ö ş ū ü, ı for і). ǵ, ń, ū, ñ and q are the telling letters.
            markers={
                "ǵ": 3.0,
                "ń": 3.0,
                "ū": 3.0,
                "ñ": 2.0,
                "ŋ": 3.0,
                "á": 2.0,
                "ú": 2.0,
                "ó": 1.0,
                "q": 1.0,
                "ı": 0.3,
                **_TURKIC_LETTERS,
                **_DOTTED_CAPITAL_I,
            },
            alphabet=_letters(_BASIC_LATIN.replace("w", "").replace("x", "") + "áǵıńóúýäğñŋöşūü"),
            stop_words=_words(
                "jäne jáne men ben pen bul búl būl osy sol ol olar onyñ onyń bır bir dep dedı dedi "
                "üşın úshin ushin turaly boiynşa boıynsha jyly keiın keıin bıraq biraq nemese "
                "retınde retinde arqyly deiın deıin qazır qazir barlyq edı edi bolyp boldy bolady "
                "emes tiıs tiis kerek eñ eń"
            ),
            # y is a vowel (ы) in both Latin alphabets, as in Turkmen.
            word_patterns=(*_TURKIC_PATTERNS, (_TURKMEN_VOWEL_Y, 0.5)),
            absence_penalty=0.6,
        ),
    ),
}

# ISO 15924 codes for the first word of a character's Unicode name.
_SCRIPT_BY_NAME_PREFIX = {
    "LATIN": "Latn",
    "CYRILLIC": "Cyrl",
    "ARABIC": "Arab",
    "GREEK": "Grek",
    "HEBREW": "Hebr",
    "ARMENIAN": "Armn",
    "GEORGIAN": "Geor",
    "DEVANAGARI": "Deva",
    "BENGALI": "Beng",
    "GURMUKHI": "Guru",
    "GUJARATI": "Gujr",
    "TAMIL": "Taml",
    "TELUGU": "Telu",
    "KANNADA": "Knda",
    "MALAYALAM": "Mlym",
    "THAI": "Thai",
    "LAO": "Laoo",
    "TIBETAN": "Tibt",
    "MYANMAR": "Mymr",
    "KHMER": "Khmr",
    "ETHIOPIC": "Ethi",
    "SYRIAC": "Syrc",
    "THAANA": "Thaa",
    "HANGUL": "Hang",
    "HIRAGANA": "Hira",
    "KATAKANA": "Kana",
    "CJK": "Hani",
    "MONGOLIAN": "Mong",
}
NO_SCRIPT = "Zyyy"  # "common": the text has no letters at all
UNKNOWN_SCRIPT = "Zzzz"

_ZWNJ = "\u200c"
# Characters a reader does not see (controls, format characters such as direction marks and
# zero-width spaces) are dropped before counting; ZWNJ is kept because Persian spelling uses it.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_LEADING_SPACE = re.compile(r"\s*")
_WORD = re.compile(r"[^\W\d_]+(?:[\u200c'’\-][^\W\d_]+)*")
_BCP47_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")

# Weights of the kinds of evidence (letters and function words are rates over the words of the
# script; CLD2 is its percentage for its top language).
_LETTER_WEIGHT = 1.0
_FOREIGN_LETTER_PENALTY = 1.0
_STOP_WORD_WEIGHT = 3.0
_CLD2_WEIGHT = 1.0
_CLD2_UNRELIABLE_FACTOR = 0.4
# CLD2's vote counts this much when the language's telling letters are absent.
_CLD2_DOUBTED_FACTOR = 0.5
# The absence penalty applies in full from this many words on (one or two words say little).
_ABSENT_MARKER_FULL_AT = 6
# CLD2 may name a language outside the candidates (Uzbek, Ukrainian, French...). It wins only when
# it is reliable and sure, and either the text has letters no candidate writes or the rules found
# little for any candidate: below the weak score, or, on a text of at least _LONG_TEXT_WORDS words
# (where CLD2 is seldom wrong), below _LONG_TEXT_CLD2_TRUST times CLD2's percentage.
_FOREIGN_CLD2_MIN_PERCENT = 70
_WEAK_RULE_SCORE = 0.15
_LONG_TEXT_WORDS = 10
_LONG_TEXT_CLD2_TRUST = 0.5
# Confidence is scaled down for texts shorter than this many words.
_FULL_CONFIDENCE_WORDS = 4
# A script that is not the majority is still read when it holds this share of the letters (Persian
# text around Latin names); its answer wins when the majority script's evidence is weak and the
# minority's is stronger by this margin.
_MINOR_SCRIPT_SHARE = 0.25
_MINOR_SCRIPT_MARGIN = 0.3
# Languages CLD2 often names for short text in a neighbour's script; without one of their own
# letters, the guess is not believed.
_FOREIGN_SIGNATURE_LETTERS: Mapping[str, frozenset[str]] = {
    "sr": _letters("ђјљњћџ"),
    "mk": _letters("ѓѕјљњќџ"),
    "uk": _letters("іїєґ"),
    "be": _letters("іў"),
    "ky": _letters("ңөү"),
    "tt": _letters("әҗңөүһ"),
    "mn": _letters("өү"),
    "tg": _letters("ғӣқҳҷӯ"),
    "ur": _letters("ٹڈڑںےھۓ"),
    "ps": _letters("ټډړږښګڼېۍ"),
    "ku": _letters("ەۆێڕڵ"),
    "ug": _letters("ەۆۇۈۋې"),
    "sd": _letters("ٺٻڀڄڃڇڊڌڍڏڙڦڪڱڳ"),
}


@dataclass(frozen=True, slots=True)
class _Sample:
    """The bounded, cleaned text that evidence is taken from (words are case-folded)."""

    text: str
    words: tuple[str, ...]
    script_counts: Counter[str]


class RuleAndCld2Identifier:
    """The default identifier: script, letters, function words and CLD2, combined (see module doc)."""

    def __init__(self, profiles: Mapping[str, tuple[LanguageProfile, ...]] = PROFILES) -> None:
        self._profiles = profiles

    def identify(self, text: str) -> LanguageGuess:
        sample = _take_sample(text)
        if not sample.script_counts:
            return LanguageGuess(UNDETERMINED, NO_SCRIPT, 0.0, ("no letters",))
        cld2 = _run_cld2(sample.text)
        shares = _script_shares(sample.script_counts)
        guesses = [self._identify_in_script(script, share, sample, cld2) for script, share in shares]
        return _prefer_decided(guesses)

    def _identify_in_script(
        self, script: str, share: float, sample: _Sample, cld2: _Cld2Answer | None
    ) -> _ScriptGuess:
        evidence = [f"script:{script} {round(100 * share)}%"]
        if cld2 is not None:
            evidence.append(cld2.describe())
        candidates = self._profiles.get(script, ())
        if not candidates:
            return _ScriptGuess(_outside_candidates(script, cld2, evidence), 0.0)
        words = tuple(w for w in sample.words if _script_of_word(w) == script)
        found = {p.tag: _score(p, words, cld2, evidence) for p in candidates}
        return _decide(script, share, candidates, found, words, cld2, evidence)


@dataclass(frozen=True, slots=True)
class _ScriptGuess:
    """The answer from one script's letters, with the evidence score (prior excluded) behind it."""

    guess: LanguageGuess
    score: float


def _script_shares(counts: Counter[str]) -> list[tuple[str, float]]:
    """The majority script first, then every other script holding a real share of the letters."""
    total = sum(counts.values())
    # Ties go to the alphabetically first script so the answer never depends on input order.
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    majority = ranked[0]
    minors = [item for item in ranked[1:] if item[1] / total >= _MINOR_SCRIPT_SHARE]
    return [(script, count / total) for script, count in [majority, *minors]]


def _prefer_decided(guesses: list[_ScriptGuess]) -> LanguageGuess:
    """The majority script's answer, unless it is weak and a minority script's is clearly better."""
    chosen = guesses[0]
    for other in guesses[1:]:
        weak = chosen.score < _WEAK_RULE_SCORE
        if weak and other.score >= chosen.score + _MINOR_SCRIPT_MARGIN and other.guess.tag != UNDETERMINED:
            chosen = other
    return chosen.guess


@dataclass(frozen=True, slots=True)
class _Cld2Answer:
    code: str
    percent: int
    reliable: bool

    def describe(self) -> str:
        flag = "" if self.reliable else " unreliable"
        return f"cld2:{self.code} {self.percent}{flag}"


def _take_sample(text: str) -> _Sample:
    """Clean the start of `text` (NFKC, invisible characters dropped) and count its scripts."""
    # Leading white space (padding, blank lines) is skipped first so that it cannot use up the sample.
    leading = _LEADING_SPACE.match(text)
    start = leading.end() if leading else 0
    text = text[start : start + MAX_SCAN_CHARS]
    end = SAMPLE_CHARS
    while True:
        cleaned = _clean(text[:end])
        counts = _count_scripts(cleaned)
        if sum(counts.values()) >= _ENOUGH_LETTERS or end >= len(text):
            break
        end *= 2
    words = tuple(m.group(0).casefold() for m in _WORD.finditer(cleaned))
    return _Sample(cleaned, words, counts)


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if ch == _ZWNJ or _is_visible(ch))


@lru_cache(maxsize=8192)
def _is_visible(ch: str) -> bool:
    return unicodedata.category(ch) not in _INVISIBLE_CATEGORIES or ch in "\n\t"


def _count_scripts(text: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for ch in text:
        script = _script_of_char(ch)
        if script is not None:
            counts[script] += 1
    return counts


@lru_cache(maxsize=8192)
def _script_of_char(ch: str) -> str | None:
    """ISO 15924 script of a letter; None for anything that is not a letter."""
    if not unicodedata.category(ch).startswith("L"):
        return None
    name = unicodedata.name(ch, "")
    return _SCRIPT_BY_NAME_PREFIX.get(name.split(" ", 1)[0], UNKNOWN_SCRIPT)


def _script_of_word(word: str) -> str | None:
    for ch in word:
        script = _script_of_char(ch)
        if script is not None:
            return script
    return None


def _run_cld2(text: str) -> _Cld2Answer | None:
    """CLD2's top answer, or None when it has none (or refuses the text)."""
    try:
        reliable, _, details = pycld2.detect(text, bestEffort=True)
    except pycld2.error:
        return None
    _, code, percent, _ = details[0]
    if code in ("un", "xxx") or percent <= 0:
        return None
    return _Cld2Answer(code=code, percent=int(percent), reliable=bool(reliable))


def _score(
    profile: LanguageProfile, words: tuple[str, ...], cld2: _Cld2Answer | None, evidence: list[str]
) -> float:
    """Evidence for one candidate language, as a sum of weighted rates; notes what it found."""
    if not words:
        return 0.0
    markers = _find_markers(profile, words)
    foreign_rate = sum(1 for w in words if not _within_alphabet(w, profile.alphabet)) / len(words)
    stop_rate = sum(1 for w in words if _bare(w) in profile.stop_words) / len(words)
    score = (
        _LETTER_WEIGHT * markers.rate - _FOREIGN_LETTER_PENALTY * foreign_rate + _STOP_WORD_WEIGHT * stop_rate
    )
    if markers.seen:
        evidence.append(f"letters:{','.join(sorted(markers.seen))} -> {profile.tag}")
    if stop_rate:
        evidence.append(f"function-words:{round(100 * stop_rate)}% -> {profile.tag}")
    expected_missing = profile.absence_penalty > 0 and not (
        markers.telling if profile.markers or profile.word_patterns else stop_rate > 0
    )
    if expected_missing:
        score -= profile.absence_penalty * min(1.0, len(words) / _ABSENT_MARKER_FULL_AT)
    if cld2 is not None and cld2.code in profile.cld2_codes:
        score += _cld2_support(cld2, doubted=expected_missing and profile.cld2_confuses_neighbour)
    return score


def _cld2_support(cld2: _Cld2Answer, doubted: bool) -> float:
    """CLD2's vote for a candidate: less when CLD2 itself is unsure, and less when it is `doubted`."""
    factor = 1.0 if cld2.reliable else _CLD2_UNRELIABLE_FACTOR
    if doubted:
        factor *= _CLD2_DOUBTED_FACTOR
    return _CLD2_WEIGHT * factor * cld2.percent / 100


def _bare(word: str) -> str:
    # Case-folding the Turkish capital İ leaves a combining dot (İlk -> i̇lk); function words are
    # listed without it.
    return word.replace("\u0307", "")


@dataclass(frozen=True, slots=True)
class _Markers:
    rate: float  # weighted share of words showing a marker
    seen: frozenset[str]  # the marker letters seen ("pattern" for a word shape)
    telling: bool  # whether one of them is a telling marker


def _find_markers(profile: LanguageProfile, words: tuple[str, ...]) -> _Markers:
    """The language's distinctive letters and word shapes in `words`."""
    total, seen, telling = 0.0, set[str](), False
    for word in words:
        weights = [profile.markers[ch] for ch in set(word) if ch in profile.markers]
        seen.update(ch for ch in set(word) if ch in profile.markers)
        for pattern, weight in profile.word_patterns:
            if pattern.match(word):
                weights.append(weight)
                seen.add("pattern")
        best = max(weights, default=0.0)
        total += best
        telling = telling or best >= _TELLING_MARKER
    return _Markers(total / len(words), frozenset(seen), telling)


def _within_alphabet(word: str, alphabet: frozenset[str]) -> bool:
    return all(ch in alphabet or not ch.isalpha() for ch in word)


def _decide(
    script: str,
    script_share: float,
    candidates: tuple[LanguageProfile, ...],
    found: Mapping[str, float],
    words: tuple[str, ...],
    cld2: _Cld2Answer | None,
    evidence: list[str],
) -> _ScriptGuess:
    """Rank the candidates by evidence plus prior; CLD2 may name a language outside them."""
    totals = {p.tag: found[p.tag] + p.prior for p in candidates}
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    best_tag, best = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else min(best, 0.0)
    evidence.append("scores:" + " ".join(f"{tag}={value:.2f}" for tag, value in ranked))
    if cld2 is not None and _foreign_cld2_wins(cld2, max(found.values()), candidates, words, evidence):
        evidence.append(f"cld2 names {cld2.code}, outside the {script} candidates")
        confidence = round(cld2.percent / 100 * script_share * _length_factor(words), 3)
        return _ScriptGuess(LanguageGuess(_cld2_tag(cld2.code), script, confidence, tuple(evidence)), 0.0)
    if best <= 0.0:
        evidence.append("no evidence for any candidate")
        return _ScriptGuess(LanguageGuess(UNDETERMINED, script, 0.0, tuple(evidence)), best)
    # The margin over the runner-up, squashed to 0..1, scaled by how much of the text is in the
    # script and by how many words there were to judge.
    margin = 1.0 - math.exp(-3.0 * (best - runner_up))
    confidence = round(margin * script_share * _length_factor(words), 3)
    return _ScriptGuess(LanguageGuess(best_tag, script, confidence, tuple(evidence)), found[best_tag])


def _length_factor(words: tuple[str, ...]) -> float:
    """One or two words are a weak basis for any guess, however clear the letters."""
    return min(1.0, len(words) / _FULL_CONFIDENCE_WORDS)


def _foreign_cld2_wins(
    cld2: _Cld2Answer,
    best: float,
    candidates: tuple[LanguageProfile, ...],
    words: tuple[str, ...],
    evidence: list[str],
) -> bool:
    """Whether CLD2's reliable answer, a language outside the candidates, should be believed: when
    the text shows letters of that language that no candidate writes (Ukrainian ї, є, ґ), or when
    the rules found next to nothing for any candidate."""
    if not cld2.reliable or cld2.percent < _FOREIGN_CLD2_MIN_PERCENT:
        return False
    if any(cld2.code in p.cld2_codes for p in candidates):
        return False
    signature = _FOREIGN_SIGNATURE_LETTERS.get(cld2.code)
    if signature is not None and not any(ch in signature for word in words for ch in word):
        evidence.append(f"cld2 says {cld2.code} but none of its letters appear")
        return False
    known = frozenset().union(*(p.alphabet for p in candidates))
    unknown = {ch for word in words for ch in word if ch.isalpha() and ch not in known}
    if unknown and (signature is None or unknown & signature):
        evidence.append(f"letters no candidate writes: {','.join(sorted(unknown))}")
        return True
    # On a long text CLD2 is seldom wrong, so the rules must find more to overrule it.
    if len(words) >= _LONG_TEXT_WORDS:
        return best < max(_WEAK_RULE_SCORE, _LONG_TEXT_CLD2_TRUST * cld2.percent / 100)
    return best < _WEAK_RULE_SCORE


def _outside_candidates(script: str, cld2: _Cld2Answer | None, evidence: list[str]) -> LanguageGuess:
    """A script none of the profiles covers: only CLD2 can name the language."""
    if cld2 is None:
        return LanguageGuess(UNDETERMINED, script, 0.0, tuple(evidence))
    factor = 1.0 if cld2.reliable else _CLD2_UNRELIABLE_FACTOR
    return LanguageGuess(_cld2_tag(cld2.code), script, round(factor * cld2.percent / 100, 3), tuple(evidence))


def _cld2_tag(code: str) -> str:
    """CLD2's code as a BCP-47 tag ("und" for its private codes, e.g. "xx-Qaai" for a run of marks)."""
    if code.startswith("xx"):
        return UNDETERMINED
    return code if _BCP47_LANGUAGE.match(code) else UNDETERMINED


_DEFAULT = RuleAndCld2Identifier()


def identify_language(text: str) -> LanguageGuess:
    """Identify `text` with the default identifier."""
    return _DEFAULT.identify(text)
