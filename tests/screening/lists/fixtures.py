"""Small list files the tests write themselves (no third-party file is copied), and the path
of the real lists in the shared data folder."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

SANCTIONS = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "sanctions"


def real(*parts: str) -> Path:
    """A file or folder of the real lists, or skip when the shared data is not here."""
    path = SANCTIONS.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared sanctions data not present ({path.name})")
    return path


def ofac_line(*cells: str | int | None) -> str:
    """A row as OFAC writes it: numbers bare, text in double quotes, ``-0- `` for empty."""
    out: list[str] = []
    for cell in cells:
        if cell is None:
            out.append("-0- ")
        elif isinstance(cell, int):
            out.append(str(cell))
        else:
            out.append('"' + cell.replace('"', '""') + '"')
    return ",".join(out)


def sdn_row(
    ent: int,
    name: str,
    kind: str | None = None,
    program: str = "SDGT",
    remarks: str | None = None,
    *,
    title: str | None = None,
    flag: str | None = None,
) -> str:
    return ofac_line(ent, name, kind, program, title, None, None, None, None, flag, None, remarks)


PERSON_REMARKS = (
    "DOB 01 Jan 1960; alt. DOB circa 1962; alt. DOB 1970 to 1972; POB Tehran, Iran; "
    "nationality Iran; citizen Korea, North; Gender Male; Passport A1234567 (Iran) issued "
    "01 Jan 2010; National ID No. 123-456 789 (Syria); Tax ID No. 99.88.77; Phone Number "
    "+98 21 5550000; Email Address someone@example.com; a.k.a. 'JD'; a.k.a. 'JOHNNY'; "
    "Linked To: ACME TRADING, S.A. DE C.V.; Linked To: OTHER CO."
)


def sdn_folder(
    folder: Path,
    *,
    extra_sdn: Sequence[str] = (),
    comments: str | None = None,
    encoding: str = "utf-8",
) -> Path:
    """An SDN folder: a person, a company, a vessel, an aircraft and what belongs to them."""
    folder.mkdir(parents=True, exist_ok=True)
    sdn = [
        sdn_row(10, "DOE, John", "individual", "SDGT] [IRAN", PERSON_REMARKS, title="Minister"),
        sdn_row(
            20, "ACME TRADING, S.A. DE C.V.", None, "SDNTK", "Registration ID 5551234 (Mexico)."
        ),
        sdn_row(
            30,
            "SEA STAR",
            "vessel",
            "IRAN",
            "Vessel Registration Identification IMO 9187629; MMSI 572469210; "
            "Former Vessel Flag Tanzania; Linked To: ACME TRADING, S.A. DE C.V.",
            flag="Panama",
        ),
        sdn_row(
            40,
            "EP-ABC",
            "aircraft",
            "IRAN",
            "Aircraft Manufacturer's Serial Number (MSN) 1023409321; Aircraft Model IL76-TD",
        ),
        sdn_row(50, "MÜLLER, Jürgen", "individual", "SDGT", "DOB 05 May 1955; nationality Germany"),
        *extra_sdn,
    ]
    alt = [
        ofac_line(10, 1, "aka", "DOE, Johnny", None),
        ofac_line(10, 2, "fka", "SMITH, John", None),
        ofac_line(20, 3, "aka", "ACME", "weak alias"),
        ofac_line(20, 4, "nka", "ACME GLOBAL", None),
        ofac_line(50, 5, "aka", "MUELLER, Juergen", None),
    ]
    add = [
        ofac_line(10, 1, "Street 1", "Tehran", "Iran", None),
        ofac_line(20, 2, "Calle 5 No. 10", "Mexico City", "Mexico", None),
        ofac_line(20, 3, None, None, "Korea, North", None),
        ofac_line(30, 4, None, None, None, None),
        ofac_line(50, 5, None, "Berlin", "Germany", None),
    ]
    files = {"sdn.csv": sdn, "alt.csv": alt, "add.csv": add}
    for name, rows in files.items():
        (folder / name).write_bytes(("\r\n".join(rows) + "\r\n").encode(encoding))
    if comments is not None:
        (folder / "sdn_comments.csv").write_bytes(comments.encode(encoding))
    return folder


def ofac_xml(
    entries: str, *, publish: str = "07/15/2021", ns: str = "https://example.test/sdn"
) -> bytes:
    return (
        f'<?xml version="1.0" standalone="yes"?>\n<sdnList xmlns="{ns}">'
        f"<publshInformation><Publish_Date>{publish}</Publish_Date>"
        f"<Record_Count>2</Record_Count></publshInformation>{entries}</sdnList>"
    ).encode()


SDN_XML_ENTRIES = """
<sdnEntry><uid>10</uid><firstName>John</firstName><lastName>DOE</lastName>
  <title>Minister</title><sdnType>Individual</sdnType>
  <programList><program>SDGT</program><program>IRAN</program></programList>
  <idList>
    <id><uid>1</uid><idType>Passport</idType><idNumber>A1234567</idNumber><idCountry>Iran</idCountry></id>
    <id><uid>2</uid><idType>Email Address</idType><idNumber>someone@example.com</idNumber></id>
    <id><uid>3</uid><idType>National ID No.</idType><idNumber>123-456</idNumber><idCountry>Syria</idCountry></id>
  </idList>
  <akaList>
    <aka><uid>4</uid><type>a.k.a.</type><category>strong</category><lastName>DOE</lastName><firstName>Johnny</firstName></aka>
    <aka><uid>5</uid><type>a.k.a.</type><category>weak</category><lastName>JD</lastName></aka>
    <aka><uid>6</uid><type>f.k.a.</type><category>strong</category><lastName>SMITH</lastName><firstName>John</firstName></aka>
  </akaList>
  <addressList><address><uid>7</uid><address1>Street 1</address1><city>Tehran</city><country>Iran</country></address></addressList>
  <nationalityList><nationality><uid>8</uid><country>Iran</country><mainEntry>true</mainEntry></nationality></nationalityList>
  <citizenshipList><citizenship><uid>9</uid><country>Korea, North</country><mainEntry>true</mainEntry></citizenship></citizenshipList>
  <dateOfBirthList>
    <dateOfBirthItem><uid>10</uid><dateOfBirth>01 Jan 1960</dateOfBirth><mainEntry>true</mainEntry></dateOfBirthItem>
    <dateOfBirthItem><uid>11</uid><dateOfBirth>circa 1962</dateOfBirth><mainEntry>false</mainEntry></dateOfBirthItem>
  </dateOfBirthList>
  <remarks>Linked To: ACME TRADING.</remarks>
