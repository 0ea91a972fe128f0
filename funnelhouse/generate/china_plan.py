"""A China team's CRM account on the vendor-neutral plan (vendor_plan.VendorPlan): the same users, accounts,
people, leads and deal walks, with 中文 names, companies and cities, CNY amounts, and the universe's Chinese people
and companies (their names, e-mails and mobiles) where it has them, so identities overlap the Chinese sheets and
forms. Rendered as a fxiaoke (纷享销客) tenant by fxiaoke.py.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from .entities import Company, Person, Universe
from .forms import LeadIndex
from .timeline import Timeline
from .vendor_plan import User, VendorPlan, WalkShape
from .vendor_vocab import Place, Region
from .vocab import GIVEN_CHARS, INDUSTRIES, SURNAMES, Industry

OWN_COMPANY_BASE = 8_000_000  # company numbers of the team's own market: names no universe company has
_SURNAMES = SURNAMES[:30]
_GIVEN = tuple(GIVEN_CHARS[i][0] + GIVEN_CHARS[(i * 7 + 3) % len(GIVEN_CHARS)][0] for i in range(30))
PINYIN = {**dict(SURNAMES), **dict(GIVEN_CHARS)}

CHINA = Region(
    key="fxiaoke",
    utc_offset_hours=8,
    currency="CNY",
    per_cny=1.0,
    places=(
        Place("上海", None, "中国", "+86 21"),
        Place("北京", None, "中国", "+86 10"),
        Place("深圳", None, "中国", "+86 755"),
        Place("杭州", None, "中国", "+86 571"),
        Place("广州", None, "中国", "+86 20"),
        Place("成都", None, "中国", "+86 28"),
        Place("南京", None, "中国", "+86 25"),
        Place("武汉", None, "中国", "+86 27"),
    ),
    legal_forms=("有限公司",),
    tld=".cn",
    given_names=_GIVEN,
    surnames=tuple(s for s, _ in _SURNAMES),
    person_base=92_000_000,
    user_domain="fh-demo.cn",
)


def pinyin(chinese: str) -> str:
    """张伟 → zhangwei (characters outside the vocabulary are left out)."""
    return "".join(PINYIN.get(ch, "") for ch in chinese)


class ChineseUniverse:
    """The shared universe as a Chinese team sees it: a company's name and city in 中文 where the plan reads the
    English ones."""

    def __init__(self, universe: Universe):
        self.real, self.n_companies = universe, universe.n_companies
        self.company = lru_cache(maxsize=16_384)(self._company)

    def _company(self, number: int) -> Company:
        company = self.real.company(number)
        return replace(company, english_name=company.name, city=company.city._replace(english=company.city.name))

    def __getattr__(self, name: str):
        return getattr(self.real, name)


class ChinaPlan(VendorPlan):
    """VendorPlan with Chinese people: given name, surname, e-mail and 11-digit mobile as Chinese CRMs keep them."""

    def __init__(self, seed: int, universe: Universe, timeline: Timeline, leads: LeadIndex,
                 sizes: tuple[int, int, int, int, int], shapes: tuple[tuple[WalkShape, float], ...]):
        super().__init__(seed, CHINA, ChineseUniverse(universe), timeline, leads, sizes, shapes)  # type: ignore[arg-type]

    def _user(self, i: int, count: int) -> User:
        user = super()._user(i, count)
        email = f"{pinyin(user.last_name)}.{pinyin(user.first_name)}{i + 1}@{self.region.user_domain}"
        return replace(user, email=email)

    @staticmethod
    def _universe_person(person: Person) -> tuple[str, str, str, str]:
        return person.given, person.surname, person.email, person.mobile

    def _own_person(self, rng, number: int, domain: str) -> tuple[str, str, str, str]:
        person = self.universe.real.person(number, 0)  # a name and a mobile; the e-mail is of the own company
        return person.given, person.surname, f"{person.surname_pinyin}.{person.given_pinyin}@{domain}", person.mobile

    def own_company(self, number: int) -> Company:
        """A company of the team's own market (never in the universe's forms): 中文 name, domain, city."""
        return self.universe.real.company(OWN_COMPANY_BASE + number)

    def own_company_name(self, number: int) -> tuple[str, str, Industry]:
        company = self.own_company(number)
        return company.name, company.domain, next(i for i in INDUSTRIES if i.key == company.industry.key)
