"""channels.yaml: the boards, linear channels and encoding ladder, loaded and validated.

The file is data that an administrator edits by hand, so every mistake is
reported with the file, the line and the field, and all mistakes at once
rather than one per restart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from keting_i18n import text

BOARD_KINDS = ("video", "article", "mixed")
BOARD_ID_RE = re.compile(r"[a-z][a-z0-9_-]{0,31}")
COLOUR_RE = re.compile(r"#[0-9A-Fa-f]{6}")
BITRATE_RE = re.compile(r"(\d+(?:\.\d+)?)([kKmM]?)")
# Board tiles carry white text; WCAG AA for body text, which elderly viewers need.
MIN_CONTRAST_WITH_WHITE = 4.5
# A board's name on its Home tile: two lines of six characters at 40 px (the TV never cuts it).
BOARD_NAME_CHARS = 12


def contrast_with_white(colour: str) -> float:
    """WCAG contrast ratio of white text on a "#RRGGBB" background."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return 1.05 / (luminance + 0.05)


@dataclass(frozen=True)
class Board:
    """A content board (板块) opened from Home by its remote key."""

    id: str
    key: int
    name: str
    kind: str
    colour: str
    description: str = ""

    @property
    def has_video(self) -> bool:
        """Whether the board holds videos (a video or mixed board)."""
        return self.kind in ("video", "mixed")


@dataclass(frozen=True)
class Channel:
    """A linear channel; its gaps are filled from `filler` boards in order."""

    number: int
    name: str
    filler: tuple[str, ...]


@dataclass(frozen=True)
class Rendition:
    """One rung of the HLS ladder."""

    name: str
    height: int
    video_bitrate: int  # bits per second


@dataclass(frozen=True)
class Ladder:
    """The uniform encoding every item gets, so channels can stitch any item."""

    segment_seconds: int
    fps: int
    audio_bitrate: int
    loudness_lufs: float
    renditions: tuple[Rendition, ...]


@dataclass(frozen=True)
class Lineup:
    """Everything channels.yaml declares."""

    boards: tuple[Board, ...]
    channels: tuple[Channel, ...]
    ladder: Ladder
    boards_by_id: dict[str, Board] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "boards_by_id", {b.id: b for b in self.boards})


@dataclass(frozen=True)
class Problem:
    """One mistake in the file: where it is and what to do about it."""

    filename: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.filename}:{self.line}: {self.field}: {self.message}"


class ConfigError(Exception):
    """channels.yaml is missing or wrong; `problems` lists every mistake found."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: p.line)
        header = text("config.header", count=len(problems))
        super().__init__("\n".join([header, *(f"  {p}" for p in self.problems)]))


# --- YAML with line numbers -------------------------------------------------


class _Map(dict):
    """A mapping that remembers the line of each key (1-based)."""

    line: int
    key_lines: dict


class _List(list):
    """A sequence that remembers the line of each item (1-based)."""

    line: int
    item_lines: list


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that records lines and reports duplicate keys instead of dropping one."""

    def __init__(self, stream):
        super().__init__(stream)
        self.duplicates: list[tuple[object, int, int]] = []


def _construct_map(loader: _LineLoader, node: yaml.MappingNode) -> _Map:
    loader.flatten_mapping(node)
    result = _Map()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in result.key_lines:
            loader.duplicates.append((key, line, result.key_lines[key]))
            continue
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


def _construct_list(loader: _LineLoader, node: yaml.SequenceNode) -> _List:
    result = _List(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_list)


# --- validation ---------------------------------------------------------------


class _Checker:
    """Collects problems while reading the parsed tree into frozen models."""

    def __init__(self, filename: str):
        self.filename = filename
        self.problems: list[Problem] = []

    def problem(self, line: int, path: str, message_key: str, **params: object) -> None:
        self.problems.append(Problem(self.filename, line, path, text(message_key, **params)))

    def mapping(self, value: object, line: int, path: str, allowed: tuple[str, ...]) -> _Map | None:
        if not isinstance(value, _Map):
            self.problem(line, path, "config.not_mapping")
            return None
        for key in value:
            if key not in allowed:
                self.problem(value.key_lines[key], f"{path}.{key}", "config.unknown_field",
                             field=key, allowed=", ".join(allowed))
        return value

    def sequence(self, parent: _Map, key: str, path: str) -> _List | None:
        if key not in parent:
            self.problem(parent.line, path, "config.missing", field=key)
            return None
        value = parent[key]
        if not isinstance(value, _List) or not value:
            self.problem(parent.key_lines[key], path, "config.not_list")
            return None
        return value

    def scalar(self, parent: _Map, key: str, path: str, kind: type, default: object = None):
        """Return parent[key] if it has type `kind`, else record a problem and return None."""
        if key not in parent:
            if default is not None:
                return default
            self.problem(parent.line, f"{path}.{key}", "config.missing", field=key)
            return None
        value = parent[key]
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value, ok = float(value), True
        if kind is str and ok and not value.strip():
            ok = False
        if not ok:
            expected = text({int: "config.type_int", float: "config.type_number"}.get(kind, "config.type_text"))
            self.problem(parent.key_lines[key], f"{path}.{key}", "config.wrong_type",
                         expected=expected, value=value)
            return None
        return value


    def unique_int(self, entry: _Map, key: str, path: str, bounds: tuple[int, int], owner: object,
                   seen: dict[int, tuple[int, object]], bad_message: str, duplicate_message: str) -> int | None:
        """entry[key] as a whole number within bounds, not used before in `seen`; else a problem."""
        value = entry.get(key)
        if key not in entry:
            self.problem(entry.line, f"{path}.{key}", "config.missing", field=key)
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not bounds[0] <= value <= bounds[1]:
            self.problem(entry.key_lines[key], f"{path}.{key}", bad_message, value=value)
            return None
        if value in seen:
            first_line, other = seen[value]
            self.problem(entry.key_lines[key], f"{path}.{key}", duplicate_message,
                         value=value, first_line=first_line, other=other)
        else:
            seen[value] = (entry.key_lines[key], owner)
        return value


