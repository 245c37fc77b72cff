"""Table-driven tests for ``marketplace.sme`` (2011 SME classification, 工信部联企业〔2011〕300号).

The thresholds below are transcribed by hand from the standard (not read from the CSV that the
code loads), in persons and yuan, so that a mistake in the data file or in the loading/unit
conversion is caught. For every industry, every size (large/medium/small) and every indicator that
size uses, three cases are generated:

* indicator exactly at the minimum       -> that size (">=" / "及以上" is inclusive)
* indicator one below the minimum        -> the next smaller size ("以下" is exclusive)
* indicator one above the minimum        -> that size

with the other indicators set exactly at the same size's minimums.
"""

from __future__ import annotations

import pytest
from django.utils import translation

from marketplace import sme

# --------------------------------------------------------------------------------------------
# The standard, transcribed independently: code -> (English name, {size: {indicator: minimum}})
# Employees in persons, revenue_cny / assets_cny in yuan (the document uses 万元 = 10,000 yuan).
# Only the indicators an industry uses are listed.
# --------------------------------------------------------------------------------------------
E, R, A = "employees", "revenue_cny", "assets_cny"

STANDARD: dict[str, tuple[str, dict[str, dict[str, int]]]] = {
    # 一、农、林、牧、渔业: revenue 20000万 / 500万 / 50万
    "01": (
        "Agriculture, forestry, animal husbandry and fishery",
        {
            "large": {R: 200_000_000},
            "medium": {R: 5_000_000},
            "small": {R: 500_000},
        },
    ),
    # 二、工业: 1000人 & 40000万 / 300人 & 2000万 / 20人 & 300万
    "02": (
        "Industry",
        {
            "large": {E: 1000, R: 400_000_000},
            "medium": {E: 300, R: 20_000_000},
            "small": {E: 20, R: 3_000_000},
        },
    ),
    # 三、建筑业: revenue 80000万 & assets 80000万 / 6000万 & 5000万 / 300万 & 300万
    "03": (
        "Construction",
        {
            "large": {R: 800_000_000, A: 800_000_000},
            "medium": {R: 60_000_000, A: 50_000_000},
            "small": {R: 3_000_000, A: 3_000_000},
        },
    ),
    # 四、批发业: 200人 & 40000万 / 20人 & 5000万 / 5人 & 1000万
    "04": (
        "Wholesale",
        {
            "large": {E: 200, R: 400_000_000},
            "medium": {E: 20, R: 50_000_000},
            "small": {E: 5, R: 10_000_000},
        },
    ),
    # 五、零售业: 300人 & 20000万 / 50人 & 500万 / 10人 & 100万
    "05": (
        "Retail",
        {
            "large": {E: 300, R: 200_000_000},
            "medium": {E: 50, R: 5_000_000},
            "small": {E: 10, R: 1_000_000},
        },
    ),
    # 六、交通运输业: 1000人 & 30000万 / 300人 & 3000万 / 20人 & 200万
    "06": (
        "Transport",
        {
            "large": {E: 1000, R: 300_000_000},
            "medium": {E: 300, R: 30_000_000},
            "small": {E: 20, R: 2_000_000},
        },
    ),
    # 七、仓储业: 200人 & 30000万 / 100人 & 1000万 / 20人 & 100万
    "07": (
        "Warehousing",
        {
            "large": {E: 200, R: 300_000_000},
            "medium": {E: 100, R: 10_000_000},
            "small": {E: 20, R: 1_000_000},
        },
    ),
    # 八、邮政业: 1000人 & 30000万 / 300人 & 2000万 / 20人 & 100万
    "08": (
        "Postal services",
        {
            "large": {E: 1000, R: 300_000_000},
            "medium": {E: 300, R: 20_000_000},
            "small": {E: 20, R: 1_000_000},
        },
    ),
    # 九、住宿业: 300人 & 10000万 / 100人 & 2000万 / 10人 & 100万
    "09": (
        "Accommodation (hotels)",
        {
            "large": {E: 300, R: 100_000_000},
            "medium": {E: 100, R: 20_000_000},
            "small": {E: 10, R: 1_000_000},
        },
    ),
    # 十、餐饮业: 300人 & 10000万 / 100人 & 2000万 / 10人 & 100万
    "10": (
        "Catering",
        {
            "large": {E: 300, R: 100_000_000},
            "medium": {E: 100, R: 20_000_000},
            "small": {E: 10, R: 1_000_000},
        },
    ),
    # 十一、信息传输业: 2000人 & 100000万 / 100人 & 1000万 / 10人 & 100万
    "11": (
        "Information transmission",
        {
            "large": {E: 2000, R: 1_000_000_000},
            "medium": {E: 100, R: 10_000_000},
            "small": {E: 10, R: 1_000_000},
        },
    ),
    # 十二、软件和信息技术服务业: 300人 & 10000万 / 100人 & 1000万 / 10人 & 50万
    "12": (
        "Software and information technology services",
        {
            "large": {E: 300, R: 100_000_000},
            "medium": {E: 100, R: 10_000_000},
            "small": {E: 10, R: 500_000},
        },
    ),
    # 十三、房地产开发经营: revenue 200000万 & assets 10000万 / 1000万 & 5000万 / 100万 & 2000万
    "13": (
        "Real estate development and operation",
        {
            "large": {R: 2_000_000_000, A: 100_000_000},
            "medium": {R: 10_000_000, A: 50_000_000},
            "small": {R: 1_000_000, A: 20_000_000},
        },
    ),
    # 十四、物业管理: 1000人 & 5000万 / 300人 & 1000万 / 100人 & 500万
    "14": (
        "Property management",
        {
            "large": {E: 1000, R: 50_000_000},
            "medium": {E: 300, R: 10_000_000},
            "small": {E: 100, R: 5_000_000},
        },
    ),
    # 十五、租赁和商务服务业: employees & assets: 300人 & 120000万 / 100人 & 8000万 / 10人 & 100万
    "15": (
        "Leasing and business services",
        {
            "large": {E: 300, A: 1_200_000_000},
            "medium": {E: 100, A: 80_000_000},
            "small": {E: 10, A: 1_000_000},
        },
    ),
    # 十六、其他未列明行业: employees only: 300人 / 100人 / 10人
    "16": (
        "Other industries not elsewhere specified",
        {
            "large": {E: 300},
            "medium": {E: 100},
            "small": {E: 10},
        },
    ),
}