</sdnEntry>
<sdnEntry><uid>30</uid><lastName>SEA STAR</lastName><sdnType>Vessel</sdnType>
  <programList><program>IRAN</program></programList>
  <idList><id><uid>12</uid><idType>Vessel Registration Identification</idType><idNumber>IMO 9187629</idNumber></id></idList>
  <vesselInfo><callSign>9XYZ</callSign><vesselType>Crude Oil Tanker</vesselType><vesselFlag>Panama</vesselFlag></vesselInfo>
</sdnEntry>
<sdnEntry><uid>20</uid><lastName>ACME TRADING</lastName><sdnType>Entity</sdnType>
  <programList><program>SDNTK</program></programList>
</sdnEntry>
"""


def un_xml(
    individuals: str, entities: str = "", *, generated: str = "2026-02-27T00:00:09.554Z"
) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<CONSOLIDATED_LIST dateGenerated="{generated}"><INDIVIDUALS>{individuals}</INDIVIDUALS>'
        f"<ENTITIES>{entities}</ENTITIES></CONSOLIDATED_LIST>"
    ).encode()


UN_INDIVIDUAL = """
<INDIVIDUAL><DATAID>6908048</DATAID><VERSIONNUM>1</VERSIONNUM>
  <FIRST_NAME>ALI</FIRST_NAME><SECOND_NAME>HASSAN</SECOND_NAME><THIRD_NAME>AL-MAJID</THIRD_NAME>
  <UN_LIST_TYPE>Iraq</UN_LIST_TYPE><REFERENCE_NUMBER>IQi.001</REFERENCE_NUMBER>
  <COMMENTS1>A comment.</COMMENTS1>
  <DESIGNATION><VALUE>Minister</VALUE></DESIGNATION>
  <NATIONALITY><VALUE>Iraq</VALUE><VALUE>Iran (Islamic Republic of)</VALUE></NATIONALITY>
  <NAME_ORIGINAL_SCRIPT>علي حسن المجيد</NAME_ORIGINAL_SCRIPT>
  <INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>Ali Hasan al-Majid</ALIAS_NAME></INDIVIDUAL_ALIAS>
  <INDIVIDUAL_ALIAS><QUALITY>Low</QUALITY><ALIAS_NAME>Chemical Ali</ALIAS_NAME></INDIVIDUAL_ALIAS>
  <INDIVIDUAL_ALIAS><QUALITY/><ALIAS_NAME/></INDIVIDUAL_ALIAS>
  <INDIVIDUAL_ADDRESS><CITY>Baghdad</CITY><COUNTRY>Iraq</COUNTRY></INDIVIDUAL_ADDRESS>
  <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>EXACT</TYPE_OF_DATE><DATE>1941-11-30</DATE></INDIVIDUAL_DATE_OF_BIRTH>
  <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>APPROXIMATELY</TYPE_OF_DATE><YEAR>1943</YEAR></INDIVIDUAL_DATE_OF_BIRTH>
  <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>BETWEEN</TYPE_OF_DATE><FROM_YEAR>1945</FROM_YEAR><TO_YEAR>1947</TO_YEAR></INDIVIDUAL_DATE_OF_BIRTH>
  <INDIVIDUAL_DOCUMENT><TYPE_OF_DOCUMENT>Passport</TYPE_OF_DOCUMENT><NUMBER>CAR diplomatic passport no. D00000898</NUMBER><ISSUING_COUNTRY>Central African Republic</ISSUING_COUNTRY></INDIVIDUAL_DOCUMENT>
  <INDIVIDUAL_DOCUMENT/>
