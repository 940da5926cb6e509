"""Generate samples/docs/mou-transborder-crime-2023.pdf, the fictional Meridia-Sundara MoU.

The two countries and every person named here are invented; the document exists so that
Accord's demo and quick tests have a multi-page PDF whose facts the project controls.

Only the PDF core fonts are used and the text is kept to ASCII so that pypdf extracts it
without ligature or encoding surprises; every article heading sits on a line of its own so
that the chunker and the QA set can rely on "Article N - Title" appearing intact.

Run:  /work/venv/bin/python samples/src/make_mou_pdf.py
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fpdf import FPDF

OUT = Path(__file__).resolve().parent.parent / "docs" / "mou-transborder-crime-2023.pdf"

TITLE = [
    "MEMORANDUM OF UNDERSTANDING",
    "BETWEEN",
    "THE GOVERNMENT OF THE REPUBLIC OF MERIDIA",
    "AND",
    "THE GOVERNMENT OF THE KINGDOM OF SUNDARA",
    "ON COOPERATION IN PREVENTING AND COMBATING TRANSBORDER CRIME",
]

PREAMBLE = [
    "The Government of the Republic of Meridia, represented by the Ministry of Home Affairs, and "
    "the Government of the Kingdom of Sundara, represented by the Ministry of Home Affairs and "
    'Public Security (hereinafter referred to individually as a "Party" and collectively as the '
    '"Parties");',
    "RECOGNISING the long-standing friendship and good-neighbourly relations between the two "
    "countries, which share a land border of 412 kilometres and a maritime boundary in the Strait "
    "of Kessel;",
    "CONCERNED by the growth of transborder crime, including illicit drug trafficking, terrorism, "
    "cybercrime and the smuggling of people across the common border, and by the harm such crime "
    "causes to the security and well-being of the peoples of both countries;",
    "CONVINCED that close cooperation between their law enforcement agencies, based on mutual "
    "trust and the timely exchange of information, is essential to prevent, detect and "
    "investigate transborder crime;",
    "BUILDING UPON the Joint Declaration on Border Security issued by the two Governments at "
    "Sarapura on 2 May 2019;",
    "ACTING in accordance with the laws and regulations in force in their respective countries and "
    "with their obligations under international law;",
    "HAVE REACHED the following understanding:",
]

ARTICLES: list[tuple[str, list[str]]] = [
    (
        "Article 1 - Objectives",
        [
            "1. The objective of this Memorandum of Understanding (hereinafter referred to as "
            '"this MoU") is to strengthen cooperation between the Parties in preventing and '
            "combating transborder crime on the basis of equality, reciprocity and mutual benefit.",
            "2. To that end the Parties shall endeavour to: (a) improve the exchange of "
            "information and criminal intelligence between their competent authorities; (b) "
            "coordinate operations against criminal groups active in both countries; (c) develop "
            "the capacity of their law enforcement officers; and (d) consult each other regularly "
            "on emerging threats along the common border.",
            "3. Cooperation under this MoU shall be carried out in accordance with the domestic "
            "laws of each Party and shall not cover mutual legal assistance in criminal matters or "
            "extradition, which are governed by separate arrangements.",
        ],
    ),
    (
        "Article 2 - Areas of Cooperation",
        [
            "1. The Parties shall cooperate in the following areas:",
            "(a) illicit trafficking in narcotic drugs, psychotropic substances and their "
            "precursor chemicals;",
            "(b) terrorism and the financing of terrorism;",
            "(c) cybercrime, including online fraud and attacks on critical information "
            "infrastructure;",
            "(d) people smuggling and trafficking in persons;",
            "(e) maritime border security, including piracy, armed robbery against ships and "
            "illegal fishing in the Strait of Kessel;",
            "(f) smuggling of firearms, ammunition and explosives;",
            "(g) money laundering and the recovery of the proceeds of crime;",
            "(h) illegal trade in wildlife and timber; and",
            "(i) any other area of transborder crime that the Parties may mutually agree upon in "
            "writing.",
            "2. The Parties shall give priority to drug trafficking, terrorism and cybercrime "
            "during the first two years after the entry into force of this MoU.",
        ],
    ),
    (
        "Article 3 - Exchange of Information",
        [
            "1. The Parties shall exchange information and criminal intelligence on the matters "
            "listed in Article 2 through focal points designated by each Party. The focal points "
            "shall be notified to the other Party through diplomatic channels within sixty (60) "
            "days of the entry into force of this MoU.",
            "2. Requests for information shall be made in writing and shall state the purpose "
            "for which the information is sought. In urgent cases a request may be made orally, "
            "provided that it is confirmed in writing within seven (7) days.",
            "3. The requested Party shall answer a request as soon as practicable and may refuse "
            "or postpone a request if complying with it would prejudice its sovereignty, "
            "security, public order or an ongoing investigation.",
            "4. Information received under this MoU shall be used only for the purpose for which "
            "it was provided, unless the providing Party has given its prior written consent to "
            "another use.",
        ],
    ),
    (
        "Article 4 - Joint Working Committee",
        [
            "1. The Parties hereby establish a Joint Working Committee (hereinafter referred to as "
            '"the JWC") to coordinate, monitor and review the implementation of this MoU.',
            "2. The JWC shall be co-chaired by the Secretary-General of the Ministry of Home "
            "Affairs of the Republic of Meridia and the Secretary-General of the Ministry of Home "
            "Affairs and Public Security of the Kingdom of Sundara.",
            "3. The JWC shall meet at least once a year, alternately in the Republic of Meridia "
            "and in the Kingdom of Sundara, or at any other time mutually agreed by the Parties. "
            "Its first meeting shall be held within six (6) months of the entry into force of "
            "this MoU.",
            "4. The JWC may establish sub-committees or working groups on specific areas of "
            "cooperation and shall adopt its own terms of reference at its first meeting.",
            "5. The JWC shall report on the progress of cooperation to the Ministers responsible "
            "for home affairs of both Parties once a year.",
        ],
    ),
    (
        "Article 5 - Confidentiality",
        [
            "1. Each Party shall protect the confidentiality of information, documents and "
            "material received from the other Party under this MoU and shall give it a level of "
            "protection equivalent to that given by the providing Party.",
            "2. Neither Party shall disclose to a third party any information, document or "
            "material received under this MoU without the prior written consent of the Party "
            "that provided it.",
            "3. The obligations under this Article shall continue to apply notwithstanding the "
            "termination of this MoU.",
        ],
    ),
    (
        "Article 6 - Capacity Building and Training",
        [
            "1. The Parties shall cooperate in developing the skills of their law enforcement "
            "officers through joint training courses, seminars, study visits and the attachment "
            "of officers to each other's agencies.",
            "2. Each Party shall, subject to the availability of places, offer the other Party "
            "places on its national courses on criminal investigation, forensic science, "
            "maritime enforcement and digital forensics.",
            "3. The Parties may hold joint exercises, including joint maritime patrol exercises "
            "in the Strait of Kessel, on terms to be agreed by the JWC.",
        ],
    ),
    (
        "Article 7 - Financial Arrangements",
        [
            "1. Unless otherwise mutually agreed in writing, each Party shall bear its own costs "
            "arising from the implementation of this MoU.",
            "2. The implementation of this MoU shall be subject to the availability of funds and "
            "resources of each Party.",
            "3. The costs of meetings of the JWC shall be borne by the host Party, and the costs "
            "of travel and accommodation of delegates shall be borne by the sending Party.",
        ],
    ),
    (
        "Article 8 - Amendment and Settlement of Disputes",
        [
            "1. This MoU may be amended at any time by mutual written consent of the Parties. "
            "Any amendment shall be set out in a protocol, which shall form an integral part of "
            "this MoU and shall enter into force on the date specified in it.",
            "2. Any dispute between the Parties arising from the interpretation or "
            "implementation of this MoU shall be settled amicably through consultation or "
            "negotiation between the Parties through diplomatic channels, without reference to "
            "any third party or international tribunal.",
        ],
    ),
    (
        "Article 9 - Entry into Force, Duration and Termination",
        [
            "1. This MoU shall enter into force on the date of its signature.",
            "2. This MoU shall remain in force for a period of five (5) years and shall "
            "thereafter be automatically renewed for successive periods of five (5) years, unless "
            "either Party notifies the other in writing through diplomatic channels of its "
            "intention not to renew it at least six (6) months before its expiry.",
            "3. Either Party may terminate this MoU at any time by giving the other Party six "
            "(6) months' written notice through diplomatic channels.",
            "4. The termination of this MoU shall not affect the completion of any programme or "
            "activity already under way at the time of termination, unless the Parties decide "
            "otherwise.",
        ],
    ),
]

WITNESS = (
    "IN WITNESS WHEREOF, the undersigned, being duly authorised by their respective "
    "Governments, have signed this Memorandum of Understanding."
)
DONE_AT = (
    "DONE at Port Aldric on 14 November 2023, in two originals in the English language, both "
    "texts being equally authentic."
)
SIGNATORIES = [
    (
        "FOR THE GOVERNMENT OF THE REPUBLIC OF MERIDIA",
        "Tomas Arvelo",
        "Minister of Home Affairs",
    ),
    (
        "FOR THE GOVERNMENT OF THE KINGDOM OF SUNDARA",
        "Arun Wiratama",
        "Minister of Home Affairs and Public Security",
    ),
]


class MouPDF(FPDF):
    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Helvetica", "I", 8)
        self.cell(
            0, 10, f"Meridia-Sundara MoU on Transborder Crime - Page {self.page_no()}", align="C"
        )


def build(out: Path = OUT) -> Path:
    pdf = MouPDF(format="A4")
    pdf.set_title("MoU between Meridia and Sundara on Transborder Crime")
    pdf.set_author("Ministry of Home Affairs, Republic of Meridia")
    # a fixed date keeps the file byte-identical from run to run
    pdf.set_creation_date(dt.datetime(2023, 11, 14, 10, 0, tzinfo=dt.UTC))
    pdf.set_margins(25, 25, 25)
    pdf.set_auto_page_break(True, margin=25)
    pdf.add_page()

    pdf.ln(20)
    pdf.set_font("Helvetica", "B", 14)
    for line in TITLE:
        pdf.multi_cell(0, 9, line, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(12)

    pdf.set_font("Times", "", 12)
    for para in PREAMBLE:
        pdf.multi_cell(0, 6.5, para, align="J", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)

    for heading, paras in ARTICLES:
        # keep a heading with at least its first lines of text
        if pdf.get_y() > pdf.h - 60:
            pdf.add_page()
        pdf.ln(4)
        pdf.set_font("Helvetica", "B", 12)
        pdf.multi_cell(0, 7, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
        pdf.set_font("Times", "", 12)
        for para in paras:
            indent = 8 if para.startswith("(") else 0
            pdf.set_x(pdf.l_margin + indent)
            pdf.multi_cell(0, 6.5, para, align="J", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)

    # The signing block (about 130 mm) is kept together on one page, as in a signed original.
    if pdf.get_y() > pdf.h - pdf.b_margin - 130:
        pdf.add_page()
    else:
        pdf.ln(10)
    pdf.set_font("Times", "", 12)
    pdf.multi_cell(0, 6.5, WITNESS, align="J", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.multi_cell(0, 6.5, DONE_AT, align="J", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(16)
    for party, name, title in SIGNATORIES:
        pdf.set_font("Helvetica", "B", 11)
        pdf.multi_cell(0, 7, party, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(14)
        pdf.set_font("Times", "", 12)
        pdf.multi_cell(0, 6.5, "(signed)", new_x="LMARGIN", new_y="NEXT")
        pdf.multi_cell(0, 6.5, name, new_x="LMARGIN", new_y="NEXT")
        pdf.multi_cell(0, 6.5, title, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(14)

    out.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(out))
    return out


if __name__ == "__main__":
    print(build())
