"""Generate the bilingual (English and Malay) test documents of tests/data/bilingual.

- docs/mou-maritime-sar-2025.pdf: a fictional Meridia-Sundara MoU on maritime search and rescue,
  the English text (pages 1-2) and the Malay text (pages 3-4), "both texts being equally
  authentic", each page headed and footed TERHAD / RESTRICTED; a PDF with a text layer.
- scan/mou-maritime-sar-2025-scan.pdf: the same PDF printed to images (pdftoppm, 200 dpi,
  grey) and put back into a PDF with no text layer, as a scanned signed original would be.
- docs/kenyataan-akhbar-2025-08-13.txt (a Malay press statement) and
  docs/minit-jpb-sar-2025-10.md (Malay minutes marked SULIT) are written by hand beside them.

Every country, place and person is invented. Only the PDF core fonts and ASCII are used.

Run:  python tests/data/bilingual/src/make_bilingual.py   (needs fpdf2 and Pillow, and
pdftoppm from poppler-utils)
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from fpdf import FPDF
from PIL import Image

HERE = Path(__file__).resolve().parent.parent
OUT = HERE / "docs" / "mou-maritime-sar-2025.pdf"
SCAN = HERE / "scan" / "mou-maritime-sar-2025-scan.pdf"
MARK = "TERHAD / RESTRICTED"

ENGLISH = [
    (
        "MEMORANDUM OF UNDERSTANDING BETWEEN THE GOVERNMENT OF THE REPUBLIC OF MERIDIA AND THE "
        "GOVERNMENT OF THE KINGDOM OF SUNDARA ON COOPERATION IN MARITIME SEARCH AND RESCUE",
        None,
    ),
    (
        "The Government of the Republic of Meridia and the Government of the Kingdom of Sundara "
        '(hereinafter referred to as "the Participants"), desiring to save lives at sea in the '
        "waters between their two countries, have reached the following understanding:",
        None,
    ),
    (
        "Article 1 - Objective",
        "The Participants shall cooperate in maritime search and rescue "
        "operations in the Straits of Lintang and the adjacent waters.",
    ),
    (
        "Article 2 - Areas of Cooperation",
        "Cooperation under this Memorandum shall include the "
        "exchange of information on vessels in distress, joint search and rescue exercises held "
        "once a year, and the training of rescue coordinators.",
    ),
    (
        "Article 3 - Joint Rescue Coordination Centre",
        "A Joint Rescue Coordination Centre shall "
        "be established at the port of Tanjung Sari within six (6) months of the signature of "
        "this Memorandum.",
    ),
    (
        "Article 4 - Costs",
        "Each Participant shall bear its own costs arising from the "
        "implementation of this Memorandum, unless the Participants decide otherwise in writing.",
    ),
    (
        "Article 5 - Entry into Effect and Duration",
        "This Memorandum shall come into effect on "
        "the date of its signature and shall remain in effect for a period of five (5) years.",
    ),
    (
        "Signed at Kota Sari on 12 August 2025 in two originals in the English and Malay "
        "languages, both texts being equally authentic.",
        None,
    ),
    (
        "For the Government of the Republic of Meridia: Dr Alan Verity, Minister for Transport. "
        "For the Government of the Kingdom of Sundara: Dato' Rahim bin Yusof, Minister of "
        "Maritime Affairs.",
        None,
    ),
]

MALAY = [
    (
        "MEMORANDUM PERSEFAHAMAN ANTARA KERAJAAN REPUBLIK MERIDIA DAN KERAJAAN KERAJAAN SUNDARA "
        "MENGENAI KERJASAMA DALAM MENCARI DAN MENYELAMAT MARITIM",
        None,
    ),
    (
        "Kerajaan Republik Meridia dan Kerajaan Kerajaan Sundara (kemudian daripada ini disebut "
        'sebagai "Para Peserta"), dengan hasrat untuk menyelamatkan nyawa di laut di perairan '
        "antara kedua-dua negara, telah mencapai persefahaman yang berikut:",
        None,
    ),
    (
        "Perkara 1 - Objektif",
        "Para Peserta hendaklah bekerjasama dalam operasi mencari dan "
        "menyelamat maritim di Selat Lintang dan perairan yang bersempadan dengannya.",
    ),
    (
        "Perkara 2 - Bidang Kerjasama",
        "Kerjasama di bawah Memorandum ini hendaklah merangkumi "
        "pertukaran maklumat mengenai kapal dalam kecemasan, latihan mencari dan menyelamat "
        "bersama yang diadakan sekali setahun, dan latihan penyelaras menyelamat.",
    ),
    (
        "Perkara 3 - Pusat Penyelarasan Menyelamat Bersama",
        "Sebuah Pusat Penyelarasan "
        "Menyelamat Bersama hendaklah ditubuhkan di pelabuhan Tanjung Sari dalam tempoh enam (6) "
        "bulan dari tarikh Memorandum ini ditandatangani.",
    ),
    (
        "Perkara 4 - Kos",
        "Setiap Peserta hendaklah menanggung kosnya sendiri yang timbul daripada "
        "pelaksanaan Memorandum ini, melainkan jika Para Peserta memutuskan sebaliknya secara "
        "bertulis.",
    ),
    (
        "Perkara 5 - Kuat Kuasa dan Tempoh",
        "Memorandum ini hendaklah berkuat kuasa pada tarikh "
        "ia ditandatangani dan hendaklah kekal berkuat kuasa bagi tempoh lima (5) tahun.",
    ),
    (
        "Ditandatangani di Kota Sari pada 12 Ogos 2025 dalam dua naskhah asal dalam bahasa "
        "Inggeris dan bahasa Melayu, dan kedua-dua teks adalah sama sahihnya.",
        None,
    ),
    (
        "Bagi pihak Kerajaan Republik Meridia: Dr Alan Verity, Menteri Pengangkutan. Bagi pihak "
        "Kerajaan Kerajaan Sundara: Dato' Rahim bin Yusof, Menteri Hal Ehwal Maritim.",
        None,
    ),
]


class _Pdf(FPDF):
    def header(self) -> None:
        self.set_font("Helvetica", "B", 11)
        self.cell(0, 8, MARK, align="C", new_x="LMARGIN", new_y="NEXT")
        self.ln(4)

    def footer(self) -> None:
        self.set_y(-18)
        self.set_font("Helvetica", "B", 11)
        self.cell(0, 8, MARK, align="C")


def _write(pdf: FPDF, blocks: list[tuple[str, str | None]]) -> None:
    """Two pages per language: the title and the first three articles, then the rest."""
    pdf.add_page()
    for i, (head, body) in enumerate(blocks):
        if i == 5:
            pdf.add_page()
        if body is None:
            bold = i == 0
            pdf.set_font("Helvetica", "B" if bold else "", 13 if bold else 12)
            pdf.multi_cell(0, 7, head, align="C" if bold else "L", new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.set_font("Helvetica", "B", 12)
            pdf.multi_cell(0, 7, head, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", "", 12)
            pdf.multi_cell(0, 7, body, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(5)


def make_text_pdf() -> None:
    pdf = _Pdf(format="A4")
    pdf.set_margins(25, 20, 25)
    pdf.set_auto_page_break(True, margin=25)
    pdf.set_title(
        "Memorandum of Understanding on Cooperation in Maritime Search and Rescue / "
        "Memorandum Persefahaman mengenai Kerjasama dalam Mencari dan Menyelamat "
        "Maritim"
    )
    _write(pdf, ENGLISH)
    _write(pdf, MALAY)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(OUT))


def make_scan() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["pdftoppm", "-r", "200", "-gray", "-png", str(OUT), f"{tmp}/p"], check=True)
        pages = [Image.open(p).convert("L") for p in sorted(Path(tmp).glob("p*.png"))]
        SCAN.parent.mkdir(parents=True, exist_ok=True)
        pages[0].save(SCAN, save_all=True, append_images=pages[1:], resolution=200.0, quality=80)


if __name__ == "__main__":
    make_text_pdf()
    make_scan()
    print(OUT, SCAN)
