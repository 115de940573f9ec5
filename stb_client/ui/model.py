"""The client's state, the events that change it and the effects it asks for: plain frozen data.

The navigation reducer (navigation.py) is a pure function of these; the
shell (app.py) turns effects into I/O and I/O into events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

MESSAGE_SECONDS = 10.0  # nothing on screen disappears sooner: elderly viewers read slowly
NUMBER_ENTRY_SECONDS = 2.0
POSITION_REPORT_SECONDS = 30.0
SEEK_SECONDS = 30.0
ITEMS_PER_PAGE = 6
VOLUME_STEP = 10
# Subtitle sizes the blue key steps through while a video plays, smallest first; large by default (elderly eyes).
SUBTITLE_SIZES = ("standard", "large", "larger")
DEFAULT_SUBTITLE_SIZE = "large"


class View(StrEnum):
    """Which kind of screen is shown."""

    PAIRING = "pairing"
    HOME = "home"
    BOARD = "board"
    PLAYER = "player"
    ARTICLE = "article"
    LIVE = "live"
    GUIDE = "guide"
    VIEWERS = "viewers"  # 谁在看？
    STUDY = "study"  # 我的学习
    QUIZ = "quiz"  # 随堂测验


# ---- data the server gives -------------------------------------------------------------

@dataclass(frozen=True)
class Board:
    """A board on Home, with its remote key, colour and how many items it shows the box."""

    id: str
    key: int
    name: str
    colour: str
    kind: str
    count: int = 0


@dataclass(frozen=True)
class ItemSummary:
    """An item as a board's page lists it."""

    id: int
    kind: str  # video or article
    title: str
    duration_s: float | None = None
    date: str = ""
    thumbnail_url: str | None = None


@dataclass(frozen=True)
class Reading:
    """An article read aloud (朗读): its audio, length and marks, (offset in the text, start in the audio) for
    each sentence, by which the page follows the voice."""

    url: str
    duration_s: float
    marks: tuple[tuple[int, float], ...] = ()


@dataclass(frozen=True)
class ItemDetail:
    """An item in full: a video's stream, subtitles, resume point and length, or an article's text."""

    id: int
    kind: str
    title: str
    hls_url: str | None = None
    subtitles_url: str | None = None
    resume_s: float = 0.0
    duration_s: float | None = None
    text: str = ""
    subtitle_sizes: tuple[tuple[str, str], ...] = ()  # (size, URL) of the subtitles at each of SUBTITLE_SIZES
    reading: Reading | None = None  # an article's reading aloud, when the server has one for its text
    loaded_at: float = float("-inf")  # when it arrived (the reducer's clock): old details are fetched again


@dataclass(frozen=True)
class HomeEntry:
    """A card of Home's rows (最近看过, 收藏): a video to resume at `resume_s`, or an article."""

    id: int
    kind: str  # video or article
    title: str
    board_id: str = ""
    duration_s: float | None = None
    resume_s: float = 0.0


@dataclass(frozen=True)
class Programme:
    """A programme of a channel's now/next, its times as local HH:MM."""

    title: str
    start: str = ""  # HH:MM, local
    end: str = ""
    important: bool = False  # an important broadcast (the idle screen names it)
    day: str = ""  # its local day in words when not today ("明天", "12月5日")
    at: float = 0.0  # its start, seconds since the epoch (to tell which comes first)


@dataclass(frozen=True)
class Channel:
    """A live channel with its stream and the programmes on now and next."""

    number: int
    name: str
    stream_url: str
    now: Programme | None = None
    next: Programme | None = None
    upcoming: Programme | None = None  # the first important broadcast after now, however far (within a week)
    lowest_url: str = ""  # the stream's lowest rung alone (a prepared neighbour plays it; "": not prepared)


@dataclass(frozen=True)
class GuideSlot:
    """One programme of the guide grid, at wall-clock times."""

    title: str
    start: float  # seconds since the epoch
    end: float
    label: str  # its start as HH:MM in the server's zone