def _bitrate(value: object) -> int | None:
    """'2500k' -> 2500000; None when it is not a bitrate."""
    match = BITRATE_RE.fullmatch(str(value).strip())
    if not match:
        return None
    number, unit = match.groups()
    factor = {"": 1, "k": 1_000, "m": 1_000_000}[unit.lower()]
    bits = int(float(number) * factor)
    return bits if bits > 0 else None


def _read_boards(check: _Checker, items: _List) -> tuple[list[Board], dict[str, str | None]]:
    """The valid boards, and every declared id with its kind (so one bad field does
    not also make every channel that references the board wrong)."""
    boards: list[Board] = []
    declared: dict[str, str | None] = {}
    seen_ids: dict[str, int] = {}
    seen_keys: dict[int, tuple[int, object]] = {}
    for index, item in enumerate(items):
        path, line = f"boards[{index}]", items.item_lines[index]
        entry = check.mapping(item, line, path, ("id", "key", "name", "kind", "colour", "description"))
        if entry is None:
            continue
        board_id = check.scalar(entry, "id", path, str)
        name = check.scalar(entry, "name", path, str)
        kind = check.scalar(entry, "kind", path, str)
        colour = check.scalar(entry, "colour", path, str)
        description = entry.get("description", "")
        if board_id is not None:
            if not BOARD_ID_RE.fullmatch(board_id):
                check.problem(entry.key_lines["id"], f"{path}.id", "config.bad_id", value=board_id)
            elif board_id in seen_ids:
                check.problem(entry.key_lines["id"], f"{path}.id", "config.duplicate_board_id",
                              value=board_id, first_line=seen_ids[board_id])
            else:
                seen_ids[board_id] = entry.key_lines["id"]
                declared[board_id] = kind
        key = check.unique_int(entry, "key", path, (0, 9), board_id, seen_keys,
                               "config.bad_key", "config.duplicate_board_key")
        if name is not None and not 1 <= len(name.strip()) <= BOARD_NAME_CHARS:
            check.problem(entry.key_lines["name"], f"{path}.name", "config.board_name_length", value=name.strip(),
                          length=len(name.strip()), most=BOARD_NAME_CHARS)
            name = None
        if kind is not None and kind not in BOARD_KINDS:
            check.problem(entry.key_lines["kind"], f"{path}.kind", "config.bad_kind", value=kind)
        if colour is not None and not COLOUR_RE.fullmatch(colour):
            check.problem(entry.key_lines["colour"], f"{path}.colour", "config.bad_colour", value=colour)
            colour = None
        elif colour is not None and contrast_with_white(colour) < MIN_CONTRAST_WITH_WHITE:
            check.problem(entry.key_lines["colour"], f"{path}.colour", "config.low_contrast", value=colour,
                          ratio=f"{contrast_with_white(colour):.1f}", minimum=MIN_CONTRAST_WITH_WHITE)
            colour = None
        if None not in (board_id, key, name, kind, colour):
            boards.append(Board(board_id, key, name.strip(), kind, colour.upper(), str(description or "")))
    return boards, declared


def _read_channels(check: _Checker, items: _List, boards: dict[str, str | None]) -> list[Channel]:
    channels: list[Channel] = []
    seen: dict[int, tuple[int, object]] = {}
    for index, item in enumerate(items):
        path, line = f"channels[{index}]", items.item_lines[index]
        entry = check.mapping(item, line, path, ("number", "name", "filler"))
        if entry is None:
            continue
        name = check.scalar(entry, "name", path, str)
        number = check.unique_int(entry, "number", path, (1, 999), name, seen,
                                  "config.bad_channel_number", "config.duplicate_channel_number")
        filler = entry.get("filler", _List())
        if not isinstance(filler, list):
            check.problem(entry.key_lines["filler"], f"{path}.filler", "config.not_list")
            filler = []
        fill_lines = getattr(filler, "item_lines", None) or [entry.key_lines.get("filler", entry.line)] * len(filler)
        for board_id, fill_line in zip(filler, fill_lines, strict=True):
            if board_id not in boards:
                check.problem(fill_line, f"{path}.filler", "config.unknown_board",
                              value=board_id, known=", ".join(boards))
            elif boards[board_id] == "article":
                check.problem(fill_line, f"{path}.filler", "config.filler_not_video", value=board_id)
        if number is not None and name is not None:
            channels.append(Channel(number, name.strip(), tuple(str(b) for b in filler)))
    return channels


