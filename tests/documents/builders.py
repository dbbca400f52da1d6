"""Sample documents for the renderer's tests and benchmark: realistic Vietnamese content."""

from __future__ import annotations

import hashlib
import io
import json
import random
import subprocess
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pikepdf
from PIL import Image, ImageDraw
from pypdf import PdfReader

from inspector.clock import VIETNAM_TZ
from inspector.documents import (
    ConclusionDocument,
    EvidenceEntry,
    Header,
    LevelMatrix,
    MinutesDocument,
    Participant,
    PdfInfo,
    Refusal,
    RequirementRow,
    ResultSection,
    SignatureBlock,
)
from inspector.documents.model import Regime
from inspector.paths import resources_dir

CREATED = datetime(2024, 8, 7, 11, 15, tzinfo=VIETNAM_TZ)
LEADER = "Nguyễn Văn Hùng"
UNIT_REP = "Trần Thị Ngọc Ánh"
SECRETARY = "Lê Thị Thu Hương"
FINDING_NOTE = "Có 03 hồ sơ đất đai quá hạn giải quyết nhưng chưa gửi văn bản xin lỗi người dân"
BASIS_DIRECTIVE = ("Căn cứ Chỉ thị số 24-CT/TU ngày 07 tháng 8 năm 2023 của Ban Thường vụ Thành ủy Hà Nội về tăng "
                   "cường kỷ cương, kỷ luật và trách nhiệm trong giải quyết công việc")
SUMMARY = "Kiểm tra đột xuất việc thực hiện nhiệm vụ, công vụ tại Ủy ban nhân dân phường Hoàn Kiếm"


def header(regime: Regime = "state", *, number: str = "5", doc_type: str = "BB",
           show_place_date: bool = False, when: date | None = date(2024, 8, 7)) -> Header:
    if regime == "party":
        return Header("party", "Thành ủy Hà Nội", "Đoàn kiểm tra số 3", doc_type, "ĐKT", number,
                      date=when, show_place_date=show_place_date)
    return Header("state", "UBND thành phố Hà Nội", "Đoàn kiểm tra công vụ", doc_type, "ĐKT", number,
                  date=when, show_place_date=show_place_date)


def signature_png(width: int = 360, height: int = 180) -> bytes:
    """A blue hand-drawn-looking stroke on a transparent background."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    points = [(20 + i * 8, height // 2 + int(40 * ((i % 7) - 3) / 3)) for i in range(40)]
    pen.line(points, fill=(20, 40, 200, 255), width=7)
    pen.line([(40, height - 40), (width - 30, height - 60)], fill=(20, 40, 200, 255), width=5)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def photo_jpeg(seed: int, size: tuple[int, int] = (320, 240)) -> bytes:
    """A distinct small JPEG per seed (a camera thumbnail stand-in)."""
    rnd = random.Random(seed)
    image = Image.new("RGB", size, (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)))
    pen = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rnd.randrange(size[0]), rnd.randrange(size[1])
        pen.rectangle([x, y, x + rnd.randrange(20, 120), y + rnd.randrange(20, 90)],
                      fill=(rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def checklist_items(count: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Item codes and texts from the bundled leadership checklist (41 items), repeated if needed."""
    data = json.loads((resources_dir() / "checklists" / "ct24-lanh-dao.v1.json").read_text("utf-8"))
    items = [(i["code"], i["text"]) for i in data["items"]]
    chosen = [items[n % len(items)] for n in range(count)]
    return tuple(c for c, _ in chosen), tuple(t for _, t in chosen)


SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ")
MIDDLE = ("Văn", "Thị", "Đức", "Thu", "Minh", "Ngọc", "Quang", "Thanh")
GIVEN = ("An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hạnh", "Khánh", "Linh", "Lượng", "Phương", "Quyết")


def subject_names(count: int) -> tuple[str, ...]:
    return tuple(f"{SURNAMES[n % 10]} {MIDDLE[n % 8]} {GIVEN[n % 12]}" for n in range(count))