@dataclass(frozen=True)
class Guide:
    """The programmes of every channel for the next hours, and when they were fetched.

    The reducer runs on the monotonic clock; `wall` and `mono` were read together
    when the guide arrived, so wall time is known without reading a clock in it.
    """

    channels: tuple[tuple[int, tuple[GuideSlot, ...]], ...]
    wall: float
    mono: float
    zone: str = "Asia/Shanghai"

    def wall_at(self, now: float) -> float:
        """The wall-clock time at monotonic time `now`."""
        return self.wall + (now - self.mono)

    def slots(self, number: int) -> tuple[GuideSlot, ...]:
        """A channel's programmes; none for a channel the guide does not have."""
        return next((slots for n, slots in self.channels if n == number), ())


@dataclass(frozen=True)
class Notice:
    """A notice to show: urgent, or the reminder of a broadcast on `channel`."""

    id: str
    kind: str  # urgent, broadcast (an important programme: shown over anything) or checkin (quiet: the prompt only)
    title: str
    body: str
    channel: int | None = None
    checkin: CheckinWindow | None = None  # a broadcast that takes check-ins (签到)


@dataclass(frozen=True)
class CheckinWindow:
    """When a programme takes check-ins, on the reducer's clock (the link converts the server's times)."""

    entry_id: int
    title: str
    opens: float
    closes: float
    closes_label: str  # HH:MM in the server's zone


@dataclass(frozen=True)
class Member:
    """A member of the box's household, as "谁在看" lists them."""

    id: int
    name: str


@dataclass(frozen=True)
class Household:
    """The box's members and the site's timings for the prompts (seconds; 0 turns "还在看吗" off)."""

    members: tuple[Member, ...] = ()
    still_watching_s: float = 1800.0
    answer_s: float = 60.0
    viewers_idle_s: float = 7200.0


@dataclass(frozen=True)
class Lesson:
    """A lesson on 我的学习: its title, 学时 earned from it and, for an unfinished video, the item to resume."""

    title: str
    lessons: float
    finished: bool
    item_id: int | None = None
    progress: float = 0.0  # share of its length credited, 0..1


@dataclass(frozen=True)
class StudyCard:
    """我的学习 of one member: this year's 学时 against the target, this month's, last and unfinished lessons."""

    member_id: int
    name: str
    year_lessons: float
    target_lessons: float
    month_lessons: float
    recent: tuple[Lesson, ...] = ()
    unfinished: tuple[Lesson, ...] = ()


@dataclass(frozen=True)
class Watch:
    """The watch interval open now: what plays, from where and since when (the reducer's clock), for whom."""

    started: float
    item_id: int | None = None
    channel: int | None = None
    from_s: float = 0.0
    to_s: float = 0.0
    members: tuple[int, ...] = ()
    checkpoint_at: float = 0.0  # when it was last sent
    seen_at: float = 0.0  # when the player last reported a position in it


@dataclass(frozen=True)
class QuizQuestion:
    """A question of a video's quiz: its options (2 to 4, answered with the digits 1-4), the right one, why."""

    id: int
    revision: int
    text: str
    options: tuple[str, ...]
    correct: int  # the index of the right option
    explanation: str = ""


@dataclass(frozen=True)
class Quiz:
    """A video's quiz as the server gave it (no questions: the video has none)."""

    item_id: int
    questions: tuple[QuizQuestion, ...] = ()


@dataclass(frozen=True)
class QuizRun:
    """The quiz on screen: its questions (None until they arrive), the question shown, the choices made so far
    (one more than `index` while its answer is shown), and at the end whether the server took the attempt."""

    item_id: int
    members: tuple[int, ...]  # who gets the attempt (none: it is not sent)
    questions: tuple[QuizQuestion, ...] | None = None
    index: int = 0
    choices: tuple[int, ...] = ()
    saved: bool | None = None  # None: on its way (or not sent)

    @property
    def answered(self) -> bool:
        """Whether the question shown has been answered (its right answer and explanation are on screen)."""
        return len(self.choices) > self.index

    @property
    def finished(self) -> bool:
        """Whether every question has been answered and gone past: the score is on screen."""
        return self.questions is not None and self.index >= len(self.questions)