def _read_ladder(check: _Checker, value: object, line: int) -> Ladder | None:
    entry = check.mapping(value, line, "ladder",
                          ("segment_seconds", "fps", "audio_bitrate", "loudness_lufs", "renditions"))
    if entry is None:
        return None
    ok = True

    def bounded(key: str, kind: type, low: float, high: float, default: object):
        nonlocal ok
        number = check.scalar(entry, key, "ladder", kind, default)
        if number is not None and not low <= number <= high:
            check.problem(entry.key_lines[key], f"ladder.{key}", "config.out_of_range",
                          field=key, low=low, high=high, value=number)
            number = None
        ok = ok and number is not None
        return number

    segment = bounded("segment_seconds", int, 1, 10, 2)
    fps = bounded("fps", int, 10, 60, 25)
    loudness = bounded("loudness_lufs", float, -40.0, -5.0, -16.0)
    audio = _bitrate(entry.get("audio_bitrate", "128k"))
    if audio is None:
        check.problem(entry.key_lines.get("audio_bitrate", entry.line), "ladder.audio_bitrate",
                      "config.bad_bitrate", value=entry.get("audio_bitrate"))
        ok = False
    renditions: list[Rendition] = []
    rungs = check.sequence(entry, "renditions", "ladder.renditions")
    ok = ok and rungs is not None
    for index, item in enumerate(rungs or []):
        path = f"ladder.renditions[{index}]"
        rung = check.mapping(item, rungs.item_lines[index], path, ("name", "height", "video_bitrate"))
        if rung is None:
            ok = False
            continue
        name = check.scalar(rung, "name", path, str)
        height = check.scalar(rung, "height", path, int)
        bitrate = _bitrate(rung.get("video_bitrate"))
        if bitrate is None:
            check.problem(rung.key_lines.get("video_bitrate", rung.line), f"{path}.video_bitrate",
                          "config.bad_bitrate", value=rung.get("video_bitrate"))
        if height is not None and (height < 144 or height > 2160 or height % 2):
            check.problem(rung.key_lines["height"], f"{path}.height", "config.bad_height", value=height)
            height = None
        if renditions and height is not None and height >= renditions[-1].height:
            check.problem(rung.key_lines["height"], f"{path}.height", "config.renditions_order", value=height)
            height = None
        if None in (name, height, bitrate):
            ok = False
            continue
        renditions.append(Rendition(name, height, bitrate))
    if not ok:
        return None
    return Ladder(segment, fps, audio, loudness, tuple(renditions))


def parse_lineup(source: str, filename: str = "channels.yaml") -> Lineup:
    """Parse and validate channels.yaml text; raise ConfigError listing every mistake."""
    check = _Checker(filename)
    loader = _LineLoader(source)
    try:
        tree = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise ConfigError([Problem(filename, line, "-", text("config.yaml_syntax", detail=exc.problem))]) from None
    finally:
        loader.dispose()
    for key, line, first_line in loader.duplicates:
        check.problem(line, str(key), "config.duplicate_key", key=key, first_line=first_line)
    if tree is None:
        raise ConfigError([Problem(filename, 1, "-", text("config.empty"))])
    top = check.mapping(tree, 1, "(top)", ("boards", "channels", "ladder"))
    if top is None:
        raise ConfigError(check.problems)
    board_items = check.sequence(top, "boards", "boards")
    boards, declared = _read_boards(check, board_items) if board_items else ([], {})
    channel_items = top.get("channels", _List())
    channels: list[Channel] = []
    if not isinstance(channel_items, list):
        check.problem(top.key_lines["channels"], "channels", "config.not_list")
    else:
        channels = _read_channels(check, channel_items, declared)
    if "ladder" not in top:
        check.problem(top.line, "ladder", "config.missing", field="ladder")
        ladder = None
    else:
        ladder = _read_ladder(check, top["ladder"], top.key_lines["ladder"])
    if check.problems:
        raise ConfigError(check.problems)
    return Lineup(tuple(boards), tuple(channels), ladder)


def load_lineup(path: str | Path) -> Lineup:
    """Read channels.yaml from `path`; ConfigError if it is missing, unreadable or wrong."""
    path = Path(path)
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([Problem(str(path), 0, "-", text("config.file_missing", path=path))]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(str(path), 0, "-", text("config.file_unreadable", path=path, detail=exc))]) from None
    return parse_lineup(source, str(path))
