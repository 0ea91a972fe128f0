"""Simulates how a deal moves through the sales stages over time (skips, backward moves, stalls, won/lost)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from .timeline import DAY_MS, HOUR_MS, Timeline, next_working_moment, weighted_choice
from .vocab import LOST_REASON_WEIGHTS_BY_STAGE, LOST_REASON_WORDINGS

# Median days spent in each open stage, and the chance of being lost when leaving it.
_MEDIAN_DWELL_DAYS = {5: (7.0, 12.0, 16.0, 18.0, 14.0), 4: (9.0, 14.0, 16.0, 12.0)}
_LOST_CHANCE = {5: (0.15, 0.13, 0.15, 0.2, 0.2), 4: (0.12, 0.12, 0.18, 0.16)}
_BACKWARD_CHANCE = 0.07  # per move from stage >= 2, at most once per deal (~8% of deals)
_SKIP_CHANCE = (
    0.06  # per move from an early stage, at most once per deal (~15% of deals with the start skips)
)
_START_SKIPPED_CHANCE = 0.03  # referrals that enter the pipeline already "interested"
_STALL_CHANCE = 0.15  # deals that sit much longer in every stage


@dataclass
class StagePath:
    """Stage entries in time order: (stage_index, entered_at_ms). Indices >= n_open are won / lost."""

    entries: list[tuple[int, int]]
    n_open: int
    went_backward: bool
    skipped: bool

    @property
    def won_index(self) -> int:
        return self.n_open

    @property
    def lost_index(self) -> int:
        return self.n_open + 1

    @property
    def current_stage(self) -> int:
        return self.entries[-1][0]

    @property
    def entered_current_ms(self) -> int:
        return self.entries[-1][1]

    @property
    def is_closed(self) -> bool:
        return self.current_stage >= self.n_open

    @property
    def is_won(self) -> bool:
        return self.current_stage == self.won_index

    @property
    def is_lost(self) -> bool:
        return self.current_stage == self.lost_index

    @property
    def stage_before_close(self) -> int:
        return self.entries[-2][0] if len(self.entries) > 1 else 0


def simulate_stage_path(
    rng: random.Random, created_ms: int, timeline: Timeline, n_open: int = 5
) -> StagePath:
    """Walk a deal from creation until it is won, lost, or the horizon is reached (still open)."""
    skipped = rng.random() < _START_SKIPPED_CHANCE
    stage, now = (1 if skipped else 0), created_ms
    entries = [(stage, now)]
    stall_factor = 3.0 if rng.random() < _STALL_CHANCE else 1.0
    went_backward = False
    while True:
        dwell_days = rng.lognormvariate(math.log(_MEDIAN_DWELL_DAYS[n_open][stage]), 0.6) * stall_factor
        moment = next_working_moment(rng, now, int(dwell_days * DAY_MS))
        if moment > timeline.horizon_ms:
            return StagePath(entries, n_open, went_backward, skipped)
        if rng.random() < _LOST_CHANCE[n_open][stage]:
            entries.append((n_open + 1, moment))
            return StagePath(entries, n_open, went_backward, skipped)
        backward_roll, skip_roll = rng.random(), rng.random()
        if stage >= 2 and not went_backward and backward_roll < _BACKWARD_CHANCE:
            stage, went_backward = stage - 1, True
        elif stage <= n_open - 3 and not skipped and skip_roll < _SKIP_CHANCE:
            stage, skipped = stage + 2, True
        else:
            stage += 1
        entries.append((stage, moment))
        now = moment
        if stage == n_open:
            return StagePath(entries, n_open, went_backward, skipped)


def lost_reason(rng: random.Random, path: StagePath) -> str:
    """A free-text lost reason: one wording of a reason typical for the stage the deal was lost at."""
    weights = LOST_REASON_WEIGHTS_BY_STAGE[
        min(path.stage_before_close, len(LOST_REASON_WEIGHTS_BY_STAGE) - 1)
    ]
    category = weighted_choice(rng, list(weights), list(weights.values()))
    return rng.choice(LOST_REASON_WORDINGS[category])


def days_between(earlier_ms: int, later_ms: int) -> int:
    return max(0, int((later_ms - earlier_ms) // DAY_MS))


def deal_amount_cny(rng: random.Random, employees: int) -> int:
    """A plausible deal size in 元, larger for larger customers, rounded like a quote."""
    median = 80_000 if employees < 50 else 180_000 if employees < 500 else 450_000
    amount = rng.lognormvariate(math.log(median), 0.55)
    step = 1_000 if amount < 200_000 else 5_000
    return max(step, int(round(amount / step)) * step)


def quiet_hours_after(rng: random.Random, ms: int) -> int:
    """A few minutes to a day later (used for follow-up edits)."""
    return ms + rng.randrange(10 * 60_000, 24 * HOUR_MS)
