"""A vendor-neutral CRM account of a team outside China (users, accounts, people, leads, deal walks), rendered
as a Salesforce org by salesforce.py and as a Pipedrive company by pipedrive.py.

Every entity is rebuilt on demand from its number and a seeded stream named after the team (`Region.key`), so
nothing large is kept in memory and no other output of the generator changes. Some accounts are companies of the
shared universe (their English name, their domain, the people who sent forms), so identity resolution has matches.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from functools import lru_cache

from .entities import Person, Universe
from .forms import LeadIndex
from .funnel import deal_amount_cny
from .timeline import DAY_MS, HOUR_MS, MINUTE_MS, Timeline, before_horizon, seeded_rng, weighted_choice
from .vendor_vocab import BRANDS, NAME_ENDINGS, SECTOR_WORDS, Place, Region, ascii_token
from .vocab import INDUSTRIES, JOB_TITLES, LOST_REASON_WEIGHTS_BY_STAGE, Industry

_INVERTIBLE = 2_147_483_647  # a prime larger than any count: n -> n * _INVERTIBLE + k (mod m) is a bijection
_OFFICE_HOUR_WEIGHTS = (
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0.2,
    0.8,
    1,
    1,
    1,
    0.6,
    0.9,
    1,
    1,
    0.9,
    0.6,
    0.3,
    0.1,
    0.1,
    0,
    0,
    0,
)
_UNIVERSE_SHARE = 0.35  # accounts that are companies of the shared universe
_FROM_LEAD_SHARE = 0.5  # contacts that were leads first (converted)
_REOPEN_CHANCE = 0.08  # a closed deal opened again, at most once
_DELETE_CHANCE = 0.04
_BACKWARD_CHANCE = 0.08
_SKIP_CHANCE = 0.07
_AMOUNT_EDIT_CHANCE = 0.18  # per stage step: the amount is changed on its own
_CLOSE_DATE_EDIT_CHANCE = 0.15  # per stage step: the expected close date slips
PARTNER_CHANNELS = ("Reseller", "Referral partner", "Marketplace", "Systems integrator")


@dataclass(frozen=True)
class WalkShape:
    """A pipeline's open stages: median days in each and the chance of being lost when leaving it."""

    dwell_days: tuple[float, ...]
    lost_chance: tuple[float, ...]

    @property
    def n_open(self) -> int:
        return len(self.dwell_days)


@dataclass(frozen=True)
class Change:
    """The state of a deal after one save. `what` is create|stage|won|lost|reopen|amount|close_date."""

    ms: int
    what: str
    stage: int  # open stage index; won and lost keep the stage the deal was closed from
    status: str  # open | won | lost
    amount: int
    close_day: int  # expected close date, days since 1970-01-01


@dataclass(frozen=True)
class User:
    index: int
    first_name: str
    last_name: str
    email: str
    title: str
    manager: int | None
    role: int  # 0 head of sales, 1 sales manager, 2 account executive
    created_ms: int
    active: bool


@dataclass(frozen=True)
class Account:
    index: int
    name: str
    domain: str
    place: Place
    industry: Industry
    employees: int
    universe_company: int | None
    owner: int
    created_ms: int


@dataclass(frozen=True)
class Contact:
    index: int
    account: int
    first_name: str
    last_name: str
    email: str
    phone: str
    title: str
    owner: int
    created_ms: int
    lead_created_ms: int | None  # a converted lead: it was created here and converted at created_ms
    source: str


@dataclass(frozen=True)
class Lead:
    index: int
    contact: int | None  # converted into this contact
    first_name: str
    last_name: str
    email: str
    phone: str
    title: str
    company: str
    industry: Industry
    employees: int
    place: Place
    owner: int
    created_ms: int
    status: str  # open | working | unqualified | converted
    source: str
    modified_ms: int
    deleted_ms: int | None


@dataclass(frozen=True)
class Deal:
    index: int
    account: int
    contact: int
    owner: int
    pipeline: int
    created_ms: int
    changes: tuple[Change, ...]
    lost_category: str | None
    last_modified_ms: int
    deleted_ms: int | None
    partner_channel: str | None
    went_backward: bool
    skipped: bool
    reopened: bool

    @property
    def final(self) -> Change:
        return self.changes[-1]

    @property
    def modified_ms(self) -> int:
        """LastModifiedDate / update_time of the record as the API shows it now (a delete is a change too)."""
        return self.deleted_ms if self.deleted_ms is not None else self.last_modified_ms


LEAD_SOURCES = ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")
_LEAD_SOURCE_WEIGHTS = (0.45, 0.15, 0.2, 0.1, 0.1)


