"""A small streaming XLSX writer for large exports.

Each worksheet is written row by row straight into its member of the ZIP
archive, so the memory used does not grow with the number of rows; nothing
but the standard library is imported, so it can be used (and tested) outside
Odoo. Texts are written as inline strings (no shared-string table to keep in
memory), numbers as numbers, dates and datetimes as spreadsheet serials with
the date format of their cell; texts are XML-escaped and the control
characters XML cannot carry are removed. A text is never turned into a
formula or a link.

Usage::

    book = Workbook(fileobj)  # any writable binary file object
    header = book.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet = book.add_sheet("Tickets", [("Reference", 18), ("Date", 12, day)], header_format=header)
    sheet.append(["T-0001", date(2026, 10, 1)])
    book.close()

Sheets are written one after the other: adding a sheet closes the previous
one. ``Workbook`` is also a context manager that closes the book.
"""

import math
import re
import zipfile
from datetime import date, datetime, time, timedelta

__all__ = ["MAX_COLS", "MAX_ROWS", "MAX_TEXT", "Sheet", "Workbook", "clean_text", "column_letter", "sheet_name"]

MAX_ROWS = 1_048_576
MAX_COLS = 16_384
# characters of a cell's text (spreadsheet applications refuse longer ones)
MAX_TEXT = 32_767
# rows joined and written to the archive at once
FLUSH_ROWS = 500

_EPOCH = datetime(1899, 12, 30)
_EPOCH_DATE = _EPOCH.date()
# characters XML 1.0 cannot carry, and those that must be escaped
_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SPECIAL_RE = re.compile('[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff&<>"]')
_SHEET_NAME_RE = re.compile(r"[\[\]:*?/\\]")
_SPACES = " \t\n\r"
_SELECTED = ' tabSelected="1"'
# number formats with a built-in id in every spreadsheet application
_BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10}
_VALIGN = {"top": "top", "vcenter": "center", "center": "center", "bottom": "bottom"}
_FORMAT_KEYS = {
    "bold",
    "italic",
    "font_size",
    "font_color",
    "bg_color",
    "border",
    "top",
    "num_format",
    "text_wrap",
    "align",
    "valign",
}

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT_SHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