ALL_INDICATORS = (E, R, A)
SIZES = ("large", "medium", "small")
NEXT_SMALLER = {"large": "medium", "medium": "small", "small": "micro"}
SHORT = {E: "employees", R: "revenue", A: "assets"}
SLUG = {
    "01": "agriculture",
    "02": "industry",
    "03": "construction",
    "04": "wholesale",
    "05": "retail",
    "06": "transport",
    "07": "warehousing",
    "08": "postal",
    "09": "accommodation",
    "10": "catering",
    "11": "information-transmission",
    "12": "software-it-services",
    "13": "real-estate",
    "14": "property-management",
    "15": "leasing-business-services",
    "16": "other",
}


def _used(code: str) -> tuple[str, ...]:
    return tuple(STANDARD[code][1]["small"])


def _unused(code: str) -> tuple[str, ...]:
    return tuple(i for i in ALL_INDICATORS if i not in _used(code))


def _kwargs_at(code: str, size: str, **override: int) -> dict[str, int | None]:
    """Arguments for classify(): every used indicator at ``size``'s minimum, unused ones None."""
    minimums = STANDARD[code][1][size]
    values: dict[str, int | None] = {i: minimums.get(i) for i in ALL_INDICATORS}
    values.update(override)
    return values


def _boundary_cases():
    for code, (_name, table) in STANDARD.items():
        for size in SIZES:
            for indicator, minimum in table[size].items():
                for position, value, expected in (
                    ("at", minimum, size),
                    ("below", minimum - 1, NEXT_SMALLER[size]),
                    ("above", minimum + 1, size),
                ):
                    yield pytest.param(
                        code,
                        _kwargs_at(code, size, **{indicator: value}),
                        expected,
                        id=f"{code}-{SLUG[code]}-{size}-{SHORT[indicator]}-{position}",
                    )