class TeamClock:
    """Moments in the office hours of a team `utc_offset_hours` away from UTC."""

    def __init__(self, region: Region, timeline: Timeline):
        self.offset_ms, self.timeline = region.utc_offset_hours * HOUR_MS, timeline

    def office_moment(self, rng: random.Random, around_ms: int) -> int:
        local = around_ms + self.offset_ms
        hour = weighted_choice(rng, range(24), _OFFICE_HOUR_WEIGHTS)
        return local - local % DAY_MS + hour * HOUR_MS + rng.randrange(HOUR_MS) - self.offset_ms

    def after(self, rng: random.Random, after_ms: int, delay_ms: int) -> int:
        """An office-hours moment about `delay_ms` after `after_ms`, strictly later (may pass the horizon)."""
        moment = self.office_moment(rng, after_ms + delay_ms)
        return moment if moment > after_ms else after_ms + rng.randrange(5 * MINUTE_MS, 2 * HOUR_MS)

    def growing(self, rng: random.Random) -> int:
        """A moment in the window, more likely later, in office hours, never past the horizon."""
        base = self.timeline.growing_moment(rng)
        return before_horizon(rng, base, self.office_moment(rng, base), self.timeline)


class VendorPlan:
    """Decides from numbers alone who sells what to whom in one vendor's account."""

    def __init__(
        self,
        seed: int,
        region: Region,
        universe: Universe,
        timeline: Timeline,
        leads: LeadIndex,
        sizes: tuple[int, int, int, int, int],
        shapes: tuple[tuple[WalkShape, float], ...],
    ):
        self.seed, self.region, self.universe, self.timeline, self.leads = (
            seed,
            region,
            universe,
            timeline,
            leads,
        )
        n_users, n_accounts, n_contacts, n_deals, n_extra_leads = sizes
        self.n_accounts = min(n_accounts, universe.n_companies)
        self.n_contacts = max(n_contacts, self.n_accounts)
        self.n_deals, self.n_leads = n_deals, self.n_contacts + n_extra_leads
        self.shapes = shapes
        self.clock = TeamClock(region, timeline)
        self.users = [self._user(i, n_users) for i in range(n_users)]
        self.reps = [u.index for u in self.users if u.role == 2] or [0]
        self._offset = self.rng("offset").randrange(1 << 30)
        field_day = (timeline.start_ms + (timeline.horizon_ms - timeline.start_ms) * 11 // 20) // DAY_MS
        self.field_added_ms = field_day * DAY_MS + 9 * HOUR_MS - region.utc_offset_hours * HOUR_MS
        self.account = lru_cache(maxsize=16_384)(self._account)
        self.contact = lru_cache(maxsize=65_536)(self._contact)
        self.deal = lru_cache(maxsize=4_096)(self._deal)

    def rng(self, *parts: object) -> random.Random:
        return seeded_rng(self.seed, self.region.key, *parts)

    # --- users ---------------------------------------------------------------------------------
    def _user(self, i: int, count: int) -> User:
        rng = self.rng("user", i)
        n_managers = max(1, (count - 1) // 6)
        role = 0 if i == 0 else 1 if i <= n_managers else 2
        manager = None if role == 0 else 0 if role == 1 else 1 + (i % n_managers)
        first, last = rng.choice(self.region.given_names), rng.choice(self.region.surnames)
        title = ("Head of Sales", "Sales Manager", "Account Executive")[role]
        return User(
            index=i,
            first_name=first,
            last_name=last,
            email=f"{ascii_token(first)}.{ascii_token(last)}{i + 1}@{self.region.user_domain}",
            title=title,
            manager=manager,
            role=role,
            created_ms=self.timeline.start_ms - rng.randrange(30 * DAY_MS, 700 * DAY_MS),
            active=not (role == 2 and i == count - 1 and count > 4),  # one rep has left the company
        )

    # --- accounts and people -------------------------------------------------------------------
    def universe_company(self, a: int) -> int | None:
        if self.spread(a, 1_000) >= _UNIVERSE_SHARE * 1_000:
            return None
        return (a * _INVERTIBLE + self._offset) % self.universe.n_companies

    def own_company_name(self, number: int) -> tuple[str, str, Industry]:
        """A distinct company of the team's own market for every number: name, domain, industry."""
        space = len(BRANDS) * len(SECTOR_WORDS) * len(NAME_ENDINGS)
        code, repeat = (number % space * 7_919 + self.seed) % space, number // space
        code, brand = divmod(code, len(BRANDS))
        ending, sector = divmod(code, len(SECTOR_WORDS))
        word, industry_key = SECTOR_WORDS[sector]
        words = f"{BRANDS[brand]} {word}{NAME_ENDINGS[ending]}" + (f" {repeat + 1}" if repeat else "")
        form = self.region.legal_forms[(number * 31 + self.seed) % len(self.region.legal_forms)]
        industry = next(i for i in INDUSTRIES if i.key == industry_key)
        return f"{words} {form}", ascii_token(words) + self.region.tld, industry

    def _account(self, a: int) -> Account:
        rng = self.rng("account", a)
        c = self.universe_company(a)
        if c is not None:
            company = self.universe.company(c)
            name, domain, industry, employees = (
                company.english_name,
                company.domain,
                company.industry,
                company.employees,
            )
        else:
            name, domain, industry = self.own_company_name(a)
            employees = int(rng.lognormvariate(math.log(180), 1.2)) + 5
        place = rng.choice(self.region.places)
        first_contact = min(
            self.contact(k).lead_created_ms or self.contact(k).created_ms for k in self.contacts_of_account(a)
        )
        return Account(
            index=a,
            name=name,
            domain=domain,
            place=place if c is None else Place(self.universe.company(c).city.english, None, "China", "+86"),
            industry=industry,
            employees=employees,
            universe_company=c,
            owner=self._account_owner(a),
            created_ms=first_contact - rng.randrange(HOUR_MS, 3 * DAY_MS),
        )

    def _account_basics(self, a: int) -> tuple[int | None, str]:
        """The universe company and the e-mail domain of an account (what its people need, no cycle)."""
        c = self.universe_company(a)
        return c, self.universe.company(c).domain if c is not None else self.own_company_name(a)[1]

    def _own_person(self, rng: random.Random, number: int, domain: str) -> tuple[str, str, str, str]:
        first, last = rng.choice(self.region.given_names), rng.choice(self.region.surnames)
        email = f"{ascii_token(first)}.{ascii_token(last)}@{domain}"
        place = rng.choice(self.region.places)
        return (
            first,
            last,
            email,
            f"{place.phone_prefix} {(number * 48_271 + 1_234_567) % 9_000_000 + 1_000_000}",
        )

    @staticmethod
    def _universe_person(person: Person) -> tuple[str, str, str, str]:
        return (
            person.given_pinyin.capitalize(),
            person.surname_pinyin.capitalize(),
            person.email,
            "+86 " + person.mobile,
        )

    def _contact(self, k: int) -> Contact:
        rng = self.rng("contact", k)
        a, nth = k % self.n_accounts, k // self.n_accounts
        c, domain = self._account_basics(a)
        first_seen = None
        if c is not None:
            pids = self.universe.lead_persons_of_company(c, self.leads.people, limit=nth + 1)
            person = self.universe.lead_person(pids[nth]) if len(pids) > nth else None
            if person is not None and not person.is_junk:
                first_seen = self.leads.first_seen_ms[pids[nth]]
                names = self._universe_person(person)
        if first_seen is None:
            number = self.region.person_base + k
            names = (
                self._universe_person(self.universe.person(number, c))
                if c is not None
                else self._own_person(rng, number, domain)
            )
        created = self.clock.growing(rng)
        if first_seen is not None and first_seen >= self.timeline.horizon_ms - DAY_MS:
            first_seen = None
        if first_seen is not None:
            delay = int(rng.lognormvariate(math.log(30 * DAY_MS), 0.8))
            created = before_horizon(rng, first_seen, self.clock.after(rng, first_seen, delay), self.timeline)
        from_lead = rng.random() < _FROM_LEAD_SHARE
        lead_created = None
        if from_lead:
            lead_created = max(
                self.timeline.start_ms if first_seen is None else first_seen + MINUTE_MS,
                created - int(rng.lognormvariate(math.log(12 * DAY_MS), 0.7)),
            )
            lead_created = lead_created if lead_created < created else None
        title = rng.choice(JOB_TITLES)[1]
        owner = self._account_owner(a)
        source = "Web" if first_seen is not None else weighted_choice(rng, LEAD_SOURCES, _LEAD_SOURCE_WEIGHTS)
        return Contact(k, a, *names, title, owner, created, lead_created, source)

    def _account_owner(self, a: int) -> int:
        return self.reps[self.spread(a + 7, len(self.reps))]

    def spread(self, n: int, size: int) -> int:
        """A well-mixed number in range(size) for n, without the cost of a seeded random stream."""
        return ((n + 1) * 2_654_435_761 + self._offset) % 4_294_967_291 % size

    # --- leads (Salesforce keeps them apart from contacts) ---------------------------------------
    def lead(self, n: int) -> Lead:
        rng = self.rng("lead", n)
        contact = self.contact(n) if n < self.n_contacts else None
        if contact is not None and contact.lead_created_ms is not None:
            account = self.account(contact.account)
            return Lead(
                n,
                n,
                contact.first_name,
                contact.last_name,
                contact.email,
                contact.phone,
                contact.title,
                account.name,
                account.industry,
                account.employees,
                account.place,
                contact.owner,
                contact.lead_created_ms,
                "converted",
                contact.source,
                contact.created_ms,
                None,
            )
        pid = (n * _INVERTIBLE + self._offset) % max(1, self.leads.people)
        person = self.universe.lead_person(pid) if self.leads.people and rng.random() < 0.3 else None
        if person is not None and not person.is_junk:
            company = self.universe.company(person.company_number)
            names = self._universe_person(person)
            company_name, industry, employees = company.english_name, company.industry, company.employees
            created = max(self.leads.first_seen_ms[pid] + HOUR_MS, self.clock.growing(rng))
            source, place = "Web", Place(company.city.english, None, "China", "+86")
        else:
            company_name, domain, industry = self.own_company_name(self.n_accounts + n)
            names = self._own_person(rng, self.region.person_base + 5_000_000 + n, domain)
            employees = int(rng.lognormvariate(math.log(120), 1.2)) + 3
            created, source = (
                self.clock.growing(rng),
                weighted_choice(rng, LEAD_SOURCES, _LEAD_SOURCE_WEIGHTS),
            )
            place = rng.choice(self.region.places)
        created = min(created, self.timeline.horizon_ms)
        status = weighted_choice(rng, ("open", "working", "unqualified"), (0.3, 0.35, 0.35))
        modified = created
        if status != "open":
            modified = before_horizon(
                rng, created, self.clock.after(rng, created, rng.randrange(1, 30) * DAY_MS), self.timeline
            )
        deleted = None
        if rng.random() < 0.03 and modified < self.timeline.horizon_ms - DAY_MS:
            deleted = before_horizon(
                rng, modified, self.clock.after(rng, modified, 2 * DAY_MS), self.timeline
            )
        return Lead(
            n,
            None,
            *names,
            rng.choice(JOB_TITLES)[1],
            company_name,
            industry,
            employees,
            place,
            rng.choice(self.reps),
            created,
            status,
            source,
            modified,
            deleted,
        )

    # --- deals --------------------------------------------------------------------------------
    def contacts_of_account(self, a: int) -> range:
        return range(a, self.n_contacts, self.n_accounts)

    def contact_of_deal(self, d: int) -> int:
        contacts = self.contacts_of_account(d % self.n_accounts)
        return contacts[(d // self.n_accounts) % len(contacts)]

    def converted_deal_of_contact(self, k: int) -> int | None:
        """The deal a converted lead became: the contact's first deal, created at the conversion."""
        return k if k < self.n_deals else None

    def _deal(self, d: int) -> Deal:
        rng = self.rng("deal", d)
        k = self.contact_of_deal(d)
        contact = self.contact(k)
        account = self.account(contact.account)
        if self.converted_deal_of_contact(k) == d and contact.lead_created_ms is not None:
            created = contact.created_ms
        else:
            delay = int(
                rng.lognormvariate(math.log(20 * DAY_MS if d < self.n_contacts else 90 * DAY_MS), 0.8)
            )
            created = before_horizon(
                rng, contact.created_ms, self.clock.after(rng, contact.created_ms, delay), self.timeline
            )
        pipeline = weighted_choice(rng, range(len(self.shapes)), [w for _, w in self.shapes])
        shape = self.shapes[pipeline][0]
        amount = deal_amount_cny(rng, account.employees) / self.region.per_cny
        amount = max(500, int(round(amount, -2)))
        walk = _Walk(rng, self.clock, shape, created, amount)
        owner = account.owner if rng.random() < 0.85 else rng.choice(self.reps)
        last_change = walk.changes[-1].ms
        last_modified = last_change
        if rng.random() < 0.4:
            last_modified = before_horizon(
                rng, last_change, last_change + rng.randrange(10 * MINUTE_MS, DAY_MS), self.timeline
            )
        deleted = None
        if rng.random() < _DELETE_CHANCE and last_modified < self.timeline.horizon_ms - DAY_MS:
            deleted = before_horizon(
                rng,
                last_modified,
                self.clock.after(rng, last_modified, rng.randrange(1, 30) * DAY_MS),
                self.timeline,
            )
        partner = None
        if last_modified >= self.field_added_ms and rng.random() < 0.4:
            partner = rng.choice(PARTNER_CHANNELS)
        lost = None
        if walk.changes[-1].status == "lost":
            weights = LOST_REASON_WEIGHTS_BY_STAGE[min(4, walk.changes[-1].stage * 5 // shape.n_open)]
            lost = weighted_choice(rng, list(weights), list(weights.values()))
        return Deal(
            index=d,
            account=contact.account,
            contact=k,
            owner=owner,
            pipeline=pipeline,
            created_ms=created,
            changes=tuple(walk.changes),
            lost_category=lost,
            last_modified_ms=last_modified,
            deleted_ms=deleted,
            partner_channel=partner,
            went_backward=walk.went_backward,
            skipped=walk.skipped,
            reopened=walk.reopened,
        )

    def has_partner_field(self, deal: Deal) -> bool:
        """The custom field exists on records last modified on or after the day it was created."""
        return deal.modified_ms // DAY_MS >= self.field_added_ms // DAY_MS


class _Walk:
    """A deal's saves from creation to the horizon: stage moves (some skip a stage, some go back), edits of the
    amount or the expected close date on their own, won or lost, sometimes opened again after closing."""

    def __init__(self, rng: random.Random, clock: TeamClock, shape: WalkShape, created_ms: int, amount: int):
        self.rng, self.clock, self.shape, self.horizon = rng, clock, shape, clock.timeline.horizon_ms
        self.went_backward = self.skipped = self.reopened = False
        stage = 1 if rng.random() < 0.03 else 0
        self.skipped = stage == 1
        close_day = (created_ms + rng.randrange(30, 120) * DAY_MS) // DAY_MS
        self.changes = [Change(created_ms, "create", stage, "open", amount, close_day)]
        stall = 3.0 if rng.random() < 0.15 else 1.0
        while self._step(stall):
            pass

    def _save(self, ms: int, what: str, **state) -> None:
        previous = self.changes[-1]
        values = {"stage": previous.stage, "status": previous.status, "amount": previous.amount}
        values["close_day"] = previous.close_day
        values.update(state)
        self.changes.append(Change(ms, what, **values))

    def _step(self, stall: float) -> bool:
        rng, now, state = self.rng, self.changes[-1].ms, self.changes[-1]
        if state.status != "open":
            if self.reopened or rng.random() >= _REOPEN_CHANCE:
                return False
            moment = self.clock.after(rng, now, rng.randrange(3, 45) * DAY_MS)
            if moment > self.horizon:
                return False
            self.reopened = True
            stage = state.stage if state.status == "lost" else max(0, self.shape.n_open - 2)
            self._save(
                moment,
                "reopen",
                stage=stage,
                status="open",
                close_day=(moment // DAY_MS) + rng.randrange(14, 60),
            )
            return True
        dwell = rng.lognormvariate(math.log(self.shape.dwell_days[state.stage]), 0.6) * stall
        moment = self.clock.after(rng, now, int(dwell * DAY_MS))
        if moment > self.horizon:
            return False
        if moment - now > 2 * HOUR_MS and rng.random() < _AMOUNT_EDIT_CHANCE:
            factor = rng.choice((0.8, 0.9, 1.1, 1.15, 1.25))
            self._save(
                now + (moment - now) // 3, "amount", amount=max(500, int(round(state.amount * factor, -2)))
            )
        if moment - now > 2 * HOUR_MS and rng.random() < _CLOSE_DATE_EDIT_CHANCE:
            slipped = max(self.changes[-1].close_day, moment // DAY_MS) + rng.randrange(7, 45)
            self._save(now + 2 * (moment - now) // 3, "close_date", close_day=slipped)
        if rng.random() < self.shape.lost_chance[state.stage]:
            self._save(moment, "lost", status="lost", close_day=moment // DAY_MS)
            return True
        stage = state.stage + 1
        backward_roll, skip_roll = rng.random(), rng.random()
        if state.stage >= 2 and not self.went_backward and backward_roll < _BACKWARD_CHANCE:
            stage, self.went_backward = state.stage - 1, True
        elif state.stage + 2 < self.shape.n_open and not self.skipped and skip_roll < _SKIP_CHANCE:
            stage, self.skipped = state.stage + 2, True
        if stage >= self.shape.n_open:
            self._save(moment, "won", status="won", close_day=moment // DAY_MS)
        else:
            self._save(moment, "stage", stage=stage)
        return True
