"""The 18-month time window of the demo data, seeded random streams and timestamp formatting."""

from __future__ import annotations

import math
import random
from bisect import bisect
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from itertools import accumulate

SECOND_MS = 1_000
MINUTE_MS = 60 * SECOND_MS
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS
BEIJING_OFFSET_MS = 8 * HOUR_MS
WINDOW_MONTHS = 18
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_EXCEL_EPOCH = date(1899, 12, 30)

# Relative likelihood of activity in each Beijing-time hour of the day (00..23).
_BEIJING_HOUR_WEIGHTS = (
    0.05,
    0.03,
    0.02,
    0.02,
    0.02,
    0.03,
    0.05,
    0.15,
    0.5,
    1.0,
    1.1,
    1.0,
    0.6,
    0.7,
    1.0,
    1.1,
    1.0,
    0.9,
    0.6,
    0.4,
    0.45,
    0.4,
    0.25,
    0.1,
)


def seeded_rng(seed: int, *parts: object) -> random.Random:
    """A random stream that depends only on the seed and the given key (never on global state)."""
    return random.Random(f"{seed}:" + ":".join(str(p) for p in parts))


@lru_cache(maxsize=512)
def _cumulative(weights: tuple[float, ...]) -> tuple[list[float], float]:
    cumulative = list(accumulate(weights))
    return cumulative, cumulative[-1]


def weighted_choice(rng: random.Random, items, weights):
    """Pick one item with the given relative weights (cumulative weights are cached per weight tuple)."""
    cumulative, total = _cumulative(tuple(weights))
    return items[min(bisect(cumulative, rng.random() * total), len(cumulative) - 1)]


def scaled_count(base: float, scale: float, minimum: int = 1) -> int:
    """`base` entities at scale 1, proportionally more or fewer at other scales."""
    return max(minimum, int(round(base * scale)))


def allocate(total: int, weights: list[float]) -> list[int]:
    """Split `total` into integer parts proportional to `weights` (largest remainder, deterministic)."""
    weight_sum = sum(weights)
    if total <= 0 or weight_sum <= 0:
        return [0] * len(weights)
    exact = [total * w / weight_sum for w in weights]
    parts = [int(math.floor(x)) for x in exact]
    missing = total - sum(parts)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in by_remainder[:missing]:
        parts[i] += 1
    return parts


def ms_of(moment: datetime) -> int:
    return int((moment - _EPOCH).total_seconds() * 1000)