BOUNDARY_CASES = list(_boundary_cases())


def test_the_transcribed_table_is_complete():
    """Guard the test data itself: 16 industries, and the boundary generator produced 3 cases per
    (industry, size, used indicator)."""
    assert list(STANDARD) == [f"{n:02d}" for n in range(1, 17)]
    expected = sum(3 * len(table[size]) for _name, table in STANDARD.values() for size in SIZES)
    assert len(BOUNDARY_CASES) == expected
    # Sanity of the transcription: minimums strictly decrease from large to small on each indicator,
    # so "min - 1" of a size always still satisfies the next smaller size.
    for code, (_name, table) in STANDARD.items():
        assert set(table["large"]) == set(table["medium"]) == set(table["small"]), code
        for indicator in table["small"]:
            assert table["large"][indicator] > table["medium"][indicator] > table["small"][indicator] > 0, code


# --------------------------------------------------------------------------------------------
# Boundaries
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("industry", "values", "expected"), BOUNDARY_CASES)
def test_classify_boundaries(industry, values, expected):
    assert sme.classify(industry, **values) == expected


@pytest.mark.parametrize(("industry", "values", "expected"), BOUNDARY_CASES)
def test_classify_explained_size_matches_classify(industry, values, expected):
    result = sme.classify_explained(industry, **values)
    assert result.size == expected
    assert result.industry.code == industry


@pytest.mark.parametrize("code", list(STANDARD))
def test_all_zero_is_micro(code):
    values = {i: (0 if i in _used(code) else None) for i in ALL_INDICATORS}
    assert sme.classify(code, **values) == "micro"


@pytest.mark.parametrize("code", list(STANDARD))
def test_far_above_large_is_large(code):
    values = {i: (v * 1000 if v is not None else None) for i, v in _kwargs_at(code, "large").items()}
    assert sme.classify(code, **values) == "large"


@pytest.mark.parametrize("code", list(STANDARD))
def test_unused_indicators_are_ignored(code):
    """A huge or zero value on an indicator the industry does not use changes nothing."""
    for size in SIZES:
        base = _kwargs_at(code, size)
        for filler in (0, 10**15):
            values = {**base, **{i: filler for i in _unused(code)}}
            assert sme.classify(code, **values) == size, (size, filler)


@pytest.mark.parametrize(
    ("industry", "employees", "revenue_cny", "assets_cny", "expected"),
    [
        # Large only when at or above BOTH ceilings ("X以下或Y以下的为中小微型企业").
        pytest.param("02", 5000, 399_999_999, None, "medium", id="02-many-employees-revenue-below-large"),
        pytest.param("02", 999, 10**12, None, "medium", id="02-huge-revenue-employees-below-large"),
        # A big head-count alone does not lift a firm out of micro ("X以下或Y以下的为微型企业").
        pytest.param("02", 5000, 2_999_999, None, "micro", id="02-many-employees-tiny-revenue"),
        pytest.param("02", 19, 10**12, None, "micro", id="02-few-employees-huge-revenue"),
        # Mixed: medium on one indicator, small on the other -> small.
        pytest.param("02", 500, 10_000_000, None, "small", id="02-medium-employees-small-revenue"),
        pytest.param("03", None, 100_000_000, 4_999_999, "small", id="03-medium-revenue-small-assets"),
        pytest.param("13", None, 3_000_000_000, 99_999_999, "medium", id="13-large-revenue-medium-assets"),
        pytest.param("13", None, 3_000_000_000, 19_999_999, "micro", id="13-large-revenue-assets-below-small"),
        pytest.param("15", 1000, None, 80_000_000, "medium", id="15-many-employees-assets-at-medium"),
        pytest.param("16", 99, None, None, "small", id="16-employees-99"),
        pytest.param("01", None, 8_000_000, None, "medium", id="01-revenue-8M"),
    ],
)
def test_classify_examples(industry, employees, revenue_cny, assets_cny, expected):
    assert sme.classify(industry, employees, revenue_cny, assets_cny) == expected


