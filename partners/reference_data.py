"""Reference data: NATO members, major non-NATO allies, other partners, organizations, DoD
Components and coordinating offices. Names of nations come from pycountry (ISO 3166-1)."""

# NATO members other than the United States (32 Allies since Sweden joined in March 2024).
NATO_MEMBERS = (
    "ALB",
    "BEL",
    "BGR",
    "CAN",
    "HRV",
    "CZE",
    "DNK",
    "EST",
    "FIN",
    "FRA",
    "DEU",
    "GRC",
    "HUN",
    "ISL",
    "ITA",
    "LVA",
    "LTU",
    "LUX",
    "MNE",
    "NLD",
    "MKD",
    "NOR",
    "POL",
    "PRT",
    "ROU",
    "SVK",
    "SVN",
    "ESP",
    "SWE",
    "TUR",
    "GBR",
)

# Major non-NATO allies designated under 22 USC 2321k (Taiwan is treated as one by statute).
MAJOR_NON_NATO_ALLIES = (
    "ARG",
    "AUS",
    "BHR",
    "BRA",
    "COL",
    "EGY",
    "ISR",
    "JPN",
    "JOR",
    "KEN",
    "KOR",
    "KWT",
    "MAR",
    "NZL",
    "PAK",
    "PHL",
    "QAT",
    "SAU",
    "THA",
    "TUN",
    "TWN",
)

# Friendly countries that are neither (10 USC 2350a "other friendly foreign countries").
OTHER_FRIENDLY = ("IND", "SGP", "CHE", "AUT", "IRL", "UKR", "ARE", "CHL", "MEX", "VNM")

# Short names where ISO's official name reads poorly in a list.
NAME_OVERRIDES = {
    "GBR": "United Kingdom",
    "KOR": "Republic of Korea",
    "TWN": "Taiwan",
    "MKD": "North Macedonia",
    "CZE": "Czechia",
    "TUR": "Türkiye",
    "VNM": "Viet Nam",
}

# (code, name, is_nato_body, is_eu_body). NATO itself and its bodies and agencies count as NATO
# for every rule (AECA §65 eligibility, no "other friendly" congressional wait under 10 USC 2350a).
INTERNATIONAL_ORGANIZATIONS = (
    ("NATO", "North Atlantic Treaty Organization", True, False),
    ("NSPA", "NATO Support and Procurement Agency", True, False),
    ("NCIA", "NATO Communications and Information Agency", True, False),
    ("ACT", "NATO Allied Command Transformation", True, False),
    ("EDA", "European Defence Agency", False, True),
    ("OCCAR", "Organisation for Joint Armament Co-operation", False, False),
)

NATO_BODIES = tuple(code for code, _name, is_nato_body, _eu in INTERNATIONAL_ORGANIZATIONS if is_nato_body)

DOD_ORGANIZATIONS = (
    ("ARMY", "Department of the Army"),
    ("NAVY", "Department of the Navy"),
    ("USAF", "Department of the Air Force"),
    ("USSF", "United States Space Force"),
    ("USMC", "United States Marine Corps"),
    ("MDA", "Missile Defense Agency"),
    ("DARPA", "Defense Advanced Research Projects Agency"),
    ("DTRA", "Defense Threat Reduction Agency"),
    ("DISA", "Defense Information Systems Agency"),
    ("OSD", "Office of the Secretary of Defense"),
)

COORDINATING_OFFICES = (
    ("POLICY", "OUSD(Policy)", True),
    ("OGC", "DoD General Counsel", True),
    ("COMPT", "OUSD(Comptroller)", True),
    ("DTSA", "Defense Technology Security Administration", True),
    ("IPO", "Component International Programs Office", True),
    ("STATE", "Department of State (PM)", False),
)
# Offices whose coordinators decide DDL / TS&FD reviews (set when the office is first created; an
# administrator may flag others in the admin).
DISCLOSURE_OFFICES = ("DTSA",)