def matrix(items: int, subjects: int) -> LevelMatrix:
    codes, texts = checklist_items(items)
    levels: dict[tuple[int, int], int | None] = {}
    for i in range(items):
        for j in range(subjects):
            k = (i * 7 + j * 3) % 11
            levels[(i, j)] = None if k == 10 else (0 if k < 6 else k - 6 if k < 9 else 3)
    return LevelMatrix(codes, texts, subject_names(subjects), levels)


def evidence(count: int, *, seed: int = 0) -> tuple[EvidenceEntry, ...]:
    out = []
    for n in range(count):
        data = photo_jpeg(seed + n)
        out.append(EvidenceEntry(
            file_name=f"IMG_2024080{n % 9 + 1}_{n:04d}.jpg", sha256=hashlib.sha256(data).hexdigest(),
            captured_at_text=f"07/8/2024 {8 + n % 3:02d}:{n % 60:02d}",
            caption=f"Ảnh chụp quầy tiếp nhận hồ sơ số {n % 6 + 1}, bảng niêm yết thủ tục hành chính",
            thumbnail_jpeg=data))
    return tuple(out)


def team() -> tuple[Participant, ...]:
    return (Participant(LEADER, "Phó Chánh Văn phòng Thành ủy", "Trưởng đoàn"),
            Participant("Phạm Quang Dũng", "Chuyên viên Ban Tổ chức Thành ủy", "Thành viên"),
            Participant(SECRETARY, "Chuyên viên Văn phòng Thành ủy", "Thư ký"))


def signatures(regime: Regime = "state", *, secretary: bool = True,
               drawn: bytes | None = None) -> tuple[SignatureBlock, ...]:
    on_behalf = "on_behalf" if regime == "party" else ""
    blocks = [SignatureBlock("Sig_DaiDienDonVi", "Chủ tịch UBND phường", UNIT_REP,
                             authority_body="Đại diện đơn vị được kiểm tra")]
    if secretary:
        blocks.append(SignatureBlock("Sig_ThuKy", "Thư ký", SECRETARY))
    blocks.append(SignatureBlock("Sig_TruongDoan", "Trưởng đoàn", LEADER, authority=on_behalf,
                                 authority_body="Đoàn kiểm tra" if on_behalf else "",
                                 drawn_signature_png=drawn))
    return tuple(blocks)


