"""The demo world's data tables: geography, how components split the work, activity kinds and their
partners. Plain data and their parsers; service.ops.seed.demo_world draws the world from them."""

from __future__ import annotations

from dataclasses import dataclass

# code|name|capital;other cities (an indented line continues the list), in order of DHS presence,
# so that a small world keeps the big posts.
GEOGRAPHY = """MX|Mexico|Mexico City;Tijuana;Ciudad Juarez;Monterrey;Guadalajara
  Nuevo Laredo;Matamoros;Nogales;Hermosillo;Merida
CA|Canada|Ottawa;Toronto;Montreal;Vancouver;Calgary;Halifax;Winnipeg
GT|Guatemala|Guatemala City
HN|Honduras|Tegucigalpa
SV|El Salvador|San Salvador
CO|Colombia|Bogota;Cartagena
PA|Panama|Panama City
DO|Dominican Republic|Santo Domingo
GB|United Kingdom|London;Belfast;Edinburgh
NL|Netherlands|The Hague;Amsterdam
DE|Germany|Berlin;Frankfurt;Munich;Hamburg
BE|Belgium|Brussels
FR|France|Paris;Marseille
IT|Italy|Rome;Milan;Naples
ES|Spain|Madrid;Barcelona
CN|China|Beijing;Shanghai;Guangzhou;Shenyang
HK|Hong Kong|Hong Kong
JP|Japan|Tokyo;Osaka;Naha
KR|South Korea|Seoul;Busan
SG|Singapore|Singapore
AE|United Arab Emirates|Abu Dhabi;Dubai
SA|Saudi Arabia|Riyadh;Jeddah;Dhahran
IN|India|New Delhi;Mumbai;Chennai;Kolkata;Hyderabad
PK|Pakistan|Islamabad;Karachi;Lahore
IQ|Iraq|Baghdad;Erbil
AF|Afghanistan|Kabul
IL|Israel|Jerusalem;Tel Aviv
JO|Jordan|Amman
EG|Egypt|Cairo
TR|Turkey|Ankara;Istanbul
GR|Greece|Athens;Thessaloniki
BR|Brazil|Brasilia;Sao Paulo;Rio de Janeiro
AR|Argentina|Buenos Aires
CL|Chile|Santiago
PE|Peru|Lima
EC|Ecuador|Quito;Guayaquil
CR|Costa Rica|San Jose
NI|Nicaragua|Managua
BZ|Belize|Belmopan
JM|Jamaica|Kingston
BS|Bahamas|Nassau
HT|Haiti|Port-au-Prince
BB|Barbados|Bridgetown
TT|Trinidad and Tobago|Port of Spain
IE|Ireland|Dublin;Shannon
CH|Switzerland|Bern;Geneva
AT|Austria|Vienna
PL|Poland|Warsaw;Krakow
PT|Portugal|Lisbon;Ponta Delgada
DK|Denmark|Copenhagen
SE|Sweden|Stockholm
NO|Norway|Oslo
FI|Finland|Helsinki
CZ|Czechia|Prague
HU|Hungary|Budapest
RO|Romania|Bucharest
BG|Bulgaria|Sofia
UA|Ukraine|Kyiv
RU|Russia|Moscow
PH|Philippines|Manila
TH|Thailand|Bangkok;Chiang Mai
VN|Vietnam|Hanoi;Ho Chi Minh City
ID|Indonesia|Jakarta;Surabaya
MY|Malaysia|Kuala Lumpur
AU|Australia|Canberra;Sydney;Melbourne;Perth
NZ|New Zealand|Wellington;Auckland
QA|Qatar|Doha
KW|Kuwait|Kuwait City
BH|Bahrain|Manama
LB|Lebanon|Beirut
MA|Morocco|Rabat;Casablanca
TN|Tunisia|Tunis
DZ|Algeria|Algiers
NG|Nigeria|Abuja;Lagos
GH|Ghana|Accra
KE|Kenya|Nairobi
ZA|South Africa|Pretoria;Johannesburg;Cape Town
ET|Ethiopia|Addis Ababa
SN|Senegal|Dakar"""
PRECLEARANCE = {"Toronto", "Montreal", "Vancouver", "Calgary", "Ottawa", "Winnipeg", "Halifax"}
PRECLEARANCE |= {"Dublin", "Shannon", "Abu Dhabi", "Nassau"}
MISSIONS = {"Brussels": "the European Union", "Geneva": "the United Nations", "Vienna": "the OSCE"}

