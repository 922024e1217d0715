"""Romania's counties (județe) and Bucharest, as the forms and filters offer them to choose from.

The partners service keeps the same list (``crm_partners.domain.counties``) and checks a partner's county
against it; a filter sends the chosen name, which the services compare without case or diacritics.
"""

COUNTIES = (
    "Alba", "Arad", "Argeș", "Bacău", "Bihor", "Bistrița-Năsăud", "Botoșani", "Brașov", "Brăila", "București",
    "Buzău", "Caraș-Severin", "Călărași", "Cluj", "Constanța", "Covasna", "Dâmbovița", "Dolj", "Galați", "Giurgiu",
    "Gorj", "Harghita", "Hunedoara", "Ialomița", "Iași", "Ilfov", "Maramureș", "Mehedinți", "Mureș", "Neamț", "Olt",
    "Prahova", "Satu Mare", "Sălaj", "Sibiu", "Suceava", "Teleorman", "Timiș", "Tulcea", "Vaslui", "Vâlcea",
    "Vrancea",
)  # fmt: skip
"""The 41 counties and București, in alphabetical order."""
