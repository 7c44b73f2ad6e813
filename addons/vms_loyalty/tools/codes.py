"""Voucher codes: drawing, check character and parsing.

Pure Python, no Odoo: used by the ORM, the set-based generation and the
benchmark alike, and unit-testable on its own.

A code is ``PREFIX`` + ``BODY``. The body is drawn from :data:`ALPHABET`, 32
characters without the look-alikes ``0 O 1 I`` that cashiers mistype, and its
last character is a Luhn mod 32 check character over the rest of the body, so
any single mistyped character and any swap of two neighbours is refused before
the database is asked. 32 divides 256, so one random byte gives one unbiased
character.
"""

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_BASE = len(ALPHABET)
_INDEX = {char: pos for pos, char in enumerate(ALPHABET)}
_SEPARATORS = re.compile(r"[\s\-_.]")
# EAN-13 numbers starting with 2 are reserved for in-store use by GS1.
EAN13_STORE_PREFIX = "29"


class CodeError(ValueError):
    """A code that cannot be one of ours; ``reason`` says why, for the cashier."""

    def __init__(self, reason, code=""):
        super().__init__(reason)
        self.reason = reason
        self.code = code


# Luhn mod N: from the right, every other value is doubled and its "digits"
# in base N summed. Precomputed per character, both ways.
_DOUBLED = {char: (2 * pos) // _BASE + (2 * pos) % _BASE for pos, char in enumerate(ALPHABET)}
# One random byte -> one character (32 divides 256: no bias).
_BYTE_TO_CHAR = bytes.maketrans(
    bytes(range(256)), "".join(ALPHABET[b & 31] for b in range(256)).encode("ascii")
)


def luhn_mod_n_check(body):
    """Luhn mod N check character over ``body`` (characters of ALPHABET)."""
    total = sum(_DOUBLED[char] for char in body[::-1][::2]) + sum(
        _INDEX[char] for char in body[::-1][1::2]
    )
    return ALPHABET[(_BASE - total % _BASE) % _BASE]


def luhn_mod_n_valid(body_with_check):
    return (
        len(body_with_check) >= 2
        and all(char in _INDEX for char in body_with_check)
        and luhn_mod_n_check(body_with_check[:-1]) == body_with_check[-1]
    )


def random_codes(count, prefix, length):
    """``count`` fresh codes of ``length`` characters after ``prefix``.

    Drawn with :mod:`secrets` from one block of random bytes: 100,000 codes of
    12 characters take a fraction of a second. Duplicates inside the block are
    dropped here; collisions with the database are for the caller's unique
    index to catch.
    """
    random_length = length - 1
    chars = secrets.token_bytes(count * random_length).translate(_BYTE_TO_CHAR).decode("ascii")
    codes = []
    seen = set()
    for start in range(0, len(chars), random_length):
        body = chars[start : start + random_length]
        code = prefix + body + luhn_mod_n_check(body)
        if code not in seen:
            seen.add(code)
            codes.append(code)
    return codes


def normalize(code):
    """What a scanner or a keyboard may add: blanks, dashes, lower case."""
    return _SEPARATORS.sub("", code or "").upper()


def parse(code, prefix, length):
    """Return the normalised code, or raise :class:`CodeError` with a reason.

    Only the format is checked here (prefix, length, alphabet, check
    character): a code that passes may still be unknown to the database.
    """
    cleaned = normalize(code)
    if not cleaned:
        raise CodeError("empty", cleaned)
    if prefix and not cleaned.startswith(prefix):
        raise CodeError("prefix", cleaned)
    body = cleaned[len(prefix or "") :]
    if len(body) != length:
        raise CodeError("length", cleaned)
    if any(char not in _INDEX for char in body):
        raise CodeError("alphabet", cleaned)
    if not luhn_mod_n_valid(body):
        raise CodeError("check", cleaned)
    return cleaned


def ean13_check_digit(digits12):
    total = sum(int(d) * (3 if pos % 2 else 1) for pos, d in enumerate(digits12))
    return str((10 - total % 10) % 10)


def random_ean13s(count):
    """``count`` EAN-13 numbers: the GS1 in-store prefix, ten random digits and
    the check digit. Drawn with :mod:`secrets`, never derived from a record id,
    so no barcode tells the next one; collisions with the database are for the
    caller's unique index to catch."""
    free_digits = 12 - len(EAN13_STORE_PREFIX)
    numbers = []
    seen = set()
    while len(numbers) < count:
        digits = f"{EAN13_STORE_PREFIX}{secrets.randbelow(10**free_digits):0{free_digits}d}"
        number = digits + ean13_check_digit(digits)
        if number not in seen:
            seen.add(number)
            numbers.append(number)
    return numbers


def ean13_valid(value):
    return len(value) == 13 and value.isdigit() and ean13_check_digit(value[:12]) == value[12]