def test_classify_accepts_positional_and_keyword_arguments():
    assert sme.classify("02", 45, 8_000_000, None) == "small"
    assert sme.classify(industry="02", employees=45, revenue_cny=8_000_000, assets_cny=None) == "small"


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["17", "2", "", "00", "1", " 02", "02 ", "industry", None])
def test_unknown_industry_raises_naming_industry(code):
    with pytest.raises(ValueError, match=r"^industry\b"):
        sme.classify(code, 100, 10_000_000, 10_000_000)


NEGATIVE_CASES = [
    pytest.param(code, indicator, id=f"{code}-{indicator}-negative")
    for code in STANDARD
    for indicator in _used(code)
] + [
    # A negative value is rejected even for an indicator the industry does not use.
    pytest.param(code, indicator, id=f"{code}-{indicator}-negative-unused")
    for code in ("01", "16")
    for indicator in _unused(code)
]


@pytest.mark.parametrize(("code", "indicator"), NEGATIVE_CASES)
def test_negative_value_raises_naming_field(code, indicator):
    values = _kwargs_at(code, "large", **{indicator: -1})
    with pytest.raises(ValueError, match=rf"^{indicator}\b") as excinfo:
        sme.classify(code, **values)
    assert "negative" in str(excinfo.value)


MISSING_CASES = [
    pytest.param(code, indicator, id=f"{code}-{indicator}-missing") for code in STANDARD for indicator in _used(code)
]


@pytest.mark.parametrize(("code", "indicator"), MISSING_CASES)
def test_missing_used_indicator_raises_naming_field(code, indicator):
    values = _kwargs_at(code, "large", **{})
    values[indicator] = None
    with pytest.raises(ValueError, match=rf"^{indicator}\b") as excinfo:
        sme.classify(code, **values)
    assert "required" in str(excinfo.value)
    assert code in str(excinfo.value)


@pytest.mark.parametrize("code", list(STANDARD))
def test_unused_indicators_may_be_none(code):
    values = _kwargs_at(code, "small")
    assert all(values[i] is None for i in _unused(code))
    assert sme.classify(code, **values) == "small"


def test_agriculture_needs_only_revenue():
    assert sme.classify("01", employees=None, revenue_cny=500_000, assets_cny=None) == "small"
    assert sme.classify("01", None, 499_999, None) == "micro"


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        pytest.param(field, bad, id=f"{field}-{label}")
        for field in ALL_INDICATORS
        for label, bad in (("float", 1.5), ("str", "100"), ("bool", True))
    ],
)
def test_non_integer_value_raises_naming_field(field, bad):
    values = _kwargs_at("02", "small", assets_cny=0)
    values[field] = bad
    with pytest.raises(ValueError, match=rf"^{field}\b"):
        sme.classify("02", **values)


# --------------------------------------------------------------------------------------------
# Explanations
# --------------------------------------------------------------------------------------------