def minutes(regime: Regime = "state", *, items: int = 5, subjects: int = 4, photos: int = 3,
            secretary: bool = True, drawn: bytes | None = None, number: str = "5",
            results: int | None = None) -> MinutesDocument:
    sections = []
    codes, texts = checklist_items(items if results is None else results)
    for n, (code, text) in enumerate(zip(codes, texts, strict=True)):
        sections.append(ResultSection(
            title=f"{code}: {text}",
            paragraphs=(f"Qua kiểm tra sổ theo dõi và phần mềm một cửa: {FINDING_NOTE} (mục {n + 1}).",
                        "Đoàn đã đối chiếu danh sách với phiếu hẹn trả kết quả; cán bộ phụ trách đã giải "
                        "trình nguyên nhân do thiếu nhân lực trong thời gian nghỉ phép."),
            evidence_lines=(f"Ảnh chụp sổ theo dõi hồ sơ, trang {n + 3}", "Bản sao phiếu hẹn trả kết quả")))
    return MinutesDocument(
        header=header(regime, number=number),
        summary=SUMMARY,
        legal_basis=(BASIS_DIRECTIVE,
                     "Căn cứ Quyết định số 125/QĐ-UBND ngày 01/8/2024 của Chủ tịch UBND thành phố về việc "
                     "thành lập Đoàn kiểm tra công vụ;",
                     "Căn cứ Kế hoạch số 12/KH-ĐKT ngày 02/8/2024 của Đoàn kiểm tra"),
        opening=("Hôm nay, vào hồi 08 giờ 30 phút, ngày 07 tháng 8 năm 2024, tại trụ sở Ủy ban nhân dân "
                 "phường Hoàn Kiếm (số 126 phố Hàng Trống), Đoàn kiểm tra tiến hành kiểm tra đột xuất "
                 "việc thực hiện nhiệm vụ, công vụ tại đơn vị, thành phần gồm có:",),
        team=team(),
        unit_representatives=(Participant(UNIT_REP, "Chủ tịch UBND phường", honorific="Bà"),
                              Participant("Đỗ Minh Quyết", "Công chức Văn phòng – Thống kê")),
        others=(Participant("Hồ Thanh Bình", "Đại diện Đảng ủy phường", "Người chứng kiến"),),
        subjects_text=("Đối tượng kiểm tra: tập thể lãnh đạo UBND phường và công chức Bộ phận một cửa.",),
        content_intro=("Nội dung kiểm tra: việc thực hiện 41 nội dung nhận diện theo bảng kiểm dành cho cán "
                       "bộ lãnh đạo, quản lý; việc chấp hành giờ giấc làm việc, văn hóa công vụ.",),
        results=tuple(sections),
        explanation=("Đơn vị thống nhất với kết quả kiểm tra và cam kết khắc phục trong tháng 8/2024.",),
        strengths=("Đơn vị niêm yết công khai đầy đủ thủ tục hành chính; công chức đeo thẻ đúng quy định.",),
        shortcomings=(FINDING_NOTE + ".",),
        immediate_requests=("Gửi văn bản xin lỗi người dân đối với các hồ sơ quá hạn trước ngày 12/8/2024.",),
        closing=("Buổi kiểm tra kết thúc vào hồi 11 giờ 00 phút cùng ngày. Biên bản đã được đọc lại cho "
                 "các thành phần tham dự cùng nghe, thống nhất và ký tên.",
                 "Biên bản được lập thành 02 bản có giá trị pháp lý như nhau, Đoàn kiểm tra giữ 01 bản, "
                 "đơn vị được kiểm tra giữ 01 bản."),
        refusals=(Refusal("Đỗ Minh Quyết", "đang đi công tác đột xuất, không có mặt khi kết thúc"),),
        signatures=signatures(regime, secretary=secretary, drawn=drawn),
        recipients=("Thường trực Thành ủy (để báo cáo)", "Đơn vị được kiểm tra",
                    "Lưu: VT, ĐKT" if regime == "state" else "Lưu Văn phòng Thành ủy"),
        matrix=matrix(items, subjects) if items and subjects else None,
        evidence=evidence(photos),
        page_count_line="Biên bản gồm {pages} trang (không kể phụ lục).",
        info=PdfInfo(created=CREATED, document_id="minutes-test-0001"),
    )