# Share of officials by component (roughly the 2008 picture: CBP, ICE and USCG hold most of them).
COMPONENT_WEIGHTS = {"CBP": 30, "ICE": 22, "USCG": 14, "TSA": 7, "USSS": 6, "USCIS": 5, "OIA": 2.5}
COMPONENT_WEIGHTS |= {"CISA": 2.5, "FLETC": 2, "FEMA": 1.5, "I&A": 1.5, "S&T": 1, "CWMD": 1, "OBIM": 1}
COMPONENT_WEIGHTS |= {"PLCY": 1, "MGMT": 1, "OPS": 0.5, "OHS": 0.5, "OGC": 0.3, "CRCL": 0.3, "PRIV": 0.2}

# type|weight|lead components|goals|partner types|title templates (on the indented lines)
ACTIVITY_TABLE = """law_enforcement_liaison|14|ICE CBP USSS USCG|QHSR23-M1|law_enforcement|
  Law enforcement liaison with {partner};Attaché liaison office, {city}
investigation|12|ICE USSS CBP|QHSR23-M1 QHSR23-M6|law_enforcement customs|
  Transnational criminal organization investigations, {country};Human smuggling investigations, {city}
  Financial crimes task force with {partner}
cargo_prescreening|8|CBP ICE TSA|QHSR23-M2|customs private_sector|
  Container Security Initiative, port of {city};Air cargo advance screening, {city}
traveler_prescreening|8|CBP TSA ICE|QHSR23-M2|immigration border aviation|
  Immigration Advisory Program, {city} airport;Joint Security Program, {city}
aviation_security|6|TSA CBP|QHSR23-M1|aviation|
  Last point of departure airport assessment, {city};Aviation security capacity building, {country}
maritime_security|7|USCG CBP|QHSR23-M2|maritime|
  Port security assessment (ISPS Code), {country};Shiprider cooperation with {partner}
critical_infrastructure|3|CISA USCG S&T|QHSR23-M4|ministry private_sector|
  Critical infrastructure resilience exchange, {country}
cybersecurity|5|CISA USSS ICE|QHSR23-M4|law_enforcement ministry|
  Cyber incident response cooperation with {partner};Cybercrime investigations, {country}
training_technical_assistance|12|FLETC CBP USCG ICE TSA|QHSR23-M2|border law_enforcement customs|
  Border security training for {partner};Law enforcement leadership course, {city}
information_sharing|7|I&A OBIM ICE CBP|QHSR23-M1|immigration law_enforcement|
  Biometric information sharing with {partner};Criminal history information sharing, {country}
immigration_services|5|USCIS ICE|QHSR23-M3|immigration international_org|
  Refugee processing support, {city};Immigration services field office, {city}
disaster_assistance|2|FEMA USCG|QHSR23-M5|ministry|
  Disaster preparedness exchange with {partner}
research_cooperation|3|S&T CWMD|QHSR23-M1 QHSR23-M4|ministry|
  Joint research on detection technology with {partner}
policy_dialogue|5|PLCY OIA||ministry|
  Homeland security dialogue with {country}
other|3|OIA MGMT OHS CRCL PRIV OPS||ministry|
  Program review, {city}"""
PARTNER_NAMES = {
    "law_enforcement": "National Police of {name}",
    "customs": "{name} Customs Administration",
    "immigration": "{name} Immigration Service",
    "border": "{name} Border Guard",
    "aviation": "{name} Civil Aviation Authority",
    "maritime": "{name} Coast Guard",
    "ministry": "Ministry of the Interior of {name}",
    "private_sector": "{name} Port Operators Association",
}
ROLES = ["component_attache", "liaison_officer", "technical_advisor", "program_officer"]
ANNUAL_COST = {
    "us_direct_hire": 600_000,
    "locally_employed": 80_000,
    "us_contractor": 240_000,
    "tdy": 100_000,
}
INTERNATIONAL = [("INTERPOL", "FR"), ("World Customs Organization", "BE"), ("UNHCR", "CH"), ("Europol", "NL")]


@dataclass(frozen=True)
class ActivityType:
    weight: int
    leads: list[str]
    goals: list[str]
    partner_types: list[str]
    titles: list[str]


def records(table: str) -> list[list[str]]:
    """`|`-separated lines; an indented line continues the last field of the line above (`;` lists)."""
    records: list[list[str]] = []
    for line in table.splitlines():
        if line.startswith(" "):
            last = records[-1]
            last[-1] = ";".join(filter(None, [last[-1], line.strip()]))
        else:
            records.append(line.split("|"))
    return records


ACTIVITY_TYPES = {
    kind: ActivityType(int(weight), leads.split(), goals.split(), partners.split(), titles.split(";"))
    for kind, weight, leads, goals, partners, titles in records(ACTIVITY_TABLE)
}