def column_letter(index):
    """Letters of a column from its 0-based index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def clean_text(value):
    """``value`` XML-escaped, without the characters XML cannot carry."""
    if _SPECIAL_RE.search(value) is None:
        return value
    value = _ILLEGAL_RE.sub("", value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def sheet_name(name, taken=()):
    """A valid worksheet name from ``name``: without the characters a sheet
    name cannot hold, at most 31 characters, not blank, not in ``taken``
    (compared without case, as spreadsheet applications do)."""
    name = _SHEET_NAME_RE.sub("_", _ILLEGAL_RE.sub("", str(name or ""))).strip().strip("'")[:31] or "Sheet"
    lowered = {n.lower() for n in taken}
    candidate, number = name, 1
    while candidate.lower() in lowered:
        number += 1
        suffix = f" ({number})"
        candidate = name[: 31 - len(suffix)] + suffix
    return candidate


def _color(value):
    value = value.lstrip("#").upper()
    if not re.fullmatch(r"[0-9A-F]{6}", value):
        raise ValueError(f"colour {value!r} is not an RGB hex colour like #D9E1F2")
    return "FF" + value


class Sheet:
    """One worksheet being written; get it from :meth:`Workbook.add_sheet`."""

    def __init__(self, book, index, name, columns, header_format, freeze_header, autofilter, header_height, widths):
        self.book = book
        self.index = index
        self.name = name
        self.ncols = len(columns)
        if self.ncols > MAX_COLS:
            raise ValueError(f"a sheet holds at most {MAX_COLS} columns")
        self.autofilter = autofilter and bool(columns)
        # the autofilter is set when the sheet has rows below its header
        self._header_rows = 1 if columns else 0
        self.row = 0
        self.closed = False
        self._letters = [column_letter(col) for col in range(self.ncols)]
        self._styles = [self._style_attr(column[2] if len(column) > 2 else None) for column in columns]
        self._pending = []
        self._stream = book._zip.open(f"xl/worksheets/sheet{index}.xml", "w")
        head = [
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_NS}" xmlns:r="{_NS_R}">',
            f'<sheetViews><sheetView workbookViewId="0"{_SELECTED if index == 1 else ""}>',
        ]
        if freeze_header and columns:
            head.append(
                '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
            )
        head.append('</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>')
        widths = dict(enumerate(widths)) if isinstance(widths, (list, tuple)) else dict(widths or {})
        widths.update((col, column[1]) for col, column in enumerate(columns) if len(column) > 1 and column[1])
        widths = sorted((col, width) for col, width in widths.items() if width)
        if widths:
            head.append("<cols>")
            head.extend(
                f'<col min="{col + 1}" max="{col + 1}" width="{width}" customWidth="1"/>' for col, width in widths
            )
            head.append("</cols>")
        head.append("<sheetData>")
        self._stream.write("".join(head).encode())
        if columns:
            self.append([column[0] for column in columns], formats=[header_format] * self.ncols, height=header_height)

    @staticmethod
    def _style_attr(style):
        return f' s="{style}"' if style else ""

    def append(self, values, formats=None, height=None):
        """Write the next row.

        ``values``: texts, numbers, booleans, dates, datetimes or empty values
        (None, False, ""); any other value is written as its text.
        ``formats``: the format of some cells instead of their column's, as a
        list (one per cell, None for the column's) or a dict {column: format}.
        ``height``: the row height in points."""
        if self.closed:
            raise ValueError(f"sheet {self.name!r} is closed: write a sheet's rows before adding the next one")
        if self.row >= MAX_ROWS:
            raise ValueError(f"a sheet holds at most {MAX_ROWS} rows")
        self.row += 1
        r = str(self.row)
        styles = self._styles
        if formats:
            styles = list(styles)
            pairs = formats.items() if isinstance(formats, dict) else enumerate(formats)
            for col, style in pairs:
                if style is not None:
                    while col >= len(styles):
                        styles.append("")
                    styles[col] = self._style_attr(style)
        letters = self._letters
        if len(values) > len(letters):
            if len(values) > MAX_COLS:
                raise ValueError(f"a sheet holds at most {MAX_COLS} columns")
            letters.extend(column_letter(col) for col in range(len(letters), len(values)))
        nstyles = len(styles)
        row = [f'<row r="{r}" ht="{height}" customHeight="1">' if height else f'<row r="{r}">']
        add = row.append
        for col, value in enumerate(values):
            style = styles[col] if col < nstyles else ""
            kind = type(value)
            if kind is str:
                if value:
                    if len(value) > MAX_TEXT:
                        value = value[:MAX_TEXT]
                    if _SPECIAL_RE.search(value) is not None:
                        value = clean_text(value)
                    if value[0] in _SPACES or value[-1] in _SPACES:
                        add(
                            f'<c r="{letters[col]}{r}"{style} t="inlineStr">'
                            f'<is><t xml:space="preserve">{value}</t></is></c>'
                        )
                    else:
                        add(f'<c r="{letters[col]}{r}"{style} t="inlineStr"><is><t>{value}</t></is></c>')
                elif style:
                    add(f'<c r="{letters[col]}{r}"{style}/>')
            elif kind is float:
                if math.isfinite(value):
                    add(f'<c r="{letters[col]}{r}"{style}><v>{value!r}</v></c>')
                elif style:
                    add(f'<c r="{letters[col]}{r}"{style}/>')
            elif kind is int:
                add(f'<c r="{letters[col]}{r}"{style}><v>{value}</v></c>')
            elif value is None or value is False:
                if style:
                    add(f'<c r="{letters[col]}{r}"{style}/>')
            elif kind is date:
                add(f'<c r="{letters[col]}{r}"{style}><v>{self.book.serial(value)}</v></c>')
            elif value is True:
                add(f'<c r="{letters[col]}{r}"{style} t="b"><v>1</v></c>')
            else:
                self._add_other(add, f"{letters[col]}{r}", style, value)
        if len(row) == 1 and not height:
            return  # an empty row is not written
        add("</row>")
        self._pending.append("".join(row))
        if len(self._pending) >= FLUSH_ROWS:
            self._flush()

    def _add_other(self, add, ref, style, value):
        """Cells of the less common types (datetime, time, subclasses)."""
        if isinstance(value, datetime):
            delta = value.replace(tzinfo=None) - _EPOCH
            serial = delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
            add(f'<c r="{ref}"{style}><v>{serial!r}</v></c>')
        elif isinstance(value, date):
            add(f'<c r="{ref}"{style}><v>{(value - _EPOCH_DATE).days}</v></c>')
        elif isinstance(value, time):
            seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
            add(f'<c r="{ref}"{style}><v>{seconds / 86400!r}</v></c>')
        elif isinstance(value, timedelta):
            add(f'<c r="{ref}"{style}><v>{value.total_seconds() / 86400!r}</v></c>')
        elif isinstance(value, bool):
            add(f'<c r="{ref}"{style} t="b"><v>{int(value)}</v></c>')
        elif isinstance(value, (int, float)):
            if math.isfinite(value):
                add(f'<c r="{ref}"{style}><v>{value!r}</v></c>')
        else:
            text = clean_text(str(value)[:MAX_TEXT])
            if text:
                add(f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>')

    def _flush(self):
        if self._pending:
            self._stream.write("".join(self._pending).encode())
            self._pending = []

    def close(self):
        """Finish the sheet (called by the next ``add_sheet`` and by ``Workbook.close``)."""
        if self.closed:
            return
        self._flush()
        tail = ["</sheetData>"]
        if self.has_filter:
            tail.append(f'<autoFilter ref="{self.filter_range}"/>')
        tail.append('<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>')
        tail.append("</worksheet>")
        self._stream.write("".join(tail).encode())
        self._stream.close()
        self.closed = True

    @property
    def has_filter(self):
        return self.autofilter and self.row > self._header_rows

    @property
    def filter_range(self):
        return f"A1:{column_letter(self.ncols - 1)}{self.row}"


class Workbook:
    """An XLSX workbook written to ``fileobj`` (a writable binary file
    object; seekable or not)."""

    def __init__(self, fileobj, compresslevel=1):
        # level 1: a third of the time of the default level, files ~15 % larger
        self._zip = zipfile.ZipFile(fileobj, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel)
        self.sheets = []
        self._formats = []  # format specs, style id = position + 1
        self._format_ids = {}
        self._serials = {}
        self.closed = False

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.close()

    def add_format(self, spec=None):
        """The style id of a cell format, to give to ``add_sheet``/``append``.

        ``spec`` keys: bold, italic, font_size (points, 11 by default),
        font_color and bg_color ("#RRGGBB"),
        border (thin on all sides), top (thin top border), num_format (e.g.
        "yyyy-mm-dd", "0.00", "#,##0.00", "0.0%"), text_wrap, align
        ("left", "center", "right"), valign ("top", "vcenter", "bottom").
        The same spec gives the same id."""
        spec = {key: value for key, value in (spec or {}).items() if value not in (None, False, "")}
        unknown = set(spec) - _FORMAT_KEYS
        if unknown:
            raise ValueError(f"unknown format keys: {', '.join(sorted(unknown))}")
        for key in ("font_color", "bg_color"):
            if key in spec:
                _color(spec[key])
        size = spec.get("font_size")
        if size is not None and (isinstance(size, bool) or not isinstance(size, (int, float)) or not 1 <= size <= 409):
            raise ValueError(f"font size {size!r} is not a number of points between 1 and 409")
        if not spec:
            return 0
        key = tuple(sorted(spec.items()))
        if key not in self._format_ids:
            self._formats.append(spec)
            self._format_ids[key] = len(self._formats)
        return self._format_ids[key]

    def format_spec(self, style):
        """The spec a style id was made from (a copy)."""
        return dict(self._formats[style - 1]) if style else {}

    def add_sheet(
        self,
        name,
        columns=(),
        header_format=None,
        freeze_header=True,
        autofilter=True,
        header_height=None,
        widths=None,
    ):
        """Start a new worksheet (and finish the previous one).

        ``columns``: (header, width[, format]) per column; the header row is
        written at once (frozen and with an autofilter unless told not to),
        the format is the default of the column's cells. Without columns,
        the sheet has no header and every row is written by ``append``.
        ``widths``: column widths, as a list (one per column from the first,
        None for the default) or a dict {column: width}; for a sheet whose
        header is not its first row (a title above it), or to widen columns
        ``columns`` does not list. A row written without any cell (e.g.
        ``append([])``) is left blank.
        ``name`` is made valid (see :func:`sheet_name`)."""
        if self.closed:
            raise ValueError("the workbook is closed")
        if self.sheets:
            self.sheets[-1].close()
        name = sheet_name(name, [sheet.name for sheet in self.sheets])
        sheet = Sheet(
            self,
            len(self.sheets) + 1,
            name,
            list(columns),
            header_format,
            freeze_header,
            autofilter,
            header_height,
            widths,
        )
        self.sheets.append(sheet)
        return sheet

    def serial(self, value):
        """The spreadsheet serial number of a date, computed once per date."""
        serial = self._serials.get(value)
        if serial is None:
            serial = self._serials[value] = (value - _EPOCH_DATE).days
        return serial

    def close(self):
        """Finish the last sheet and write the workbook's parts."""
        if self.closed:
            return
        if not self.sheets:
            self.add_sheet("Sheet1")
        self.sheets[-1].close()
        write = self._zip.writestr
        write("[Content_Types].xml", self._content_types())
        write("_rels/.rels", self._root_rels())
        write("docProps/app.xml", self._app())
        write("xl/workbook.xml", self._workbook())
        write("xl/_rels/workbook.xml.rels", self._workbook_rels())
        write("xl/styles.xml", self._styles())
        self._zip.close()
        self.closed = True

    # ------------------------------------------------------------ parts
    def _content_types(self):
        sheets = "".join(
            f'<Override PartName="/xl/worksheets/sheet{s.index}.xml" ContentType="{_CT_SHEET}"/>' for s in self.sheets
        )
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            '<Override PartName="/docProps/app.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
            f"{sheets}</Types>"
        )

    @staticmethod
    def _root_rels():
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'extended-properties" Target="docProps/app.xml"/>'
            "</Relationships>"
        )

    @staticmethod
    def _app():
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
            "<Application>KF</Application></Properties>"
        )

    def _workbook(self):
        sheets = "".join(
            f'<sheet name="{clean_text(s.name)}" sheetId="{s.index}" r:id="rId{s.index}"/>' for s in self.sheets
        )
        names = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{s.index - 1}" hidden="1">'
            f"'{clean_text(s.name.replace(chr(39), chr(39) * 2))}'!{self._absolute(s.filter_range)}</definedName>"
            for s in self.sheets
            if s.has_filter
        )
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<workbook xmlns="{_NS}" xmlns:r="{_NS_R}">'
            '<bookViews><workbookView activeTab="0"/></bookViews>'
            f"<sheets>{sheets}</sheets>" + (f"<definedNames>{names}</definedNames>" if names else "") + "</workbook>"
        )

    @staticmethod
    def _absolute(cell_range):
        return ":".join(re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", ref) for ref in cell_range.split(":"))

    def _workbook_rels(self):
        rels = "".join(
            f'<Relationship Id="rId{s.index}" Type="{_REL}/worksheet" Target="worksheets/sheet{s.index}.xml"/>'
            for s in self.sheets
        )
        styles_id = len(self.sheets) + 1
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{_PKG_REL}">{rels}'
            f'<Relationship Id="rId{styles_id}" Type="{_REL}/styles" Target="styles.xml"/>'
            "</Relationships>"
        )

    def _styles(self):
        num_formats, fonts, fills, borders = {}, ['<font><sz val="11"/><name val="Calibri"/></font>'], [], []
        fills = ['<fill><patternFill patternType="none"/></fill>', '<fill><patternFill patternType="gray125"/></fill>']
        borders = ["<border><left/><right/><top/><bottom/><diagonal/></border>"]
        xfs = ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>']

        def index(items, item):
            if item not in items:
                items.append(item)
            return items.index(item)

        for spec in self._formats:
            code = spec.get("num_format", "General")
            num_id = _BUILTIN_FORMATS.get(code)
            if num_id is None:
                num_id = num_formats.setdefault(code, 164 + len(num_formats))
            font = (
                "<font>"
                + ("<b/>" if spec.get("bold") else "")
                + ("<i/>" if spec.get("italic") else "")
                + f'<sz val="{spec.get("font_size", 11)}"/>'
                + (f'<color rgb="{_color(spec["font_color"])}"/>' if spec.get("font_color") else "")
                + '<name val="Calibri"/></font>'
            )
            fill = (
                f'<fill><patternFill patternType="solid"><fgColor rgb="{_color(spec["bg_color"])}"/>'
                '<bgColor indexed="64"/></patternFill></fill>'
                if spec.get("bg_color")
                else fills[0]
            )
            thin = '<{0} style="thin"><color auto="1"/></{0}>'
            sides = ["left", "right", "top", "bottom"] if spec.get("border") else ["top"] if spec.get("top") else []
            border = (
                "<border>"
                + "".join(
                    thin.format(side) if side in sides else f"<{side}/>" for side in ("left", "right", "top", "bottom")
                )
                + "<diagonal/></border>"
            )
            align = {}
            if spec.get("text_wrap"):
                align["wrapText"] = "1"
            if spec.get("align"):
                align["horizontal"] = spec["align"]
            if spec.get("valign"):
                align["vertical"] = _VALIGN.get(spec["valign"], spec["valign"])
            attrs = (
                f'numFmtId="{num_id}" fontId="{index(fonts, font)}" fillId="{index(fills, fill)}" '
                f'borderId="{index(borders, border)}" xfId="0"'
            )
            applied = "".join(
                f' apply{name}="1"'
                for name, used in (
                    ("NumberFormat", num_id),
                    ("Font", fonts.index(font)),
                    ("Fill", fills.index(fill)),
                    ("Border", borders.index(border)),
                    ("Alignment", align),
                )
                if used
            )
            if align:
                alignment = "".join(f' {key}="{value}"' for key, value in align.items())
                xfs.append(f"<xf {attrs}{applied}><alignment{alignment}/></xf>")
            else:
                xfs.append(f"<xf {attrs}{applied}/>")
        numfmts = "".join(
            f'<numFmt numFmtId="{num_id}" formatCode="{clean_text(code)}"/>' for code, num_id in num_formats.items()
        )
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<styleSheet xmlns="{_NS}">'
            + (f'<numFmts count="{len(num_formats)}">{numfmts}</numFmts>' if num_formats else "")
            + f'<fonts count="{len(fonts)}">{"".join(fonts)}</fonts>'
            f'<fills count="{len(fills)}">{"".join(fills)}</fills>'
            f'<borders count="{len(borders)}">{"".join(borders)}</borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        )