# ---- what the viewer sees -------------------------------------------------------------

@dataclass(frozen=True)
class ReadingRun:
    """The article being read aloud, and the page it was started from (the page never turns back before it)."""

    item_id: int
    from_page: int = 0
    sentence: int = -1  # the mark (sentence) the voice is in: shown behind its lines; -1 none yet, or no marks


@dataclass(frozen=True)
class Screen:
    """One screen on the stack; it keeps its own focus so Back returns to where it was."""

    view: View
    focus: int = 0
    page: int = 0  # board pages, article pages
    board_id: str | None = None
    item_id: int | None = None
    channel: int | None = None
    column: int = 0  # the guide grid: the focused programme in the focused row


@dataclass(frozen=True)
class Message:
    """Text on screen until `until` (never less than MESSAGE_SECONDS after it appeared)."""

    message_id: str
    params: tuple[tuple[str, object], ...] = ()
    until: float = 0.0


@dataclass(frozen=True)
class Playback:
    """What the player is doing, as far as the client knows."""

    url: str
    item_id: int | None = None
    channel: int | None = None
    paused: bool = False
    position_s: float = 0.0
    duration_s: float | None = None
    subtitles: bool = True
    controls_until: float = 0.0
    reported_at: float = 0.0
    reported_s: float = 0.0


@dataclass(frozen=True)
class State:
    """Everything the client knows and shows: the screen stack, the server's data, playback and messages."""

    stack: tuple[Screen, ...] = (Screen(View.HOME),)
    boards: tuple[Board, ...] = ()
    items: dict[str, tuple[ItemSummary, ...]] = field(default_factory=dict)
    details: dict[int, ItemDetail] = field(default_factory=dict)
    channels: tuple[Channel, ...] = ()
    zone: str = ""  # the server's time zone: the clock and the guide show its time
    guide: Guide | None = None
    notices: tuple[Notice, ...] = ()
    dismissed: frozenset[str] = frozenset()
    playback: Playback | None = None
    digits: str = ""
    digits_deadline: float | None = None
    banner_until: float = 0.0
    volume: int = 60
    muted: bool = False
    volume_until: float = 0.0
    message: Message | None = None
    offline: bool = False
    pairing_code: str = ""
    last_channel: int | None = None
    subtitle_size: str = DEFAULT_SUBTITLE_SIZE  # one of SUBTITLE_SIZES; kept across restarts
    retry_at: float | None = None  # live playback failed: try again then
    failures: int = 0
    household: Household = Household()
    viewers: tuple[int, ...] | None = None  # who watches (chosen in "谁在看"); None: not asked yet
    last_key_at: float = 0.0  # the last key (the box's start until one is pressed: idle_nav.py)
    still_asked_at: float | None = None  # "还在看吗？" on screen since
    held: Watch | None = None  # the interval paused by that question, resumed from there when answered
    credit_paused: bool = False  # nobody answered: no study time until a key is pressed
    watch: Watch | None = None
    pending: tuple[str, int] | None = None  # what "谁在看" was asked for: ("item", id) or ("channel", n)
    studies: dict[int, StudyCard] = field(default_factory=dict)
    quizzes: dict[int, Quiz] = field(default_factory=dict)  # videos' quizzes, fetched when they open
    quiz: QuizRun | None = None  # the quiz being answered
    checked_in: frozenset[tuple[int, int]] = frozenset()  # (programme, member) checked in from this box
    checkin_sending: tuple[int, float] | None = None  # (programme, when sent): the check-in on its way
    checkin_note: Message | None = None  # its outcome, shown in the prompt's place
    dimmed: bool = False  # the idle screen is on: IDLE_DIM_SECONDS after the last key (idle_nav.py)
    recent: tuple[HomeEntry, ...] = ()  # Home's 最近看过 for the members watching (home_nav.py)
    favourites: tuple[HomeEntry, ...] = ()  # Home's 收藏
    favourite_ids: frozenset[int] = frozenset()  # every item kept (more than the row shows): marks, the red key
    reading: ReadingRun | None = None  # an article being read aloud (reading_nav.py)
    favourites_sending: int = 0  # red presses not answered yet: rows fetched before them would undo them

    @property
    def screen(self) -> Screen:
        """The screen on top of the stack: the one shown."""
        return self.stack[-1]


