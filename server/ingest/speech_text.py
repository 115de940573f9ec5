"""Article text as a Mandarin speech engine should read it: sentences, then pinyin with tone numbers.

The read-aloud engine (eSpeak NG's `cmn-latn-pinyin` voice, docs/tts.md) reads pinyin well and
Chinese characters badly, so this front end does the reading of the text:

- sentences, each with where it starts in the article's plain text (the TV turns the page by them);
- numbers as words (cn2an: 1,250 → 一千二百五十, 2026年 → 二零二六年, 95% → 百分之九十五), with our
  rules first for what cn2an reads as a quantity: times (8:30 → 八点三十分) and telephone numbers
  (digit by digit, 1 as 幺);
- characters to pinyin with tone numbers by phrase (pypinyin: 重新 chóng, 长者 zhǎng, 银行 háng),
  with a date's 一 kept in the first tone (一月一日, not yí yuè);
- punctuation as pauses; Latin letters spelled one by one; anything else left out.

Pure functions; the synthesis itself is in speech.py.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from functools import cache

# Bumped when the reading of a text changes, so readings made by an older front end are made again.
FRONT_END_VERSION = "1"
# A sentence ends at these; one longer than LONG_SENTENCE is cut again at its commas (the page can
# follow the reading closely, and one engine call stays short).
SENTENCE_ENDS = "。！？；!?;\n"
CLAUSE_ENDS = "，、：,:"
LONG_SENTENCE = 60

# Full-width digits as ASCII ones (hotlines are often typed so); any other script's digits are left out.
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_THOUSANDS = re.compile(r"(?<=[0-9]),(?=[0-9]{3}(?![0-9]))")
# Telephone numbers: an area code and a number (0571-86012345), a mobile number, or 5-8 digits
# after a word that says so. Read digit by digit, as people say them.
_PHONE = re.compile(r"(?<![0-9])(?:0[0-9]{2,3}-[0-9]{7,8}|1[3-9][0-9]{9})(?![0-9])")
_PHONE_AFTER_WORD = re.compile(r"(电话|热线|手机|号码|传真)([：:\s]*)([0-9]{5,8})(?![0-9])")
_TIME = re.compile(r"(?<![0-9])([01]?[0-9]|2[0-3])[:：]([0-5][0-9])(?![0-9])")
# cn2an reads at most 16 digits (and slowly, growing with the square of the run): longer runs are read
# digit by digit first.
_LONG_DIGITS = re.compile(r"[0-9]{17,}")
# A sentence longer than this even after its commas is cut anyway (one engine call stays short).
HARD_CUT = 120
_DIGIT_WORDS = dict(zip("0123456789", "零一二三四五六七八九", strict=True))
# Punctuation the engine should pause at (as ASCII, which the pinyin voice understands).
_PAUSES = {**dict.fromkeys("。！？；!?;…", "."), **dict.fromkeys("，、：,:（）()—《》“”\"「」『』", ",")}
_PINYIN_SYLLABLE = re.compile(r"^[a-z]+[1-5]$")  # ü is written v, which the voice reads as ü


@dataclass(frozen=True)
class Sentence:
    """A sentence of the article: where it starts in the plain text, and what it says."""

    offset: int
    text: str


def _cut(text: str, start: int, ends: str) -> list[tuple[int, str]]:
    pieces, begin = [], 0
    for index, char in enumerate(text):
        if char in ends:
            pieces.append((start + begin, text[begin:index + 1]))
            begin = index + 1
    if begin < len(text):
        pieces.append((start + begin, text[begin:]))
    return pieces


def _speakable(text: str) -> bool:
    return any(char.isalnum() for char in text)


def sentences(text: str) -> list[Sentence]:
    """The article's sentences in order, each with its offset in `text`; a long one cut at its commas,
    runs without a letter, digit or character (a rule line, lone punctuation) left out."""
    found: list[Sentence] = []
    for offset, sentence in _cut(text, 0, SENTENCE_ENDS):
        parts = [(offset, sentence)] if len(sentence) <= LONG_SENTENCE else _cut(sentence, offset, CLAUSE_ENDS)
        parts = [(start + at, part[at:at + HARD_CUT]) for start, part in parts for at in range(0, len(part), HARD_CUT)]
        for start, part in parts:
            stripped = part.lstrip()
            if _speakable(stripped):
                found.append(Sentence(start + len(part) - len(stripped), stripped.rstrip()))
    return found


def _digits_as_words(digits: str) -> str:
    """A telephone number's digits one by one, 1 as 幺 (yāo), as numbers are said on the telephone."""
    return "".join("幺" if d == "1" else _DIGIT_WORDS[d] for d in digits if d in _DIGIT_WORDS)


def _time_words(match: re.Match) -> str:
    hour, minute = int(match.group(1)), int(match.group(2))
    return f"{hour}点" + (f"{minute}分" if minute else "")


@cache
def _numbers():
    import cn2an  # imported on first use: the server starts without paying for it
    return cn2an


def numbers_as_words(text: str) -> str:
    """Digits in `text` written as Chinese words, the way they are read aloud."""
    text = text.translate(_FULL_WIDTH_DIGITS)
    text = re.sub(r"(?![0-9])\d", "", text)  # Arabic-Indic and other digits: not read
    text = _LONG_DIGITS.sub(lambda m: "".join(_DIGIT_WORDS[d] for d in m.group(0)), text)
    text = _THOUSANDS.sub("", text)
    text = _PHONE.sub(lambda m: _digits_as_words(m.group(0)), text)
    text = _PHONE_AFTER_WORD.sub(lambda m: m.group(1) + m.group(2) + _digits_as_words(m.group(3)), text)
    text = _TIME.sub(_time_words, text)
    try:
        with warnings.catch_warnings():  # it warns (and leaves them) about numbers longer than 16 digits
            warnings.simplefilter("ignore")
            text = _numbers().transform(text, "an2cn")
    except Exception:  # noqa: BLE001 - cn2an refuses some odd shapes: read what is left digit by digit
        pass
    return re.sub(r"[0-9]", lambda m: _DIGIT_WORDS[m.group(0)], text)


@cache
def _pinyin():
    import pypinyin  # imported on first use: its phrase dictionary takes a while to load
    # A date's 一 keeps its first tone (pypinyin's phrase list has 一月 as yí yuè, "one month").
    pypinyin.load_phrases_dict({"一月": [["yī"], ["yuè"]], "十一月": [["shí"], ["yī"], ["yuè"]],
                                "一日": [["yī"], ["rì"]], "一号": [["yī"], ["hào"]]})
    return pypinyin


def pinyin_line(sentence: str) -> str:
    """A sentence as the engine's input: pinyin syllables with tone numbers (5: neutral), pauses as
    ASCII punctuation, Latin letters spelled out, nothing else."""
    pypinyin = _pinyin()
    words: list[str] = []
    for token in pypinyin.lazy_pinyin(numbers_as_words(sentence), style=pypinyin.Style.TONE3,
                                      neutral_tone_with_five=True, errors=lambda chars: list(chars)):
        if _PINYIN_SYLLABLE.match(token):
            words.append(token)
            continue
        for char in token:
            if char in _PAUSES:
                if words and words[-1] not in ".,":
                    words.append(_PAUSES[char])
                elif words and _PAUSES[char] == ".":
                    words[-1] = "."  # the longer pause of the two
            elif char.isascii() and char.isalpha():
                words.append(char.upper())
    while words and words[0] in ".,":
        words.pop(0)
    return " ".join(words).replace(" .", ".").replace(" ,", ",")
