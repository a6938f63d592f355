"""Token estimate of a text without a tokenizer: :func:`heuristic_tokens`.

No download, no dependency, no per-character Python loop: a few C-level passes over
the text's UTF-8 bytes (``translate``, ``split``, ``count``) that follow how cl100k's
pre-tokenizer cuts text into pieces (words with their leading space, groups of up to
3 digits, punctuation runs, whitespace) before BPE merges them, and a cost per piece:

=============================  ======================================================
piece                          tokens
=============================  ======================================================
listed word                    1: one of the 24,674 words cl100k encodes as a single
                               token (with its leading space; compared lower-cased)
other word                     ``_OTHER_WORD`` + 3/16 per ASCII letter: rare and
                               non-English words split into sub-words
                               (``Gemeinderat`` is 4 tokens, ``council`` 1)
digits                         1 per group of up to 3 (``1234567`` is 123|456|7),
                               and 1 for the space before a number (never merged)
punctuation                    1 per run of 1-2 marks, ``":"`` and ``","`` included;
                               a lone mark between letters merges into the word
                               after it (``self.name``, ``don't``)
newline                        1, unless it follows punctuation or another newline;
                               1 more for an indented line's indentation
non-ASCII character            by script (``_SCRIPTS_16``): Han 1.19, kana 1.06,
                               Hangul 1.06, Devanagari and Thai 1.0, Greek 0.88,
                               Arabic 0.69, Cyrillic 0.38, accented Latin letter
                               0.69, emoji 2.2
=============================  ======================================================

The free costs were fitted against cl100k on the first half of each corpus in
``benchmarks/texts/`` (``benchmarks/estimate.py --calibrate``) and checked on the
other half; the sum is then multiplied by ``MARGIN`` so that the estimate errs on the
high side, since an underestimate lets a budget overspend. Llama 3's tokenizer counts
within a few percent of cl100k. ``benchmarks/estimate.py`` prints the ratio to the real
count per kind of text (all between 1.0 and 1.12 at the time of writing) and the speed
(about 15-20 µs for a 500-character request, a third of tiktoken's time).

Capitals inside a word (ALL-CAPS text, camelCase, random strings) split into more
tokens and cost more (``_CAPS_INSIDE``, ``_MIXED_CASE``). What it cannot see well:
base64 and other random-looking strings still cost up to 1.3x the estimate; so does
text in a script's rarer characters (classical Chinese, rare names). Long runs of one
repeated mark (``-----``) or of blank lines count far higher than they are.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from itertools import repeat

from specrun._heuristic_words import word_list as _word_list

__all__ = ["heuristic_tokens", "MARGIN"]

#: The fitted estimate is multiplied by this: budgets must err on the safe side.
MARGIN = 1.05

# Costs in tokens. Per-byte costs are in sixteenths of a token (integers, see _byte_sum).
_OTHER_WORD = 0.80              # a word not in the word list costs this ...
_LETTER_16 = 3                  # ... plus 3/16 token per ASCII letter
_PUNCT_16 = 16                  # an ASCII punctuation mark, before merging into runs
_NEWLINE_16 = 16                # a newline, before merging into runs
_CAPS_INSIDE = 0.25             # per capital letter after a letter (ALL CAPS, camelCase): BPE splits those
_MIXED_CASE = 1.0               # per lower-upper-lower turn inside a word (random strings, base64)

#: Cost of one non-ASCII character (sixteenths of a token), by the script its UTF-8 lead
#: byte announces. Continuation bytes cost nothing: the lead byte carries the character.
_SCRIPTS_16 = (
    # first lead byte, last lead byte, cost, what lives there
    (0xC2, 0xC2, 16, "Latin-1 symbols: no-break space, ° £ § « »"),
    (0xC3, 0xCD, 11, "accented Latin letters (é ü ß ł ő), IPA, combining marks"),
    (0xCE, 0xCF, 14, "Greek"),
    (0xD0, 0xD4, 6, "Cyrillic"),
    (0xD5, 0xD7, 15, "Armenian, Hebrew"),
    (0xD8, 0xDF, 11, "Arabic, Syriac, Thaana"),
    (0xE0, 0xE0, 16, "Devanagari and other Indic scripts, Thai, Lao, Tibetan"),
    (0xE1, 0xE1, 19, "Georgian, Myanmar, Khmer, Vietnamese letters (ạ ế ộ)"),
    (0xE2, 0xE2, 16, "punctuation and symbols: “ ” – — … € → ✓"),
    (0xE3, 0xE3, 17, "CJK punctuation (、。「」), Hiragana, Katakana"),
    (0xE4, 0xE9, 19, "CJK ideographs (Han)"),
    (0xEA, 0xED, 17, "Hangul syllables"),
    (0xEE, 0xEE, 16, "private use"),
    (0xEF, 0xEF, 24, "full-width forms （ＡＢ１）, CJK compatibility"),
    (0xF0, 0xF4, 35, "emoji and other supplementary-plane characters"),
)


def _table(value_of: Callable[[int], int]) -> bytes:
    return bytes(value_of(byte) for byte in range(256))


def _shape_of(byte: int) -> int:
    """One letter per character class: what cl100k's pre-tokenizer splits on."""
    char = chr(byte)
    if byte >= 0x80 or char.isalpha():
        return ord("a")         # letters (non-ASCII bytes count as letters here)
    if char.isdigit():
        return ord("0")
    if char == "\n":
        return ord("\n")
    if char.isspace():
        return ord(" ")         # space, tab, \r (\r\n is one token: \n carries it)
    return ord(".")             # ASCII punctuation and symbols


