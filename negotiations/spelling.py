"""Amounts of money spelled out in words, as a contract states them beside the figures.

    amount_in_figures(minor, currency) -> "CNY 200,000.00"
    english_words(minor, currency)     -> "two hundred thousand yuan"   (".. and fifty fen" for fractions)
    chinese_capital(minor, currency)   -> "人民币贰拾万元整"               (大写金额, as on Chinese invoices and contracts)

Minor units are integers (fen, cents); all supported currencies have two decimals.
"""

from __future__ import annotations

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
         "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = [(10 ** 12, "trillion"), (10 ** 9, "billion"), (10 ** 6, "million"), (1000, "thousand")]

# currency -> (major unit singular, plural, minor unit singular, plural)
_EN_UNITS = {
    "CNY": ("yuan", "yuan", "fen", "fen"),
    "USD": ("US dollar", "US dollars", "cent", "cents"),
    "EUR": ("euro", "euros", "cent", "cents"),
}
# currency -> (name before the amount, major unit, tenth, hundredth)
_ZH_UNITS = {
    "CNY": ("人民币", "元", "角", "分"),
    "USD": ("美元", "元", "角", "分"),
    "EUR": ("欧元", "元", "角", "分"),
}
_ZH_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_ZH_SMALL = ["", "拾", "佰", "仟"]
_ZH_GROUPS = ["", "万", "亿", "万亿"]


def _split(minor: int) -> tuple[int, int]:
    if minor < 0:
        raise ValueError("amounts are never negative")
    return divmod(int(minor), 100)


def amount_in_figures(minor: int, currency: str) -> str:
    major, cents = _split(minor)
    return f"{currency} {major:,}.{cents:02d}"


def _below_thousand(n: int) -> str:
    words = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        words.append(f"{_ONES[hundreds]} hundred")
    if rest:
        if rest < 20:
            tail = _ONES[rest]
        else:
            tens, ones = divmod(rest, 10)
            tail = _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
        words.append(("and " if hundreds else "") + tail)
    return " ".join(words)


def number_in_words(n: int) -> str:
    """An integer in English words (British usage: "one hundred and five")."""
    if n < 0:
        raise ValueError("numbers are never negative here")
    if n == 0:
        return "zero"
    parts = []
    for size, name in _SCALES:
        if n >= size:
            count, n = divmod(n, size)
            parts.append(f"{number_in_words(count)} {name}")
    if n:
        parts.append(("and " if parts and n < 100 else "") + _below_thousand(n))
    return " ".join(parts)


def english_words(minor: int, currency: str) -> str:
    major, cents = _split(minor)
    one, many, minor_one, minor_many = _EN_UNITS.get(currency, (currency, currency, "hundredth", "hundredths"))
    text = f"{number_in_words(major)} {one if major == 1 else many}"
    if cents:
        fraction = f"{number_in_words(cents)} {minor_one if cents == 1 else minor_many}"
        text = f"{text} and {fraction}" if major else fraction
    return text


def _zh_group(n: int) -> str:
    """0 < n < 10000 in capital numerals, with 零 for gaps inside the group (leading zeros are the caller's)."""
    digits = f"{n:04d}"
    out, zero = "", False
    for i, ch in enumerate(digits):
        d = int(ch)
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += _ZH_DIGITS[d] + _ZH_SMALL[3 - i]
    return out


def chinese_integer(n: int) -> str:
    """An integer in Chinese capital numerals (大写): 200000 → 贰拾万, 1005 → 壹仟零伍."""
    if n == 0:
        return "零"
    groups = []
    while n:
        n, group = divmod(n, 10000)
        groups.append(group)
    out, gap = "", False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            gap = bool(out)
            continue
        if out and (gap or group < 1000):
            out += "零"
        gap = False
        out += _zh_group(group) + _ZH_GROUPS[index]
    return out


def chinese_capital(minor: int, currency: str) -> str:
    major, cents = _split(minor)
    name, unit, tenth, hundredth = _ZH_UNITS.get(currency, (currency, "元", "角", "分"))
    jiao, fen = divmod(cents, 10)
    text = name
    if major or not cents:
        text += chinese_integer(major) + unit
    if not cents:
        return text + "整"
    if jiao:
        text += _ZH_DIGITS[jiao] + tenth
    elif major:
        text += "零"
    if fen:
        text += _ZH_DIGITS[fen] + hundredth
    else:
        text += "整"
    return text