def conclusion(regime: Regime = "party", *, requirements: int = 3, number: str = "12") -> ConclusionDocument:
    party = regime == "party"
    head = (Header("party", "Đảng bộ thành phố Hà Nội", "Thành ủy Hà Nội", "KL", "TU", number,
                   date=date(2024, 8, 20), show_place_date=True) if party else
            Header("state", "UBND thành phố Hà Nội", "Sở Nội vụ", "TB", "SNV", number,
                   date=date(2024, 8, 20), show_place_date=True))
    rows = tuple(RequirementRow(
        content=f"Rà soát, khắc phục ngay các hồ sơ quá hạn; tổ chức kiểm điểm trách nhiệm (nội dung {n}).",
        responsible="Chủ tịch UBND phường Hoàn Kiếm", deadline=date(2024, 9, 15) + timedelta(days=n - 1),
        report_back=date(2024, 9, 30)) for n in range(1, requirements + 1))
    return ConclusionDocument(
        header=head,
        type_name="KẾT LUẬN" if party else "THÔNG BÁO",
        summary="Kết luận kiểm tra đột xuất việc thực hiện Chỉ thị số 24-CT/TU tại phường Hoàn Kiếm",
        legal_basis=(BASIS_DIRECTIVE, "Căn cứ Quy định số 296-QĐ/TW ngày 30/5/2025 của Ban Chấp hành Trung "
                     "ương về công tác kiểm tra, giám sát và kỷ luật của Đảng",
                     "Căn cứ Báo cáo kết quả kiểm tra của Đoàn kiểm tra số 3"),
        lead=("Thực hiện Kế hoạch số 12/KH-ĐKT, ngày 07 tháng 8 năm 2024, Đoàn kiểm tra số 3 đã kiểm tra đột xuất "
              "việc thực hiện nhiệm vụ, công vụ tại UBND phường Hoàn Kiếm. Xét báo cáo của Đoàn kiểm tra, "
              "Ban Thường vụ Thành ủy kết luận như sau:",),
        findings_summary=("Qua kiểm tra 41 nội dung đối với 30 cán bộ, công chức, Đoàn ghi nhận 12 nội dung có "
                          "biểu hiện ở mức 1 và 02 nội dung ở mức 2.",),
        strengths=("Cấp ủy, chính quyền phường đã quán triệt Chỉ thị kịp thời; công khai thủ tục đầy đủ.",),
        shortcomings=(FINDING_NOTE + ".", "Một số công chức chưa đeo thẻ công chức trong giờ làm việc."),
        causes=("Người đứng đầu chưa thường xuyên kiểm tra, đôn đốc; phân công nhiệm vụ chưa rõ người, rõ việc.",),
        requirements_intro=("Ban Thường vụ Thành ủy yêu cầu:",),
        requirements=rows,
        report_back_sentence="Đơn vị báo cáo kết quả khắc phục về Thành ủy (qua Ủy ban Kiểm tra) trước "
                             "ngày 30/9/2024.",
        follow_up=("Giao Ủy ban Kiểm tra Thành ủy theo dõi, đôn đốc việc thực hiện Kết luận này.",),
        signature=SignatureBlock("Sig_NguoiKy", "Phó Bí thư" if party else "Phó Giám đốc", LEADER,
                                 authority="on_behalf" if party else "deputy",
                                 authority_body="Ban Thường vụ" if party else "Giám đốc"),
        recipients=("Thường trực Thành ủy (để b/c)", "Đảng ủy, UBND phường Hoàn Kiếm",
                    "Ủy ban Kiểm tra Thành ủy", "Lưu Văn phòng Thành ủy" if party else "Lưu: VT, TTr"),
        info=PdfInfo(created=CREATED, document_id="conclusion-test-0001"),
    )


# --- reading PDFs back -------------------------------------------------------------------------

BASE14 = {"Courier", "Courier-Bold", "Courier-Oblique", "Courier-BoldOblique", "Helvetica",
          "Helvetica-Bold", "Helvetica-Oblique", "Helvetica-BoldOblique", "Times-Roman", "Times-Bold",
          "Times-Italic", "Times-BoldItalic", "Symbol", "ZapfDingbats"}


def pdftotext(pdf: bytes, *, first: int | None = None, last: int | None = None,
              crop: tuple[float, float, float, float] | None = None, layout: bool = False) -> str:
    """poppler's text extraction; `crop` is (x, y, w, h) in points from the top-left corner."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(pdf)
        args = ["pdftotext", "-enc", "UTF-8"]
        if layout:
            args.append("-layout")
        if first:
            args += ["-f", str(first)]
        if last:
            args += ["-l", str(last)]
        if crop:
            args += ["-r", "72", "-x", str(int(crop[0])), "-y", str(int(crop[1])), "-W", str(int(crop[2])),
                     "-H", str(int(crop[3]))]
        args += [str(path), "-"]
        return subprocess.run(args, check=True, capture_output=True).stdout.decode("utf-8")


def flat(text: str) -> str:
    """Whitespace-insensitive text: line breaks inside paragraphs do not matter."""
    return " ".join(text.split())


def render_pages(pdf: bytes, dpi: int = 72) -> list[Image.Image]:
    """Every page rasterised by poppler's pdftoppm (the same engine the Qt viewer's users get)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(path), str(Path(tmp) / "p")], check=True)
        pages = sorted(Path(tmp).glob("p-*.png"), key=lambda p: int(p.stem.split("-")[-1]))
        return [Image.open(p).convert("RGB") for p in pages]


def open_pdf(pdf: bytes) -> pikepdf.Pdf:
    return pikepdf.open(io.BytesIO(pdf))


