"""``listings.stopwords``: the lists search and matching share."""

import pytest

from listings import stopwords


@pytest.mark.parametrize("word", ["the", "More", "keeps", "wherein", "comprising", "method", "apparatus", "device",
                                  "system", "thereof", "said", "plurality", "一种", "及其", "方法", "装置", "制备",
                                  "系统", "用于", "其", "所述", "以及", "包括", "基于",
                                  "及其制备方法", "其制备方法", "制作方法"])  # compounds jieba keeps whole
def test_function_words_and_patent_boilerplate_are_stop_words(word):
    assert stopwords.is_stop_word(word)


@pytest.mark.parametrize("word", ["lithium", "cathode", "generator", "general", "锂离子", "负极材料", "电池",
                                  "之和", "大小", "等离子", "一种电池"])
def test_technical_words_are_not(word):
    assert not stopwords.is_stop_word(word)


def test_every_list_names_its_source():
    for name in stopwords.EN_FILES + stopwords.ZH_FILES:
        head = (stopwords.DATA_DIR / name).read_text(encoding="utf-8").splitlines()[0]
        assert head.startswith("# "), name
