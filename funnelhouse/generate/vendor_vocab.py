"""Names, places and phone styles of the sales teams outside China (two US teams, a European team)."""

from __future__ import annotations

import unicodedata
from typing import NamedTuple


class Place(NamedTuple):
    city: str
    state: str | None
    country: str
    phone_prefix: str  # country and area code as people dial it


class Region(NamedTuple):
    """A sales team outside China: where it works, in which currency, whom it sells to."""

    key: str  # the seeded-rng namespace, so no other output changes
    utc_offset_hours: int  # office hours of the team
    currency: str
    per_cny: float  # how many CNY one unit of `currency` is worth (deal sizes come from the CNY sizes)
    places: tuple[Place, ...]
    legal_forms: tuple[str, ...]
    tld: str
    given_names: tuple[str, ...]
    surnames: tuple[str, ...]
    person_base: int  # person numbers of this team's own people, apart from every other source's
    user_domain: str


BRANDS: tuple[str, ...] = (
    "Summit",
    "Northwind",
    "Bluewater",
    "Redwood",
    "Granite",
    "Harbor",
    "Keystone",
    "Pioneer",
    "Cascade",
    "Silverline",
    "Beacon",
    "Evergreen",
    "Ironbridge",
    "Lakeshore",
    "Meridian",
    "Oakridge",
    "Pinnacle",
    "Quantum",
    "Riverbend",
    "Skyline",
    "Trailhead",
    "Vantage",
    "Westbrook",
    "Brightpath",
    "Clearwater",
    "Falcon",
    "Horizon",
    "Juniper",
    "Kestrel",
    "Lumen",
    "Nordic",
    "Orbit",
    "Polaris",
    "Sterling",
    "Tidal",
    "Union",
    "Vertex",
    "Willow",
    "Zenith",
    "Atlas",
)
# (word, industry key of vocab.INDUSTRIES)
SECTOR_WORDS: tuple[tuple[str, str], ...] = (
    ("Software", "software"),
    ("Systems", "software"),
    ("Analytics", "software"),
    ("Logistics", "logistics"),
    ("Manufacturing", "manufacturing"),
    ("Health", "healthcare"),
    ("Retail", "retail"),
    ("Capital", "finance"),
    ("Learning", "education"),
    ("Motors", "automotive"),
    ("Properties", "realestate"),
    ("Commerce", "ecommerce"),
    ("Foods", "consumer"),
    ("Labs", "healthcare"),
    ("Networks", "software"),
    ("Industries", "manufacturing"),
)
NAME_ENDINGS: tuple[str, ...] = (
    "",
    " Group",
    " Partners",
    " Solutions",
    " Technologies",
    " Works",
    " Global",
    " Digital",
)

US = Region(
    key="salesforce",
    utc_offset_hours=-5,
    currency="USD",
    per_cny=7.1,
    places=(
        Place("New York", "NY", "United States", "+1 212"),
        Place("San Francisco", "CA", "United States", "+1 415"),
        Place("Austin", "TX", "United States", "+1 512"),
        Place("Chicago", "IL", "United States", "+1 312"),
        Place("Boston", "MA", "United States", "+1 617"),
        Place("Seattle", "WA", "United States", "+1 206"),
        Place("Denver", "CO", "United States", "+1 303"),
        Place("Atlanta", "GA", "United States", "+1 404"),
    ),
    legal_forms=("Inc.", "LLC", "Corp.", "Co."),
    tld=".com",
    given_names=(
        "James",
        "Mary",
        "Robert",
        "Patricia",
        "John",
        "Jennifer",
        "Michael",
        "Linda",
        "David",
        "Elizabeth",
        "William",
        "Barbara",
        "Richard",
        "Susan",
        "Joseph",
        "Jessica",
        "Thomas",
        "Sarah",
        "Chris",
        "Karen",
        "Daniel",
        "Nancy",
        "Matthew",
        "Lisa",
        "Anthony",
        "Betty",
        "Mark",
        "Ashley",
        "Steven",
        "Emily",
    ),
    surnames=(
        "Smith",
        "Johnson",
        "Williams",
        "Brown",
        "Jones",
        "Miller",
        "Davis",
        "Garcia",
        "Rodriguez",
        "Wilson",
        "Martinez",
        "Anderson",
        "Taylor",
        "Thomas",
        "Moore",
        "Jackson",
        "Martin",
        "Lee",
        "Thompson",
        "White",
        "Harris",
        "Clark",
        "Lewis",
        "Walker",
        "Hall",
        "Young",
        "King",
        "Wright",
        "Scott",
        "Green",
    ),
    person_base=70_000_000,
    user_domain="fh-demo-us.com",
)
EUROPE = Region(
    key="pipedrive",
    utc_offset_hours=1,
    currency="EUR",
    per_cny=7.8,
    places=(
        Place("Berlin", None, "Germany", "+49 30"),
        Place("Munich", None, "Germany", "+49 89"),
        Place("Amsterdam", None, "Netherlands", "+31 20"),
        Place("Paris", None, "France", "+33 1"),
        Place("Lyon", None, "France", "+33 4"),
        Place("Madrid", None, "Spain", "+34 91"),
        Place("Milan", None, "Italy", "+39 02"),
        Place("Stockholm", None, "Sweden", "+46 8"),
        Place("Vienna", None, "Austria", "+43 1"),
        Place("Dublin", None, "Ireland", "+353 1"),
    ),
    legal_forms=("GmbH", "B.V.", "SAS", "S.L.", "S.r.l.", "AB", "Ltd"),
    tld=".eu",
    given_names=(
        "Lukas",
        "Anna",
        "Jan",
        "Sophie",
        "Pierre",
        "Marie",
        "Marco",
        "Giulia",
        "Sven",
        "Ingrid",
        "Pablo",
        "Lucía",
        "Thomas",
        "Emma",
        "Noah",
        "Léa",
        "Matteo",
        "Elena",
        "Felix",
        "Clara",
        "Daan",
        "Sanne",
        "Oskar",
        "Freja",
        "Seán",
        "Aoife",
        "Jonas",
        "Laura",
        "Hugo",
        "Chloé",
    ),
    surnames=(
        "Müller",
        "Schmidt",
        "Schneider",
        "Fischer",
        "Weber",
        "de Vries",
        "Jansen",
        "Bakker",
        "Dubois",
        "Martin",
        "Bernard",
        "Moreau",
        "García",
        "Fernández",
        "López",
        "Rossi",
        "Russo",
        "Bianchi",
        "Johansson",
        "Andersson",
        "Nilsson",
        "Gruber",
        "Huber",
        "Murphy",
        "Kelly",
        "Novak",
        "Keller",
        "Wagner",
        "Laurent",
        "Conti",
    ),
    person_base=80_000_000,
    user_domain="fh-demo.eu",
)
# The Zoho team: US sellers in Chicago (Central time), their own seeded streams and people apart from the others'.
ZOHO_US = US._replace(key="zoho", utc_offset_hours=-6, person_base=87_000_000, user_domain="fh-demo-zoho.com")


def ascii_token(text: str) -> str:
    """müller → muller, de Vries → devries: the part of a name that goes into an e-mail address."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(ch for ch in folded.lower() if ch.isalnum())
