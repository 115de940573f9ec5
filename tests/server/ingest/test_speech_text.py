"""The read-aloud front end on 办事指南 text: what eSpeak NG is given to say (docs/tts.md)."""

from __future__ import annotations

import pytest

from server.ingest.speech_text import LONG_SENTENCE, numbers_as_words, pinyin_line, sentences

GUIDE = ("办理居住证需携带身份证原件，到社区服务中心一楼3号窗口办理，重新办理的长者不必排队。"
         "办理时间：周一至周五8:30至17:00。咨询电话：0571-86012345。"
         "2026年1月1日起，60周岁以上老人免费办理，已有1,250人办理，占95%。")


def test_sentences_keep_where_they_start_in_the_text():
    text = "第一段。\n\n  第二段的话！第三句？\n\n---\n\n"
    found = sentences(text)
    assert [s.text for s in found] == ["第一段。", "第二段的话！", "第三句？"]
    assert all(text[s.offset:].startswith(s.text) for s in found)  # the TV finds the page by these


def test_a_long_sentence_is_cut_at_its_commas():
    long = "，".join(["很长的一句话里有许多分句"] * 8) + "。"
    assert len(long) > LONG_SENTENCE
    found = sentences(long)
    assert len(found) == 8 and found[0].text.endswith("，") and found[-1].text.endswith("。")
    assert "".join(s.text for s in found) == long


@pytest.mark.parametrize(("written", "spoken"), [
    ("8:30至17:00", "八点三十分至十七点"),
    ("咨询电话：0571-86012345", "咨询电话：零五七幺八六零幺二三四五"),
    ("热线 86012345", "热线 八六零幺二三四五"),
    ("手机13812345678", "手机幺三八幺二三四五六七八"),
    ("第3号窗口，第12.5页", "第三号窗口，第十二点五页"),
    ("99999999999999999999", "九" * 20),  # longer than cn2an reads: digit by digit
])
def test_times_and_telephone_numbers_are_read_as_people_say_them(written, spoken):
    # Times and telephone numbers are ours, before cn2an would read them as quantities.
    assert numbers_as_words(written) == spoken


def test_numbers_dates_and_percentages_as_words():
    assert numbers_as_words(GUIDE[63:]) == (
        "咨询电话：零五七幺八六零幺二三四五。二零二六年一月一日起，六十周岁以上老人免费办理，"
        "已有一千二百五十人办理，占百分之九十五。")


def test_polyphones_by_phrase_and_a_dates_first_tone():
    line = pinyin_line("重新办理的长者到银行，一月一日起")
    assert line.startswith("chong2 xin1 ban4 li3 de5 zhang3 zhe3 dao4 yin2 hang2,")
    assert line.endswith("yi1 yue4 yi1 ri4 qi3")


def test_the_engine_gets_only_pinyin_pauses_and_spelled_letters():
    line = pinyin_line("《通知》：请带ID卡（原件）！<script>alert(1)</script>")
    words = line.replace(",", " ").replace(".", " ").split()
    assert all(w.isupper() and len(w) == 1 or w[-1] in "12345" and w[:-1].isalpha() for w in words), line
    assert line.startswith("tong1 zhi1, qing3 dai4 I D ka3, yuan2 jian4.")


def test_a_guide_paragraph_reads_without_digits_or_characters_left():
    for sentence in sentences(GUIDE):
        line = pinyin_line(sentence.text)
        assert line and not any(ch.isdigit() and not line[i - 1].isalpha() for i, ch in enumerate(line)), line
        assert all(ord(ch) < 0x2E80 for ch in line), line


def test_digits_of_other_scripts_never_break_the_reading():
    assert numbers_as_words("电话：１２３４５６７") == "电话：幺二三四五六七"  # full-width, as hotlines are typed
    assert numbers_as_words("第٣条。") == "第条。"  # Arabic-Indic: left out, not a crash
    assert pinyin_line("第٣条，第३条") == "di4 tiao2, di4 tiao2"


def test_long_digit_runs_never_reach_cn2an_and_sentences_stay_short(monkeypatch):
    """cn2an's time grows with the square of a run of digits (minutes for 100,000): runs over 16 digits are
    read digit by digit before it, and no sentence handed on is longer than 120 characters."""
    import cn2an

    given = []
    real = cn2an.transform
    monkeypatch.setattr(cn2an, "transform", lambda text, method: given.append(text) or real(text, method))
    assert numbers_as_words("编号" + "1" * 100_000) == "编号" + "一" * 100_000
    assert given and not any(ch.isdigit() for text in given for ch in text)
    assert max(len(s.text) for s in sentences("长" * 1000)) <= 120  # no comma, no full stop: cut anyway
