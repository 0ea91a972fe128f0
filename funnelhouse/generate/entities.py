"""Companies and people, each rebuilt on demand from its number so nothing large is kept in memory."""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache

from .timeline import seeded_rng, weighted_choice
from .vocab import (
    BRAND_FIRST,
    BRAND_SECOND,
    CITIES,
    ENGLISH_GIVEN_NAMES,
    GIVEN_CHARS,
    INDUSTRIES,
    JOB_TITLES,
    LEGAL_FORMS,
    SIZE_BANDS,
    SURNAMES,
    City,
    Industry,
    SizeBand,
)

# Person numbers ("global ids") live in disjoint ranges so that phones and e-mails never collide by accident.
LEAD_PERSON_BASE = 0
CRM_ONLY_PERSON_BASE = 20_000_000
EAST_SHEET_PERSON_BASE = 40_000_000
SOUTH_SHEET_PERSON_BASE = 50_000_000
ENGLISH_SHEET_PERSON_BASE = 60_000_000

_NAME_SPACE = len(BRAND_FIRST) * len(BRAND_SECOND) * len(INDUSTRIES) * 4 * len(CITIES) * len(LEGAL_FORMS)
_NAME_PERMUTATION = 7_919  # prime, coprime with _NAME_SPACE: company numbers map to distinct names
_COMPANY_OF_LEAD_MULTIPLIER = 2_147_483_647  # prime larger than any company count: an invertible mapping
_MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "177",
    "180",
    "181",
    "182",
    "183",
    "186",
    "187",
    "188",
    "189",
    "198",
    "199",
)
# Free-mail domains per person-number range (number // 10M), so "pinyin + number" addresses never collide.
_FREE_MAIL_BY_RANGE = {
    0: ("163.com", "126.com", "qq.com"),
    2: ("sina.com", "outlook.com"),
    4: ("139.com", "yeah.net"),
    5: ("foxmail.com", "aliyun.com"),
    6: ("gmail.com", "hotmail.com"),
}


@dataclass(frozen=True)
class Company:
    number: int
    name: str  # 上海华信软件有限公司
    short_name: str  # 华信软件
    english_name: str  # Shanghai Huaxin Software Co., Ltd.
    domain: str
    city: City
    industry: Industry
    size: SizeBand
    employees: int


@dataclass(frozen=True)
class Person:
    number: int  # global person number
    surname: str
    given: str
    surname_pinyin: str
    given_pinyin: str
    english_given: str
    email: str
    mobile: str  # 11 digits
    landline: str  # area code + 8 digits, e.g. 02162345678
    area_code: str
    title_zh: str
    title_en: str
    company_number: int
    is_junk: bool  # test/garbage submissions ("测试", test@test.com)

    @property
    def full_name(self) -> str:
        return self.surname + self.given

    @property
    def pinyin_name(self) -> str:
        """Wei Zhang (how the English-speaking team writes Chinese names)."""
        return f"{self.given_pinyin.capitalize()} {self.surname_pinyin.capitalize()}"


class Universe:
    """The fixed population: `n_companies` companies; lead person `pid` works at company_of_lead(pid)."""

    def __init__(self, seed: int, n_companies: int):
        self.seed = seed
        self.n_companies = n_companies
        self._lead_offset = seeded_rng(seed, "lead-offset").randrange(n_companies)
        self._lead_inverse = pow(_COMPANY_OF_LEAD_MULTIPLIER, -1, n_companies) if n_companies > 1 else 0
        self.company = lru_cache(maxsize=8192)(self._build_company)

    # --- companies -------------------------------------------------------------------------------
    def _build_company(self, number: int) -> Company:
        rng = seeded_rng(self.seed, "company", number)
        code = (number * _NAME_PERMUTATION + self.seed) % _NAME_SPACE
        code, first = divmod(code, len(BRAND_FIRST))
        code, second = divmod(code, len(BRAND_SECOND))
        code, industry_index = divmod(code, len(INDUSTRIES))
        code, word_index = divmod(code, 4)
        code, city_index = divmod(code, len(CITIES))
        form_index = code % len(LEGAL_FORMS)
        industry, city = INDUSTRIES[industry_index], CITIES[city_index]
        word_zh, word_en, token = industry.name_words[word_index]
        form_zh, form_en, tld = LEGAL_FORMS[form_index]
        brand = BRAND_FIRST[first][0] + BRAND_SECOND[second][0]
        brand_pinyin = BRAND_FIRST[first][1] + BRAND_SECOND[second][1]
        size = weighted_choice(rng, SIZE_BANDS, _SIZE_WEIGHTS)
        return Company(
            number=number,
            name=f"{city.name}{brand}{word_zh}{form_zh}",
            short_name=f"{brand}{word_zh}",
            english_name=f"{city.english} {brand_pinyin.capitalize()} {word_en} {form_en}",
            domain=f"{brand_pinyin}{token}-{city.abbr}{tld}",
            city=city,
            industry=industry,
            size=size,
            employees=rng.randint(size.low, size.high),
        )

    def company_of_lead(self, pid: int) -> int:
        return (pid * _COMPANY_OF_LEAD_MULTIPLIER + self._lead_offset) % self.n_companies

    def lead_persons_of_company(self, company_number: int, lead_count: int, limit: int = 4) -> list[int]:
        """The first few lead person numbers (in time order) who work at the company."""
        first = ((company_number - self._lead_offset) * self._lead_inverse) % self.n_companies
        return list(range(first, lead_count, self.n_companies))[:limit]

    # --- people ----------------------------------------------------------------------------------
    def person(self, number: int, company_number: int) -> Person:
        rng = seeded_rng(self.seed, "person", number)
        surname, surname_pinyin = weighted_choice(rng, SURNAMES, _SURNAME_WEIGHTS)
        chars = [rng.choice(GIVEN_CHARS) for _ in range(1 if rng.random() < 0.3 else 2)]
        given, given_pinyin = "".join(c[0] for c in chars), "".join(c[1] for c in chars)
        company = self.company(company_number)
        title_zh, title_en = rng.choice(JOB_TITLES)
        is_junk = number < CRM_ONLY_PERSON_BASE and rng.random() < 0.01
        if is_junk:
            surname, given, surname_pinyin, given_pinyin = "测", "试", "ce", "shi"
        return Person(
            number=number,
            surname=surname,
            given=given,
            surname_pinyin=surname_pinyin,
            given_pinyin=given_pinyin,
            english_given=rng.choice(ENGLISH_GIVEN_NAMES),
            email="test@test.com" if is_junk else _email(rng, number, surname_pinyin, given_pinyin, company),
            mobile=_mobile(rng, number),
            landline=company.city.area_code + str(rng.randint(52_000_000, 89_999_999)),
            area_code=company.city.area_code,
            title_zh=title_zh,
            title_en=title_en,
            company_number=company_number,
            is_junk=is_junk,
        )

    def lead_person(self, pid: int) -> Person:
        return self.person(LEAD_PERSON_BASE + pid, self.company_of_lead(pid))


