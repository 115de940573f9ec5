"""channels.yaml: the default file, and every kind of mistake reported with its line and field."""

from __future__ import annotations

import pytest

from server import create_app
from server.core.channels_yaml import ConfigError, load_lineup, parse_lineup
from tests.conftest import REPO

DEFAULT = (REPO / "channels.yaml").read_text(encoding="utf-8")


def line_of(source: str, fragment: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing `fragment`."""
    hits = [n for n, line in enumerate(source.splitlines(), 1) if fragment in line]
    return hits[occurrence - 1]


def problems(source: str) -> list:
    with pytest.raises(ConfigError) as raised:
        parse_lineup(source)
    return raised.value.problems


def test_default_file_has_the_ten_boards_of_the_design():
    lineup = load_lineup(REPO / "channels.yaml")
    assert [(b.key, b.id, b.name) for b in lineup.boards] == [
        (1, "dangjian", "基层党建"), (2, "gongkai", "党务政务公开"), (3, "daode", "道德讲堂"),
        (4, "banshi", "办事指南"), (5, "dangke", "支部党课"), (6, "jiaoyu", "党员教育"),
        (7, "fengcai", "党员风采"), (8, "minsheng", "民生信息"), (9, "wenyu", "文化娱乐"),
        (0, "kepu", "科普知识")]
    assert [(c.number, c.name) for c in lineup.channels] == [(1, "党建频道"), (2, "生活频道")]
    assert [(r.name, r.height, r.video_bitrate) for r in lineup.ladder.renditions] == [
        ("720p", 720, 2_500_000), ("480p", 480, 1_200_000), ("360p", 360, 700_000)]
    assert (lineup.ladder.segment_seconds, lineup.ladder.fps) == (2, 25)


@pytest.mark.parametrize("old, new, anchor, field, words", [
    ("    key: 3\n", "    key: 2\n", ("key: 2", 2), "boards[2].key", "已被第"),
    ("    key: 3\n", "    key: 12\n", ("key: 12", 1), "boards[2].key", "0 到 9"),
    ("  - id: daode\n", "  - id: Dao De\n", ("id: Dao De", 1), "boards[2].id", "Dao De"),
    ("  - id: daode\n", "  - id: gongkai\n", ("id: gongkai", 2), "boards[2].id", "重复"),
    ("    kind: video\n    colour: \"#4A148C\"", "    kind: film\n    colour: \"#4A148C\"",
     ("kind: film", 1), "boards[2].kind", "film"),
    ('colour: "#4A148C"', "colour: purple", ("colour: purple", 1), "boards[2].colour", "#RRGGBB"),
    ('colour: "#4A148C"', 'colour: "#E65100"', ('colour: "#E65100"', 1), "boards[2].colour", "3.8:1"),
    ("    name: 道德讲堂\n", "", ("id: daode", 1), "boards[2].name", "name"),
    ("    name: 道德讲堂\n", "    name: 道德讲堂\n    nmae: x\n", ("nmae", 1), "boards[2].nmae", "拼写"),
    ("    name: 道德讲堂\n", "    name: 社区道德讲堂与新时代文明实践站\n", ("name: 社区道德", 1), "boards[2].name",
     "1 到 12 个字"),
    ("filler: [kepu, wenyu]", "filler: [kepu, nosuch]", ("filler: [kepu, nosuch]", 1),
     "channels[1].filler", "nosuch"),
    ("filler: [kepu, wenyu]", "filler: [kepu, banshi]", ("filler: [kepu, banshi]", 1),
     "channels[1].filler", "图文"),
    ("  - number: 2\n", "  - number: 1\n", ("number: 1", 2), "channels[1].number", "已被第"),
    ("  - number: 2\n", "  - number: zwei\n", ("number: zwei", 1), "channels[1].number", "1 到 999"),
    ("segment_seconds: 2", "segment_seconds: 30", ("segment_seconds", 1), "ladder.segment_seconds", "30"),
    ("video_bitrate: 1200k", "video_bitrate: fast", ("video_bitrate: fast", 1),
     "ladder.renditions[1].video_bitrate", "fast"),
    ("height: 480", "height: 1080", ("height: 1080", 1), "ladder.renditions[1].height", "从高到低"),
])
def test_each_mistake_names_its_line_and_field(old, new, anchor, field, words):
    assert old in DEFAULT
    source = DEFAULT.replace(old, new, 1)
    found = problems(source)
    problem = found[0] if found[0].field == field else found[1]
    assert (problem.line, problem.field) == (line_of(source, *anchor), field)
    # Only a wrong id may add a second problem: the channels referencing the old id.
    others = [p for p in found if p is not problem]
    assert others == [] or (field.endswith(".id") and [p.field for p in others] == ["channels[0].filler"])
    assert words in problem.message
    assert str(problem).startswith(f"channels.yaml:{problem.line}: {field}: ")


def test_duplicate_key_is_reported_not_silently_dropped():
    source = DEFAULT.replace("    name: 道德讲堂\n", "    name: 道德讲堂\n    name: 道德讲堂二\n", 1)
    [problem] = problems(source)
    assert problem.line == line_of(source, "name: 道德讲堂二")
    assert f"第 {line_of(source, 'name: 道德讲堂')} 行" in problem.message


def test_every_default_tile_is_readable_white_on_colour():
    from server.core.channels_yaml import contrast_with_white

    assert min(contrast_with_white(b.colour) for b in load_lineup(REPO / "channels.yaml").boards) >= 4.5
    assert round(contrast_with_white("#000000"), 1) == 21.0 and round(contrast_with_white("#FFFFFF"), 1) == 1.0


def test_all_mistakes_are_reported_at_once_in_line_order():
    source = DEFAULT.replace('colour: "#4A148C"', "colour: x").replace("key: 9", "key: 1")
    found = problems(source)
    assert len(found) == 2
    assert [p.line for p in found] == sorted(p.line for p in found)


def test_yaml_syntax_error_names_the_line():
    source = DEFAULT.replace("    name: 办事指南\n", "    name: [办事指南\n", 1)
    [problem] = problems(source)
    assert problem.line >= line_of(source, "name: [办事指南")
    assert "YAML" in problem.message


@pytest.mark.parametrize("source, words", [
    ("", "空"), ("- just a list\n", "名称: 值"), ("boards: []\nladder: {}\n", "列表"),
])
def test_wrong_shapes(source, words):
    assert any(words in p.message for p in problems(source))


def test_missing_file_names_the_path_and_the_setting(tmp_path):
    with pytest.raises(ConfigError) as raised:
        load_lineup(tmp_path / "nope.yaml")
    assert "nope.yaml" in str(raised.value) and "KETING_CHANNELS_FILE" in str(raised.value)


def test_bad_file_stops_the_server(tmp_path):
    bad = tmp_path / "channels.yaml"
    bad.write_text(DEFAULT.replace("key: 9", "key: 1"), encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        create_app({"DATABASE": str(tmp_path / "k.db"), "MEDIA_ROOT": str(tmp_path / "m"),
                    "CHANNELS_FILE": str(bad)})
    assert f"{bad}:{line_of(bad.read_text(), 'key: 1', 2)}: boards[8].key" in str(raised.value)
