"""Generate samples/docs/jwc-progress-report-2025.docx, the JWC's fictional annual progress report.

The report covers 2024, the first year of the Meridia-Sundara MoU on transborder crime, and was
adopted at the Committee's second meeting in March 2025. Every figure and name is invented and
consistent with the other documents in samples/docs/ (MoU, minutes, record of conversation,
protocol). It gives Accord's loaders a .docx with headings, paragraphs and a table.

Run:  /work/venv/bin/python samples/src/make_progress_report_docx.py
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

from docx import Document

OUT = Path(__file__).resolve().parent.parent / "docs" / "jwc-progress-report-2025.docx"

TITLE = (
    "Annual Progress Report 2024 of the Meridia-Sundara Joint Working Committee on "
    "Transborder Crime"
)

SECTIONS: list[tuple[str, list[str]]] = [
    (
        "1. Introduction",
        [
            "This report is submitted to the Minister of Home Affairs of the Republic of Meridia "
            "and the Minister of Home Affairs and Public Security of the Kingdom of Sundara in "
            "accordance with Article 4(5) of the Memorandum of Understanding on Cooperation in "
            "Preventing and Combating Transborder Crime, signed at Port Aldric on 14 November "
            "2023. It covers the period from 1 January to 31 December 2024 and was adopted by the "
            "Joint Working Committee at its second meeting, held at Port Aldric on 11 and 12 "
            "March 2025.",
            "The Committee notes that Ms Helena Marsh succeeded Mr Tomas Arvelo as Minister of "
            "Home Affairs of the Republic of Meridia on 20 January 2025.",
        ],
    ),
    (
        "2. Meetings",
        [
            "The Committee held its first meeting at Sarapura on 19 March 2024. Its three working "
            "groups met seven times in 2024: the Working Group on Drugs twice, the Working Group "
            "on Cybercrime three times and the Working Group on Maritime Security twice.",
        ],
    ),
    (
        "3. Exchange of information",
        [
            "The secure 24-hour hotline between the intelligence-sharing focal points became "
            "operational on 27 May 2024. In 2024 the Parties exchanged 312 requests for "
            "information, 174 sent by Meridia and 138 by Sundara. The average time taken to "
            "answer a request was nine days; urgent requests were answered in 41 hours on average.",
        ],
    ),
    (
        "4. Cybercrime",
        [
            "The Cybercrime Liaison Desk at the National Cyber Crime Centre in Port Aldric began "
            "operating on 1 July 2024 with two officers from each Party. By 31 December 2024 it "
            "had handled 87 referrals, which led to the freezing of 214 bank accounts holding a "
            "total of MRC 3.6 million.",
        ],
    ),
    (
        "5. Maritime border security",
        [
            "Exercise Harbour Shield 2024 was held in the Strait of Kessel from 9 to 13 September "
            "2024. It involved six vessels, one maritime patrol aircraft and 420 personnel of the "
            "Meridia Coast Guard and the Sundara Maritime Enforcement Agency. Reported incidents "
            "of armed robbery against fishing vessels in the Strait fell from 17 in 2023 to 9 in "
            "2024.",
        ],
    ),
    (
        "6. Illicit drug trafficking",
        [
            "The Working Group on Drugs adopted joint guidelines on controlled deliveries on 26 "
            "September 2024. Three controlled deliveries were carried out under the guidelines "
            "before the end of the year, leading to the arrest of 11 suspects.",
        ],
    ),
    (
        "7. People smuggling and online scam centres",
        [
            "Operation Clearwater, carried out from 15 to 17 October 2024 against the Golden "
            "Lotus syndicate in Tepi Batu, rescued 149 victims, 112 of them Meridian nationals, "
            "and led to the arrest of 41 suspects. The joint public awareness campaign on "
            "fraudulent overseas job offers was launched in both countries on 1 December 2024.",
        ],
    ),
    (
        "8. Capacity building",
        [
            "Ten Meridian officers attended the Digital Forensics Course at the Royal Sundara "
            "Police Academy in August 2024, and six Sundaran officers attended the Maritime "
            "Enforcement Course of the Meridia Coast Guard in October 2024.",
        ],
    ),
    (
        "9. Recommendations",
        [
            "The Committee recommends that the Ministers sign a protocol amending the MoU so as "
            "to (a) include online scams and scam centres expressly among the areas of "
            "cooperation; (b) require urgent requests for information to be answered within 72 "
            "hours; and (c) extend the duration of the MoU from five to ten years.",
            "The Committee further recommends that the joint task force on scam centres agreed by "
            "the Ministers on 21 November 2024 be given a standing secretariat at the Cybercrime "
            "Liaison Desk.",
        ],
    ),
]

INDICATORS = [
    ("Indicator", "2024"),
    ("Requests for information exchanged", "312"),
    ("Referrals handled by the Cybercrime Liaison Desk", "87"),
    ("Bank accounts frozen", "214"),
    ("Victims rescued in Operation Clearwater", "149"),
    ("Suspects arrested in Operation Clearwater", "41"),
    ("Officers trained under Article 6", "16"),
]


def build(out: Path = OUT) -> Path:
    doc = Document()
    props = doc.core_properties
    props.title = TITLE
    props.author = "JWC Secretariat"
    props.created = props.modified = dt.datetime(2025, 3, 12, 12, 0)
    props.category = "report"

    doc.add_paragraph("RESTRICTED")
    doc.add_heading(TITLE, level=1)
    doc.add_paragraph("Adopted at Port Aldric on 12 March 2025")
    for heading, paras in SECTIONS:
        doc.add_heading(heading, level=2)
        for para in paras:
            doc.add_paragraph(para)

    doc.add_heading("Annex: Key indicators for 2024", level=2)
    table = doc.add_table(rows=0, cols=2)
    for label, value in INDICATORS:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, value
    doc.add_paragraph("RESTRICTED")

    out.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    doc.save(buf)
    out.write_bytes(_fixed_zip_times(buf.getvalue()))
    return out


def _fixed_zip_times(data: bytes) -> bytes:
    """Rewrite the .docx zip with fixed entry times, so that regenerating the file does not
    change its content hash (the ingest sync job re-indexes a document whose hash changes)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2025, 3, 12, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


if __name__ == "__main__":
    print(build())
