"""Amounts spelled out in agreements: in figures, in English words, in Chinese capital numerals (大写)."""

import pytest

from negotiations.spelling import amount_in_figures, chinese_capital, english_words, number_in_words


@pytest.mark.parametrize("minor, figures, english, chinese", [
    (20_000_000, "CNY 200,000.00", "two hundred thousand yuan", "人民币贰拾万元整"),
    (100, "CNY 1.00", "one yuan", "人民币壹元整"),
    (0, "CNY 0.00", "zero yuan", "人民币零元整"),
    (50, "CNY 0.50", "fifty fen", "人民币伍角整"),
    (105, "CNY 1.05", "one yuan and five fen", "人民币壹元零伍分"),
    (10_000_100, "CNY 100,001.00", "one hundred thousand and one yuan", "人民币壹拾万零壹元整"),
    (100_500_000, "CNY 1,005,000.00", "one million five thousand yuan", "人民币壹佰万伍仟元整"),
    (12_345_678_901, "CNY 123,456,789.01",
     "one hundred and twenty-three million four hundred and fifty-six thousand seven hundred and eighty-nine yuan "
     "and one fen", "人民币壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元零壹分"),
    (1_000_000_000_000, "CNY 10,000,000,000.00", "ten billion yuan", "人民币壹佰亿元整"),
])
def test_yuan(minor, figures, english, chinese):
    assert amount_in_figures(minor, "CNY") == figures
    assert english_words(minor, "CNY") == english
    assert chinese_capital(minor, "CNY") == chinese


def test_other_currencies_name_their_units():
    assert english_words(150_001, "USD") == "one thousand five hundred US dollars and one cent"
    assert english_words(100, "EUR") == "one euro"
    assert chinese_capital(150_000, "USD") == "美元壹仟伍佰元整"
    assert amount_in_figures(150_000, "EUR") == "EUR 1,500.00"


def test_numbers_in_words():
    assert number_in_words(115) == "one hundred and fifteen"
    assert number_in_words(2_000_019) == "two million and nineteen"
    assert number_in_words(40) == "forty"
    with pytest.raises(ValueError):
        english_words(-1, "CNY")
