"""The streaming XLSX writer of kf_customer_service (pure Python, no Odoo)."""

import importlib.util
import io
import pathlib
import zipfile
from datetime import date, datetime, time

import pytest
from lxml import etree

openpyxl = pytest.importorskip("openpyxl")

ROOT = pathlib.Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("kf_xlsx", ROOT / "kf_customer_service" / "tools" / "kf_xlsx.py")
kf_xlsx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(kf_xlsx)


def _book(build):
    buffer = io.BytesIO()
    book = kf_xlsx.Workbook(buffer)
    build(book)
    book.close()
    return buffer.getvalue()


def _load(data):
    return openpyxl.load_workbook(io.BytesIO(data))


def test_values_types_and_formats():
    def build(book):
        header = book.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "valign": "vcenter"})
        day = book.add_format({"num_format": "yyyy-mm-dd"})
        pct = book.add_format({"num_format": "0.0%"})
        sheet = book.add_sheet(
            "Data", [("Text", 20), ("Date", 12, day), ("Number", 10), ("Ratio", 10, pct)], header_format=header
        )
        sheet.append(["plain", date(2026, 10, 31), 3, 0.25])
        sheet.append(["=SUM(A1:A2)", datetime(2026, 1, 2, 12, 0), 1.5, None])
        sheet.append(["", None, False, True])
        sheet.append([" padded ", date(1900, 3, 1), -7, 1e-9])
        sheet.append(["x" * 40_000, None, float("nan"), None])

    book = _load(_book(build))
    assert book.sheetnames == ["Data"]
    sheet = book["Data"]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["Text", "Date", "Number", "Ratio"]
    assert rows[1] == ["plain", datetime(2026, 10, 31), 3, 0.25]
    # a text is never a formula
    assert rows[2][0] == "=SUM(A1:A2)"
    assert sheet["A3"].data_type == "s"
    assert rows[2][1] == datetime(2026, 1, 2, 12, 0)
    assert rows[2][2] == 1.5
    assert rows[3] == [None, None, None, True]
    assert rows[4] == [" padded ", datetime(1900, 3, 1), -7, 1e-9]
    # texts cut at the spreadsheet limit, NaN left empty
    assert rows[5] == ["x" * kf_xlsx.MAX_TEXT, None, None, None]
    assert sheet["B2"].number_format == "yyyy-mm-dd"
    assert sheet["D2"].number_format == "0.0%"
    assert sheet["A1"].font.b
    assert sheet["A1"].fill.fgColor.rgb == "FFD9E1F2"
    assert sheet["A1"].border.left.style == "thin"
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width == 20
    assert sheet.auto_filter.ref == "A1:D6"


def test_escaping_and_illegal_characters():
    text = 'a < b & c > "d" \x00\x01\x0b\x1f tab\there\nline 中文 😀'

    def build(book):
        sheet = book.add_sheet("Esc", [("<&>", 10)])
        sheet.append([text])

    data = _book(build)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.endswith((".xml", ".rels")):
                etree.fromstring(archive.read(name))  # well-formed XML
    rows = list(_load(data)["Esc"].iter_rows(values_only=True))
    assert rows[0] == ("<&>",)
    assert rows[1] == ('a < b & c > "d"  tab\there\nline 中文 😀',)


def test_several_sheets_names_and_row_formats():
    def build(book):
        bold = book.add_format({"bold": True, "top": 1})
        first = book.add_sheet("By Customer", [("Who", 10), ("Count", 8)])
        first.append(["Aurora", 3])
        first.append(["Total", 3], formats={0: bold, 1: bold})
        book.add_sheet("By Customer", [("Who", 10)]).append(["second"])
        book.add_sheet("a/b[c]:d*e?f\\g" + "x" * 40, [], freeze_header=False).append([1, 2, 3])

    book = _load(_book(build))
    assert book.sheetnames == ["By Customer", "By Customer (2)", "a_b_c__d_e_f_gxxxxxxxxxxxxxxxxx"]
    first = book["By Customer"]
    assert [c.font.b for c in first[3]] == [True, True]
    assert first["A3"].border.top.style == "thin"
    assert not first["A2"].font.b
    assert list(book["By Customer (2)"].iter_rows(values_only=True)) == [("Who",), ("second",)]
    last = book.worksheets[2]
    assert last.freeze_panes is None
    assert list(last.iter_rows(values_only=True)) == [(1, 2, 3)]


