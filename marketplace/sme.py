"""SME size classification per the 2011 standard (工信部联企业〔2011〕300号).

Driven by ``marketplace/data/sme_thresholds_2011.csv`` (see the ``.md`` beside it): for each of
the 16 industries, the minimum employees / operating revenue / total assets of a large, medium
and small enterprise. A firm gets the largest size whose minimums it meets on every indicator
the industry uses; otherwise it is micro. "以上" is inclusive (≥).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketplace import wording

DATA_FILE = Path(__file__).resolve().parent / "data" / "sme_thresholds_2011.csv"
TEN_THOUSAND = 10_000  # the table gives money in 万元 (10,000 yuan)


class SizeClass(models.TextChoices):
    LARGE = "large", gettext_lazy("Large")
    MEDIUM = "medium", gettext_lazy("Medium")
    SMALL = "small", gettext_lazy("Small")
    MICRO = "micro", gettext_lazy("Micro")


ELIGIBLE_SIZES = (SizeClass.SMALL, SizeClass.MICRO)
_ORDER = (SizeClass.LARGE, SizeClass.MEDIUM, SizeClass.SMALL)

# indicator key -> (argument name of classify, column in the table)
INDICATORS = {
    "employees": "employees_min",
    "revenue_cny": "revenue_min_cny_10k",
    "assets_cny": "assets_min_cny_10k",
}


@dataclass(frozen=True)
class Industry:
    code: str
    name_en: str
    name_zh: str
    # size -> {indicator: minimum in persons or yuan}; only the indicators the industry uses
    minimums: dict[str, dict[str, int]]

    @property
    def name(self) -> str:
        return self.name_zh if wording.chinese_active() else self.name_en

    @property
    def indicators(self) -> tuple[str, ...]:
        return tuple(self.minimums[SizeClass.SMALL])


@dataclass(frozen=True)
class Check:
    indicator: str
    value: int
    minimum: int

    @property
    def met(self) -> bool:
        return self.value >= self.minimum


@dataclass(frozen=True)
class Classification:
    size: str
    industry: Industry
    checks: tuple[Check, ...]  # against the minimums of the size found (or of "small" for micro)

    def explain(self) -> str:
        """A sentence such as "small: 45 employees ≥ 20 and revenue ¥8M ≥ ¥3M, industry: Industry"."""
        label = SizeClass(self.size).label
        if self.size == SizeClass.MICRO:
            parts = [f"{_describe(c)} < {_money_or_count(c.indicator, c.minimum)}" for c in self.checks if not c.met]
            joiner = _(" or ")
        else:
            parts = [f"{_describe(c)} ≥ {_money_or_count(c.indicator, c.minimum)}" for c in self.checks]
            joiner = _(" and ")
        return _("%(size)s: %(reasons)s, industry: %(industry)s") % {
            "size": label,
            "reasons": joiner.join(parts),
            "industry": self.industry.name,
        }


def _format_yuan(amount: int) -> str:
    """Compact when exact to one decimal (¥8M, ¥4亿), otherwise the full amount (¥2,999,999)."""
    if wording.chinese_active():
        units = ((100_000_000, "亿"), (10_000, "万"))
    else:
        units = ((1_000_000, "M"), (1_000, "k"))
    for unit, suffix in units:
        if amount >= unit and amount % (unit // 10) == 0:
            text = f"{amount / unit:.1f}".rstrip("0").rstrip(".")
            return f"¥{text}{suffix}"
    return f"¥{amount:,}"


def _money_or_count(indicator: str, value: int) -> str:
    return str(value) if indicator == "employees" else _format_yuan(value)


def _describe(check: Check) -> str:
    if check.indicator == "employees":
        return _("%(count)s employees") % {"count": check.value}
    if check.indicator == "revenue_cny":
        return _("revenue %(amount)s") % {"amount": _format_yuan(check.value)}
    return _("assets %(amount)s") % {"amount": _format_yuan(check.value)}


@cache
def industries() -> dict[str, Industry]:
    table: dict[str, dict] = {}
    with DATA_FILE.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            entry = table.setdefault(
                row["industry_code"],
                {"name_en": row["industry_name_en"], "name_zh": row["industry_name_zh"], "minimums": {}},
            )
            if row["size"] == SizeClass.MICRO:
                continue  # micro is the remainder, not a threshold
            minimums = {}
            for key, column in INDICATORS.items():
                cell = row[column].strip()
                if cell:
                    minimums[key] = int(cell) * (1 if key == "employees" else TEN_THOUSAND)
            entry["minimums"][row["size"]] = minimums
    return {
        code: Industry(code=code, name_en=e["name_en"], name_zh=e["name_zh"], minimums=e["minimums"])
        for code, e in sorted(table.items())
    }


def industry_choices() -> list[tuple[str, str]]:
    """Choices for forms and model fields: (code, English name). Labels are translated in forms."""
    return [(code, f"{code} {ind.name_en}") for code, ind in industries().items()]


def _validate(industry: str, values: dict[str, int | None]) -> Industry:
    table = industries()
    if industry not in table:
        raise ValueError(f"industry: unknown industry code {industry!r} (expected one of {', '.join(table)}).")
    found = table[industry]
    for name, value in values.items():
        if value is None:
            if name in found.indicators:
                raise ValueError(f"{name}: required for industry {industry} ({found.name_en}).")
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{name}: expected a whole number, got {value!r}.")
        if value < 0:
            raise ValueError(f"{name}: must not be negative, got {value}.")
    return found


def classify_explained(
    industry: str, employees: int | None, revenue_cny: int | None, assets_cny: int | None
) -> Classification:
    values = {"employees": employees, "revenue_cny": revenue_cny, "assets_cny": assets_cny}
    found = _validate(industry, values)
    for size in _ORDER:
        checks = tuple(Check(k, values[k], minimum) for k, minimum in found.minimums[size].items())
        if all(check.met for check in checks):
            return Classification(size=size, industry=found, checks=checks)
    small = found.minimums[SizeClass.SMALL]
    return Classification(
        size=SizeClass.MICRO,
        industry=found,
        checks=tuple(Check(k, values[k], minimum) for k, minimum in small.items()),
    )


def classify(industry: str, employees: int | None, revenue_cny: int | None, assets_cny: int | None) -> str:
    """Return ``"large"``, ``"medium"``, ``"small"`` or ``"micro"``.

    ``industry`` is the table's ``industry_code`` (``"01"``–``"16"``); money is in yuan. An
    indicator the industry does not use may be ``None``. Unknown industry, a missing indicator
    the industry needs, or a negative value raise ``ValueError`` naming the field.
    """
    return str(classify_explained(industry, employees, revenue_cny, assets_cny).size)