_SURNAME_WEIGHTS = tuple(max(1.0, 12.0 - i * 0.12) for i in range(len(SURNAMES)))
_SIZE_WEIGHTS = tuple(b.weight for b in SIZE_BANDS)


def _email(rng: random.Random, number: int, surname: str, given: str, company: Company) -> str:
    style = rng.random()
    if style < 0.45:
        local = rng.choice(
            (f"{given}.{surname}", f"{surname}{given[0]}", f"{surname}.{given}", f"{given}{surname}")
        )
        return f"{local}@{company.domain}"
    if style < 0.62:
        return f"{1_000_000_000 + (number * 48_271) % 1_000_000_000}@qq.com"
    domain = rng.choice(_FREE_MAIL_BY_RANGE.get(number // 10_000_000, ("163.com",)))
    return f"{surname}{given}{number % 10_000_000}@{domain}"


def _mobile(rng: random.Random, number: int) -> str:
    return rng.choice(_MOBILE_PREFIXES) + f"{(number * 48_271_393 + 13_579_246) % 100_000_000:08d}"


# --- how people write phones and e-mails ----------------------------------------------------------
def mobile_in_typed_format(rng: random.Random, mobile: str) -> str:
    """+86 138 0013 8000 | 13800138000 | 138-0013-8000 | +8613800138000 | 138 0013 8000."""
    a, b, c = mobile[:3], mobile[3:7], mobile[7:]
    return weighted_choice(
        rng,
        (
            f"+86 {a} {b} {c}",
            mobile,
            f"{a}-{b}-{c}",
            f"+86{mobile}",
            f"{a} {b} {c}",
            f"86-{mobile}",
        ),
        (0.15, 0.45, 0.15, 0.1, 0.1, 0.05),
    )


def landline_in_typed_format(rng: random.Random, landline: str, area_code: str) -> str:
    """(021) 6234 5678 | 021-62345678."""
    local = landline[len(area_code) :]
    if rng.random() < 0.5:
        return f"({area_code}) {local[:4]} {local[4:]}"
    return f"{area_code}-{local}"


def invalid_phone(rng: random.Random, mobile: str) -> str:
    return rng.choice((mobile[:7], "n/a", "无", mobile[:10], "待补充"))


def messy_phone(
    rng: random.Random, person: Person, invalid_rate: float = 0.04, landline_rate: float = 0.1
) -> str:
    """A phone as someone types it into a free-text field: mostly mobile, some landlines, a few invalid."""
    roll = rng.random()
    if roll < invalid_rate:
        return invalid_phone(rng, person.mobile)
    if roll < invalid_rate + landline_rate:
        return landline_in_typed_format(rng, person.landline, person.area_code)
    return mobile_in_typed_format(rng, person.mobile)


def messy_email(rng: random.Random, email: str) -> str:
    """Sometimes upper-cased or padded with spaces, as typed into forms."""
    roll = rng.random()
    if roll < 0.06:
        return email.upper()
    if roll < 0.10:
        return email[0].upper() + email[1:]
    if roll < 0.15:
        return f" {email} " if rng.random() < 0.5 else f"{email} "
    return email