def _cost_16_of(byte: int) -> int:
    char = chr(byte)
    if byte < 0x80:
        if char.isalpha():
            return _LETTER_16
        if char == "\n":
            return _NEWLINE_16
        if char.isspace() or char.isdigit():
            return 0            # spaces merge into the next piece; digits are counted by group
        return _PUNCT_16
    for first, last, cost, _ in _SCRIPTS_16:
        if first <= byte <= last:
            return cost
    return 0                    # continuation bytes (0x80-0xBF)


_SHAPE = _table(_shape_of)
_COST_16 = _table(_cost_16_of)
#: Words as cl100k's word list holds them: ASCII letters lower-cased, non-ASCII bytes kept
#: (an accented or non-Latin word stays one word), everything else a separator.
_WORDS = _table(lambda b: b | 0x20 if chr(b).isalpha() and b < 0x80 else b if b >= 0x80 else 0x20)
#: ASCII letters by case ("A"/"a"), everything else a space: where capitals sit inside words.
_CASE = _table(lambda b: ord("A") if 0x41 <= b <= 0x5A else ord("a") if 0x61 <= b <= 0x7A else 0x20)
_CONTINUATION = bytes(range(0x80, 0xC0))
_ZEROS = repeat(0.0)
_ADLER_SPAN = 4000              # bytes per adler32 call: 4000 × 16 (the largest cost per byte) < 65521


def heuristic_tokens(text: str) -> int:
    """Estimated tokens of ``text`` (cl100k-like tokenizers), erring slightly high; '' is 0."""
    if not text:
        return 0
    raw = text.encode("utf-8", "surrogatepass")
    # One shape letter per character: continuation bytes go (fewer bytes to scan below).
    shape = raw.translate(_SHAPE) if len(raw) == len(text) else raw.translate(_SHAPE, _CONTINUATION)
    words = raw.translate(_WORDS).split()
    tokens = (
        _byte_sum(raw.translate(_COST_16)) / 16
        + _OTHER_WORD * len(words)
        + sum(map((_KNOWN or _load_known()).get, words, _ZEROS))
        + _pieces(raw, shape)
    )
    if b"AA" in (case := raw.translate(_CASE)) or b"aA" in case:
        # cl100k's merges are mostly lower-case: capitals inside a word split it further
        tokens += _CAPS_INSIDE * (case.count(b"AA") + case.count(b"aA")) + _MIXED_CASE * case.count(b"aAa")
    return max(1, int(tokens * MARGIN + 0.5))


def _pieces(raw: bytes, shape: bytes) -> int:
    """Tokens that cl100k's cutting of punctuation, digits and newlines adds or merges away.

    ``shape`` is ``raw`` with one letter per character class (``_SHAPE``).
    """
    # Punctuation: a run costs about one token whatever its length up to 3, and a lone mark
    # between letters merges into the word after it (``self.name``, ``don't``, ``e.g``).
    pieces = -shape.count(b"..") - shape.count(b"a.a")
    if b'":' in raw or b'",' in raw:
        pieces -= raw.count(b'":"') + raw.count(b'","')     # single tokens in JSON
    if b"0" in shape:
        # Digits go in groups of up to 3: a run of n costs ceil(n / 3). Remove whole
        # groups, then what is left of each run (1 or 2 digits) is one more group.
        rest = shape.replace(b"000", b"")
        pieces += (len(shape) - len(rest)) // 3 + rest.count(b"0") - rest.count(b"00")
        pieces += shape.count(b" 0")                        # a space before a number is a token
    if b"\n" in shape:
        # Newlines after punctuation merge into it, and so do blank lines into the line
        # break before them; an indented line's indentation is one more token (its last
        # space goes with the word after it).
        pieces += shape.count(b"\n  ") - shape.count(b".\n") - shape.count(b"\n\n")
    return pieces


def _byte_sum(data: bytes) -> int:
    """The sum of ``data``'s byte values, ten times faster than ``sum(data)``.

    zlib's Adler-32 keeps ``1 + sum(data)`` modulo 65521 in its low 16 bits; spans of
    ``_ADLER_SPAN`` bytes never reach the modulus.
    """
    if len(data) <= _ADLER_SPAN:
        return (zlib.adler32(data) & 0xFFFF) - 1
    return sum(
        (zlib.adler32(data[start:start + _ADLER_SPAN]) & 0xFFFF) - 1
        for start in range(0, len(data), _ADLER_SPAN)
    )


# --------------------------------------------------------------------------- word list

#: Word (from specrun._heuristic_words) → correction to the cost of an unlisted word, so that a
#: listed word costs 1 token. Built on first use.
_KNOWN: dict[bytes, float] | None = None


def _load_known() -> dict[bytes, float]:
    global _KNOWN
    words = _word_list()
    by_length = [1.0 - _OTHER_WORD - _LETTER_16 * length / 16 for length in range(max(map(len, words)) + 1)]
    _KNOWN = {word: by_length[len(word)] for word in words}
    return _KNOWN