@pytest.fixture
def english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(
            ("02", 45, 8_000_000, None),
            "Small: 45 employees ≥ 20 and revenue ¥8M ≥ ¥3M, industry: Industry",
            id="02-small",
        ),
        pytest.param(
            ("02", 300, 20_000_000, None),
            "Medium: 300 employees ≥ 300 and revenue ¥20M ≥ ¥20M, industry: Industry",
            id="02-medium-at-minimums",
        ),
        pytest.param(
            ("02", 45, 2_000_000, None),
            "Micro: revenue ¥2M < ¥3M, industry: Industry",
            id="02-micro-revenue-only",
        ),
        pytest.param(
            ("02", 5, 1_000_000, None),
            "Micro: 5 employees < 20 or revenue ¥1M < ¥3M, industry: Industry",
            id="02-micro-both",
        ),
        pytest.param(
            ("02", 12, 8_000_000, None),
            "Micro: 12 employees < 20, industry: Industry",
            id="02-micro-employees-only",
        ),
        pytest.param(
            ("01", None, 300_000, None),
            "Micro: revenue ¥300k < ¥500k, industry: Agriculture, forestry, animal husbandry and fishery",
            id="01-micro",
        ),
        pytest.param(
            ("03", None, 3_500_000, 3_000_000),
            "Small: revenue ¥3.5M ≥ ¥3M and assets ¥3M ≥ ¥3M, industry: Construction",
            id="03-small-revenue-and-assets",
        ),
        pytest.param(
            ("15", 10, None, 999_000),
            "Micro: assets ¥999k < ¥1M, industry: Leasing and business services",
            id="15-micro-assets",
        ),
        pytest.param(
            ("16", 150, None, None),
            "Medium: 150 employees ≥ 100, industry: Other industries not elsewhere specified",
            id="16-medium-employees-only",
        ),
        pytest.param(
            ("12", 10, 500, None),
            "Micro: revenue ¥500 < ¥500k, industry: Software and information technology services",
            id="12-micro-small-amount-unformatted",
        ),
    ],
)
def test_explain_text(english, args, expected):
    assert sme.classify_explained(*args).explain() == expected


def test_explain_small_example_from_brief(english):
    text = sme.classify_explained("02", 45, 8_000_000, None).explain()
    assert text.startswith("Small: 45 employees ≥ 20 and revenue ¥8M ≥ ¥3M")
    assert "Industry" in text


def test_explain_micro_names_only_the_failing_indicator(english):
    result = sme.classify_explained("04", 50, 9_000_000, None)
    assert result.size == "micro"
    text = result.explain()
    assert text.startswith("Micro: ")
    assert "revenue ¥9M < ¥10M" in text
    assert "employees" not in text  # 50 ≥ 5 is met, so it is not a reason
    assert "Wholesale" in text


# Amounts: compact only when exact to one decimal, never rounded into a contradiction.


def test_explain_hundred_million_amounts_are_readable(english):
    text = sme.classify_explained("02", 1000, 400_000_000, None).explain()
    assert text.startswith("Large: 1000 employees ≥ 1000 and revenue ¥400M ≥ ¥400M")


def test_explain_micro_value_just_below_minimum_is_not_shown_equal_to_it(english):
    text = sme.classify_explained("02", 45, 2_999_999, None).explain()
    assert text.startswith("Micro: revenue ¥2,999,999 < ¥3M")


def test_explain_in_chinese_uses_wan_and_yi():
    from django.utils import translation

    with translation.override("zh-hans"):
        text = sme.classify_explained("02", 1000, 400_000_000, None).explain()
    assert "¥4亿 ≥ ¥4亿" in text


# --------------------------------------------------------------------------------------------
# The loaded table
# --------------------------------------------------------------------------------------------


def test_industries_has_exactly_the_16_codes():
    table = sme.industries()
    assert list(table) == [f"{n:02d}" for n in range(1, 17)]
    assert len(table) == 16


@pytest.mark.parametrize("code", list(STANDARD))
def test_loaded_industry_matches_the_standard(code):
    industry = sme.industries()[code]
    name, minimums = STANDARD[code]
    assert industry.code == code
    assert industry.name_en == name
    assert set(industry.minimums) == set(SIZES)  # micro is the remainder, not a threshold
    assert industry.minimums == minimums
    assert set(industry.indicators) == set(_used(code))


def test_industry_choices():
    choices = sme.industry_choices()
    assert [code for code, _label in choices] == list(STANDARD)
    assert choices[1] == ("02", "02 Industry")
