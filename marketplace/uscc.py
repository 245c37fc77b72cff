"""The unified social credit code (统一社会信用代码) of GB 32100-2015.

18 characters from the 31-character set ``0-9`` and ``A-Y`` without I, O, S, V and Z:

    position 1      registration authority (登记管理部门代码), e.g. 1 organisation-establishment office, 5 civil
                    affairs, 9 market regulation (enterprises), Y other authorities
    position 2      kind of organisation within that authority (机构类别代码), e.g. 1 enterprise, 2 individual
    positions 3–8   administrative division code of the registering office (GB/T 2260): six digits
    positions 9–17  the organisation code (主体标识码, GB 11714)
    position 18     the check character over positions 1–17

Check character (GB 32100-2015, 4.3): each of the first 17 characters has a value (its index in the character set)
and a weight ``3^(i-1) mod 31`` (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28); the check value is
``31 - (Σ value × weight mod 31)``, where 31 becomes 0, written with the character of that value.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
LENGTH = 18
_VALUES = {char: value for value, char in enumerate(CHARACTERS)}
_SEPARATORS = re.compile(r"[\s\-‐‑–—]+")


def normalise(code: str) -> str:
    """Upper case, without spaces or dashes (as people copy it from a licence); full-width characters folded."""
    import unicodedata

    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", code or "")).upper()


def check_character(first17: str) -> str:
    """The 18th character for the first 17 (which must be in ``CHARACTERS``)."""
    total = sum(_VALUES[char] * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    return CHARACTERS[(31 - total % 31) % 31]


def problem(code: str) -> str | None:
    """What is wrong with a (normalised) code, in words the user can act on; ``None`` if it is valid."""
    if len(code) != LENGTH:
        return _("A unified social credit code has 18 characters; this one has %(n)d.") % {"n": len(code)}
    for position, char in enumerate(code, start=1):
        if char not in _VALUES:
            return _(
                "Character %(position)d (“%(char)s”) cannot appear in a unified social credit code: it uses the "
                "digits and the capital letters A–Y without I, O, S, V and Z."
            ) % {"position": position, "char": char}
    if not code[2:8].isdigit():
        return _("Characters 3 to 8 of a unified social credit code are the administrative division code: six digits.")
    expected = check_character(code[:17])
    if code[17] != expected:
        return _(
            "The check character (the 18th) of this unified social credit code does not match the other 17: "
            "check for a typing error."
        )
    return None


def is_valid(code: str) -> bool:
    return problem(normalise(code)) is None


def validate_uscc(value: str) -> None:
    """A model/form validator: raises ``ValidationError`` (code ``invalid_uscc``) naming what is wrong."""
    if not value:
        return
    message = problem(normalise(value))
    if message:
        raise ValidationError(message, code="invalid_uscc")