def utc_datetime(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


@lru_cache(maxsize=4096)
def _day_text(day_number: int) -> str:
    """YYYY-MM-DD of the n-th day since 1970-01-01."""
    return (date(1970, 1, 1) + timedelta(days=day_number)).isoformat()


def _clock_parts(ms: int) -> tuple[str, int, int, int, int]:
    day_number, in_day = divmod(ms, DAY_MS)
    hours, rest = divmod(in_day, HOUR_MS)
    minutes, rest = divmod(rest, MINUTE_MS)
    seconds, millis = divmod(rest, SECOND_MS)
    return _day_text(day_number), hours, minutes, seconds, millis


def iso_z(ms: int) -> str:
    """2025-03-05T10:22:01Z (Typeform style)."""
    day, hours, minutes, seconds, _ = _clock_parts(ms)
    return f"{day}T{hours:02d}:{minutes:02d}:{seconds:02d}Z"


def iso_z_ms(ms: int) -> str:
    """2025-03-05T10:22:01.123Z (HubSpot / Jinshuju style)."""
    day, hours, minutes, seconds, millis = _clock_parts(ms)
    return f"{day}T{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}Z"


def beijing_text(ms: int) -> str:
    """2025-03-05 18:22:01 in Beijing time, as people and Chinese tools write it."""
    day, hours, minutes, seconds, _ = _clock_parts(ms + BEIJING_OFFSET_MS)
    return f"{day} {hours:02d}:{minutes:02d}:{seconds:02d}"


def utc_month_key(ms: int) -> str:
    return _day_text(ms // DAY_MS)[:7]


def beijing_datetime(ms: int) -> datetime:
    return utc_datetime(ms + BEIJING_OFFSET_MS).replace(tzinfo=None)


def beijing_date(ms: int) -> date:
    return beijing_datetime(ms).date()


def excel_serial(day: date) -> int:
    """The number Excel stores for a date (days since 1899-12-30)."""
    return (day - _EXCEL_EPOCH).days


def first_of_month_shifted(day: date, months_back: int) -> date:
    index = day.year * 12 + (day.month - 1) - months_back
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Timeline:
    """The 18 calendar months ending on `as_of`; nothing is dated after `horizon_ms` (as_of 18:00 Beijing)."""

    as_of: date
    start: date
    start_ms: int
    horizon_ms: int

    @classmethod
    def ending(cls, as_of: date) -> "Timeline":
        start = first_of_month_shifted(as_of, WINDOW_MONTHS - 1)
        start_ms = ms_of(datetime(start.year, start.month, start.day, tzinfo=timezone.utc))
        horizon_ms = ms_of(datetime(as_of.year, as_of.month, as_of.day, 10, tzinfo=timezone.utc))
        return cls(as_of=as_of, start=start, start_ms=start_ms, horizon_ms=horizon_ms)

    def days(self) -> list[date]:
        count = (self.as_of - self.start).days + 1
        return [self.start + timedelta(days=i) for i in range(count)]

    def months(self) -> list[date]:
        return [first_of_month_shifted(self.as_of, back) for back in range(WINDOW_MONTHS - 1, -1, -1)]

    def growth_fraction(self, ms: int) -> float:
        """0 at the window start, 1 at the horizon."""
        return min(1.0, max(0.0, (ms - self.start_ms) / (self.horizon_ms - self.start_ms)))

    def growing_moment(self, rng: random.Random) -> int:
        """A moment in the window, more likely later (activity grows ~60% over the window)."""
        u = rng.random()
        x = (-1.0 + math.sqrt(1.0 + 1.56 * u)) / 0.6
        base = self.start_ms + int(x * (self.horizon_ms - self.start_ms - 1))
        return max(self.start_ms, before_horizon(rng, base, working_moment(rng, base), self))


def utc_hour_weights() -> list[float]:
    """Activity weight of each UTC hour, from Beijing working habits."""
    return [_BEIJING_HOUR_WEIGHTS[(h + 8) % 24] for h in range(24)]


def working_moment(rng: random.Random, around_ms: int) -> int:
    """Move a moment to a plausible Beijing working hour of the same Beijing day."""
    local = around_ms + BEIJING_OFFSET_MS
    local_midnight = local - local % DAY_MS
    hour = weighted_choice(rng, range(24), _BEIJING_HOUR_WEIGHTS)
    return local_midnight + hour * HOUR_MS + rng.randrange(HOUR_MS) - BEIJING_OFFSET_MS


def next_working_moment(rng: random.Random, after_ms: int, delay_ms: int) -> int:
    """A working-hours moment about `delay_ms` after `after_ms`, strictly later (may pass the horizon)."""
    moved = working_moment(rng, after_ms + delay_ms)
    if moved <= after_ms:
        moved = after_ms + rng.randrange(5 * MINUTE_MS, 3 * HOUR_MS)
    return moved


def before_horizon(rng: random.Random, after_ms: int, moment_ms: int, timeline: Timeline) -> int:
    """`moment_ms` if it is not past the horizon, else a random moment between `after_ms` and the horizon."""
    if moment_ms <= timeline.horizon_ms:
        return moment_ms
    if after_ms >= timeline.horizon_ms - 1:
        return timeline.horizon_ms
    return after_ms + 1 + int(rng.random() * (timeline.horizon_ms - after_ms - 1))


def later_working_moment(rng: random.Random, after_ms: int, delay_ms: int, timeline: Timeline) -> int:
    """Like next_working_moment, but squeezed in before the horizon when it would fall after it."""
    return before_horizon(rng, after_ms, next_working_moment(rng, after_ms, delay_ms), timeline)