def fonts(pdf: bytes) -> list[tuple[str, str, bool]]:
    """Every font reachable from the pages (page and form resources, Type0 descendants):
    (BaseFont, Subtype, embedded?)."""
    found: dict[tuple[int, int], tuple[str, str, bool]] = {}

    def record(font: Any) -> None:
        descriptor = font.get("/FontDescriptor")
        embedded = descriptor is not None and any(
            key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
        found[font.objgen] = (str(font.get("/BaseFont", "")), str(font.get("/Subtype", "")), embedded)

    def walk(resources: Any, seen: set[tuple[int, int]]) -> None:
        if resources is None:
            return
        for _, font in dict(resources.get("/Font", {})).items():
            record(font)
            for descendant in font.get("/DescendantFonts", []):
                record(descendant)
        for _, xobject in dict(resources.get("/XObject", {})).items():
            if xobject.get("/Subtype") == "/Form" and xobject.objgen not in seen:
                seen.add(xobject.objgen)
                walk(xobject.get("/Resources"), seen)

    with open_pdf(pdf) as doc:
        for page in doc.pages:
            walk(page.obj.get("/Resources"), set())
    return list(found.values())


def font_problems(pdf: bytes) -> list[str]:
    """Fonts that are not embedded or are one of the 14 standard fonts."""
    problems = []
    for name, subtype, embedded in fonts(pdf):
        base = name.lstrip("/").split("+")[-1]
        if base in BASE14 or "Helvetica" in base:
            problems.append(f"standard font {name}")
        if subtype != "/Type0" and not embedded:  # a Type0 font is checked through its descendant
            problems.append(f"not embedded: {name}")
    return problems


def text_runs(pdf: bytes) -> list[list[tuple[str, float, float, bool]]]:
    """Per page: every text run with its (x, y) and whether it is rotated (pypdf's visitor)."""
    reader = PdfReader(io.BytesIO(pdf))
    pages = []
    for page in reader.pages:
        runs: list[tuple[str, float, float, bool]] = []

        def visit(text: str, cm: list[float], tm: list[float], _fd: Any, _fs: Any,
                  runs: list[tuple[str, float, float, bool]] = runs) -> None:
            if text.strip():
                x = cm[0] * tm[4] + cm[2] * tm[5] + cm[4]
                y = cm[1] * tm[4] + cm[3] * tm[5] + cm[5]
                runs.append((text.strip(), x, y, abs(cm[1]) > 0.5 or abs(tm[1]) > 0.5))

        page.extract_text(visitor_text=visit)
        pages.append(runs)
    return pages


def placed_images(pdf: bytes, page_index: int) -> list[tuple[str, tuple[float, float, float, float], bool]]:
    """Image XObjects drawn on a page: name, bounding box in page space, whether it has an SMask."""
    with open_pdf(pdf) as doc:
        page = doc.pages[page_index]
        xobjects = page.obj.Resources.get("/XObject", {})
        ctm = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
        stack: list[list[float]] = []
        out = []
        for operands, operator in pikepdf.parse_content_stream(page):
            op = str(operator)
            if op == "q":
                stack.append(ctm[:])
            elif op == "Q":
                ctm = stack.pop()
            elif op == "cm":
                a, b, c, d, e, f = (float(v) for v in operands)
                m = ctm
                ctm = [a * m[0] + b * m[2], a * m[1] + b * m[3], c * m[0] + d * m[2], c * m[1] + d * m[3],
                       e * m[0] + f * m[2] + m[4], e * m[1] + f * m[3] + m[5]]
            elif op == "Do":
                xobject = xobjects[str(operands[0])]
                if xobject.get("/Subtype") != "/Image":
                    continue
                corners = [(ctm[0] * u + ctm[2] * v + ctm[4], ctm[1] * u + ctm[3] * v + ctm[5])
                           for u, v in ((0, 0), (1, 0), (0, 1), (1, 1))]
                xs, ys = [p[0] for p in corners], [p[1] for p in corners]
                out.append((str(operands[0]), (min(xs), min(ys), max(xs), max(ys)), "/SMask" in xobject))
        return out