</INDIVIDUAL>
"""

UN_ENTITY = """
<ENTITY><DATAID>6908402</DATAID><FIRST_NAME>ADF</FIRST_NAME><UN_LIST_TYPE>DRC</UN_LIST_TYPE>
  <COMMENTS1>An armed group.</COMMENTS1>
  <NAME_ORIGINAL_SCRIPT>联合民主力量</NAME_ORIGINAL_SCRIPT>
  <ENTITY_ALIAS><QUALITY>a.k.a.</QUALITY><ALIAS_NAME>Allied Democratic Forces</ALIAS_NAME></ENTITY_ALIAS>
  <ENTITY_ALIAS><QUALITY>f.k.a.</QUALITY><ALIAS_NAME>NALU; ADF/NALU</ALIAS_NAME></ENTITY_ALIAS>
  <ENTITY_ADDRESS><STATE_PROVINCE>North Kivu</STATE_PROVINCE><COUNTRY>Democratic Republic of the Congo</COUNTRY></ENTITY_ADDRESS>
</ENTITY>
"""


CSL_HEADER = (
    "source,entity_number,type,programs,name,title,addresses,federal_register_notice,start_date,"
    "end_date,standard_order,license_requirement,license_policy,call_sign,vessel_type,"
    "gross_tonnage,gross_registered_tonnage,vessel_flag,vessel_owner,remarks,source_list_url,"
    "alt_names,citizenships,dates_of_birth,nationalities,places_of_birth,source_information_url,ids"
)


def csl_row(**values: str) -> str:
    columns = CSL_HEADER.split(",")
    cells = [values.get(c, "") for c in columns]
    return ",".join('"' + c.replace('"', '""') + '"' if c else "" for c in cells)


DPL_HEADER = (
    '"Name"\t"Street_Address"\t"City"\t"State"\t"Country"\t"Postal_Code"\t"Effective_Date"\t'
    '"Expiration_Date"\t"Standard_Order"\t"Last_Update"\t"Action"\t"FR_Citation"'
)


def dpl_row(name: str, street: str, city: str, state: str, country: str, postal: str) -> str:
    cells = [
        name,
        street,
        city,
        state,
        country,
        postal,
        "01/01/2020",
        "",
        "Y",
        "2020-01-01",
        "ADDED",
        "1 F.R. 1",
    ]
    return "\t".join(f'"{c}"' for c in cells)


def ftm_lines(*records: dict[str, Any]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()


def ftm(id_: str, schema: str, target: bool = True, **properties: list[str]) -> dict[str, Any]:
    return {
        "id": id_,
        "schema": schema,
        "caption": (properties.get("name") or [id_])[0],
        "properties": properties,
        "datasets": ["test_dataset"],
        "target": target,
    }
