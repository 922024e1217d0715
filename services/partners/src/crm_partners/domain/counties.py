"""The 41 counties (judete) of Romania and the Municipality of Bucharest, by name or car-plate code."""

from __future__ import annotations

from crm_partners.domain.text import fold

COUNTIES: dict[str, str] = {
    "AB": "Alba",
    "AR": "Arad",
    "AG": "Argeș",
    "BC": "Bacău",
    "BH": "Bihor",
    "BN": "Bistrița-Năsăud",
    "BT": "Botoșani",
    "BV": "Brașov",
    "BR": "Brăila",
    "BZ": "Buzău",
    "CS": "Caraș-Severin",
    "CL": "Călărași",
    "CJ": "Cluj",
    "CT": "Constanța",
    "CV": "Covasna",
    "DB": "Dâmbovița",
    "DJ": "Dolj",
    "GL": "Galați",
    "GR": "Giurgiu",
    "GJ": "Gorj",
    "HR": "Harghita",
    "HD": "Hunedoara",
    "IL": "Ialomița",
    "IS": "Iași",
    "IF": "Ilfov",
    "MM": "Maramureș",
    "MH": "Mehedinți",
    "MS": "Mureș",
    "NT": "Neamț",
    "OT": "Olt",
    "PH": "Prahova",
    "SM": "Satu Mare",
    "SJ": "Sălaj",
    "SB": "Sibiu",
    "SV": "Suceava",
    "TR": "Teleorman",
    "TM": "Timiș",
    "TL": "Tulcea",
    "VS": "Vaslui",
    "VL": "Vâlcea",
    "VN": "Vrancea",
    "B": "București",
}
"""Car-plate code -> official name, with Romanian letters."""

_BY_KEY: dict[str, str] = {}
for _code, _name in COUNTIES.items():
    _BY_KEY[fold(_name)] = _name
    _BY_KEY[fold(_name).replace("-", " ")] = _name
    _BY_KEY[_code.lower()] = _name
_BY_KEY["bucuresti municipiul"] = _BY_KEY["municipiul bucuresti"] = _BY_KEY["mun. bucuresti"] = "București"
_BY_KEY["bucharest"] = "București"


class UnknownCounty(ValueError):
    """A county name that is none of the 41 counties nor Bucharest."""


def county_name(raw: str) -> str:
    """The official name of a county given its name (with or without diacritics) or plate code.

    Raises:
        UnknownCounty: no such county.
    """
    key = fold(raw)
    name = _BY_KEY.get(key) or _BY_KEY.get(key.replace("-", " "))
    if name is None:
        raise UnknownCounty(f"unknown county {raw.strip()!r}: use one of the 41 counties or București")
    return name