# ---- events from the outside world -----------------------------------------------------

@dataclass(frozen=True)
class Tick:
    """Time passed (the shell sends one a few times a second)."""


@dataclass(frozen=True)
class BoardsLoaded:
    """The boards arrived."""

    boards: tuple[Board, ...]


@dataclass(frozen=True)
class ItemsLoaded:
    """A board's items arrived."""

    board_id: str
    items: tuple[ItemSummary, ...]


@dataclass(frozen=True)
class ItemLoaded:
    """An item's details arrived."""

    item: ItemDetail


@dataclass(frozen=True)
class ChannelsLoaded:
    """The channels with their now/next arrived, with the server's time zone."""

    channels: tuple[Channel, ...]
    zone: str = ""


@dataclass(frozen=True)
class GuideLoaded:
    """The guide grid's programmes arrived."""

    guide: Guide


@dataclass(frozen=True)
class NoticesLoaded:
    """The notices to show arrived."""

    notices: tuple[Notice, ...]


@dataclass(frozen=True)
class HouseholdLoaded:
    """The box's household and the prompts' timings arrived."""

    household: Household


@dataclass(frozen=True)
class StudyLoaded:
    """One member's 我的学习 arrived."""

    card: StudyCard


@dataclass(frozen=True)
class PlaybackPosition:
    """The player says where the video is (and how long it is, once known)."""

    position_s: float
    duration_s: float | None = None


@dataclass(frozen=True)
class PlaybackEnded:
    """The video played to its end."""


@dataclass(frozen=True)
class PlaybackFailed:
    """The player could not play the stream, or lost it."""

    reason: str = ""


@dataclass(frozen=True)
class ReadingPosition:
    """The reading aloud has reached `position_s` of its audio."""

    position_s: float


@dataclass(frozen=True)
class ReadingEnded:
    """The reading aloud came to its end."""


@dataclass(frozen=True)
class ReadingFailed:
    """The reading aloud could not be played."""

    reason: str = ""


@dataclass(frozen=True)
class ConnectionChanged:
    """The server became reachable, or unreachable."""

    online: bool


@dataclass(frozen=True)
class PairingStarted:
    """The box registered and has a pairing code to show."""

    code: str


@dataclass(frozen=True)
class Paired:
    """The box has its token."""


@dataclass(frozen=True)
class CheckinDone:
    """The server took a check-in: `names` checked in now at HH:MM, `earlier` had checked in before; `member_ids`
    are all of them."""

    entry_id: int
    names: tuple[str, ...]
    at_label: str
    earlier: tuple[str, ...] = ()
    member_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class CheckinFailed:
    """A check-in was refused (`reason`: the server's words) or could not be sent (`reason` empty: offline)."""

    entry_id: int
    reason: str = ""


@dataclass(frozen=True)
class HomeRowsLoaded:
    """Home's rows arrived, for `members` (empty: the box's own)."""

    recent: tuple[HomeEntry, ...]
    favourites: tuple[HomeEntry, ...]
    members: tuple[int, ...] = ()
    favourite_ids: frozenset[int] = frozenset()  # every item kept, the row's and those beyond it


@dataclass(frozen=True)
class FavouriteSaved:
    """The server kept (or took away) a favourite as the red key asked."""

    item_id: int


@dataclass(frozen=True)
class FavouriteFailed:
    """A favourite was not kept or not taken away: `reason` is the server's words, empty when offline."""

    item_id: int
    reason: str = ""


@dataclass(frozen=True)
class QuizLoaded:
    """A video's quiz arrived."""

    quiz: Quiz


@dataclass(frozen=True)
class QuizSaved:
    """The server took a quiz attempt (`saved`), or it could not be sent or was refused."""

    item_id: int
    saved: bool


# ---- effects the reducer asks for -------------------------------------------------------