def test_closed_sheet_and_empty_book():
    buffer = io.BytesIO()
    book = kf_xlsx.Workbook(buffer)
    first = book.add_sheet("One", [("A", 5)])
    book.add_sheet("Two", [("B", 5)])
    with pytest.raises(ValueError, match="closed"):
        first.append(["late"])
    with pytest.raises(ValueError, match="format keys"):
        book.add_format({"colour": "red"})
    with pytest.raises(ValueError, match="RGB"):
        book.add_format({"bg_color": "blue"})
    book.close()
    assert _load(buffer.getvalue()).sheetnames == ["One", "Two"]
    empty = io.BytesIO()
    kf_xlsx.Workbook(empty).close()
    assert _load(empty.getvalue()).sheetnames == ["Sheet1"]


def test_same_spec_same_style_and_helpers():
    book = kf_xlsx.Workbook(io.BytesIO())
    assert book.add_format({"bold": True}) == book.add_format({"bold": True, "text_wrap": False})
    assert book.add_format({}) == 0
    assert book.format_spec(book.add_format({"num_format": "0.00"})) == {"num_format": "0.00"}
    assert [kf_xlsx.column_letter(i) for i in (0, 25, 26, 701, 702, 16383)] == ["A", "Z", "AA", "ZZ", "AAA", "XFD"]
    assert kf_xlsx.clean_text("ok") == "ok"
    book.close()


def test_many_rows_stream():
    def build(book):
        sheet = book.add_sheet("Big", [("N", 8), ("Text", 8), ("Time", 8)])
        for number in range(5000):
            sheet.append([number, f"row {number}", time(12, 0)])

    rows = list(_load(_book(build))["Big"].iter_rows(values_only=True))
    assert len(rows) == 5001
    assert rows[-1][:2] == (4999, "row 4999")


def test_title_above_header_widths_and_font_size():
    """A sheet laid out by hand: a title in a larger font, a blank row, then
    the header; column widths given apart from the header; custom number
    formats; a styled blank cell and a cell with no style at all."""

    def build(book):
        title = book.add_format({"bold": True, "font_size": 13})
        header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        number = book.add_format({"num_format": "0.##", "border": 1})
        sheet = book.add_sheet("2026-03", widths=[16, 32, None, 11], freeze_header=False, autofilter=False)
        sheet.append(["Statement 2026-03"], formats=[title])
        sheet.append([])
        sheet.append(["Ref", "Part", "Opening", "Closing"], formats=[header] * 4)
        sheet.append(["P-1", "Valve", 2.5, None], formats=[None, None, number, number])
        sheet.append([None, "Total", 2.5, None], formats=[0, header, header, 0])

    book = _load(_book(build))
    sheet = book["2026-03"]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows == [
        ["Statement 2026-03", None, None, None],
        [None, None, None, None],
        ["Ref", "Part", "Opening", "Closing"],
        ["P-1", "Valve", 2.5, None],
        [None, "Total", 2.5, None],
    ]
    assert sheet["A1"].font.b
    assert sheet["A1"].font.sz == 13
    assert sheet["A3"].font.sz == 11
    assert sheet["C3"].fill.fgColor.rgb == "FFDDEBF7"
    assert sheet["C4"].number_format == "0.##"
    assert sheet["D4"].border.left.style == "thin"
    assert sheet["A5"].border.left.style is None
    assert sheet["B5"].font.b
    assert sheet.column_dimensions["A"].width == 16
    assert sheet.column_dimensions["B"].width == 32
    assert sheet.column_dimensions["D"].width == 11
    assert sheet.freeze_panes is None
    assert sheet.auto_filter.ref is None


def test_widths_dict_and_header_columns_together():
    def build(book):
        sheet = book.add_sheet("W", [("A", 12), ("B", None)], widths={1: 30, 3: 8}, autofilter=False)
        sheet.append(["x", "y", None, "z"])

    sheet = _load(_book(build))["W"]
    assert sheet.column_dimensions["A"].width == 12
    assert sheet.column_dimensions["B"].width == 30
    assert sheet.column_dimensions["D"].width == 8
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref is None


def test_font_size_checked():
    book = kf_xlsx.Workbook(io.BytesIO())
    for size in ("big", 0.5, 500, True):
        with pytest.raises(ValueError, match="font size"):
            book.add_format({"font_size": size})
    assert book.format_spec(book.add_format({"font_size": 13})) == {"font_size": 13}
    book.close()