@dataclass(frozen=True)
class FetchBoards:
    """Ask the server for the boards."""


@dataclass(frozen=True)
class FetchItems:
    """Ask the server for one board's items."""

    board_id: str


@dataclass(frozen=True)
class FetchItem:
    """Ask the server for one item's details."""

    item_id: int


@dataclass(frozen=True)
class FetchChannels:
    """Ask the server for the channels with their now/next."""


@dataclass(frozen=True)
class FetchGuide:
    """Ask the server for every channel's guide, a day ahead."""


@dataclass(frozen=True)
class FetchHousehold:
    """Ask the server who watches this box."""


@dataclass(frozen=True)
class FetchStudy:
    """Ask the server for one member's 我的学习."""

    member_id: int


@dataclass(frozen=True)
class FetchHomeRows:
    """Ask the server for Home's rows of `members` (empty: the box's own)."""

    members: tuple[int, ...] = ()


@dataclass(frozen=True)
class SetFavourite:
    """Add an item to the favourites of `members` (or the box's), or take it away; the rows are fetched after."""

    item_id: int
    on: bool
    members: tuple[int, ...] = ()


@dataclass(frozen=True)
class FetchNotices:
    """Asked by the sync thread's poll, not by the reducer."""


@dataclass(frozen=True)
class Play:
    """Play a stream from `start_s`, with a subtitle track if given."""

    url: str
    start_s: float = 0.0
    subtitles_url: str | None = None


@dataclass(frozen=True)
class Stop:
    """Stop the player."""


@dataclass(frozen=True)
class Prepare:
    """Keep live channel `url` ready beside the one watched (its `lowest_url` rung, hidden and muted), so that
    changing to it is instant."""

    url: str
    lowest_url: str


@dataclass(frozen=True)
class SetSubtitles:
    """Add this subtitle track to the video playing and show it (another size of the same subtitles)."""

    url: str


@dataclass(frozen=True)
class ReadAloud:
    """Play an article's reading from `start_s` (audio only: the article stays on screen)."""

    url: str
    start_s: float = 0.0


@dataclass(frozen=True)
class StopReading:
    """Stop the reading aloud."""


@dataclass(frozen=True)
class SeekTo:
    """Jump to a position in the video."""

    position_s: float


@dataclass(frozen=True)
class SetPaused:
    """Pause or resume the player."""

    paused: bool


@dataclass(frozen=True)
class ShowSubtitles:
    """Show or hide the subtitles."""

    on: bool


@dataclass(frozen=True)
class SetVolume:
    """Set the player's volume and mute."""

    level: int
    muted: bool


@dataclass(frozen=True)
class ReportPosition:
    """Send a video's resume point to the server."""

    item_id: int
    position_s: float


@dataclass(frozen=True)
class ReportPlaying:
    """What the box shows now, for the administrators' list of boxes (both None: the menus)."""

    channel: int | None
    item_id: int | None


@dataclass(frozen=True)
class FetchQuiz:
    """Ask the server for a video's quiz."""

    item_id: int


@dataclass(frozen=True)
class SendQuizAttempt:
    """Send a finished quiz attempt for `members`: (question id, choice index, revision) per question; answered
    by QuizSaved."""

    item_id: int
    members: tuple[int, ...]
    answers: tuple[tuple[int, int, int], ...]


@dataclass(frozen=True)
class ReportWatch:
    """Send what was played from `started` to `ended` (the reducer's clock; the link turns them into wall-clock
    times) for `members`. The same `started` is the same interval: a checkpoint is sent again, longer, later.
    With `position_s`, the same request saves the video's resume point (no ReportPosition while it plays)."""

    started: float
    ended: float
    item_id: int | None
    channel: int | None
    from_s: float
    to_s: float
    members: tuple[int, ...]
    position_s: float | None = None  # a checkpoint of the video still playing: its resume point rides along


@dataclass(frozen=True)
class SendCheckin:
    """Check in `members` at the programme `entry_id` (answered by CheckinDone or CheckinFailed)."""

    entry_id: int
    members: tuple[int, ...]
