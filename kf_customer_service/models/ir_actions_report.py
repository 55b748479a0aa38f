import functools
import io
import logging
import subprocess

from reportlab.pdfgen import canvas

from odoo import api, models
from odoo.tools.pdf import PdfFileReader, PdfFileWriter

from odoo.addons.base.models.ir_actions_report import _get_wkhtmltopdf_bin

_logger = logging.getLogger(__name__)


@functools.cache
def wkhtmltopdf_prints_headers():
    """Whether the wkhtmltopdf binary prints HTML headers and footers: only
    builds against wkhtmltopdf's patched Qt do ("with patched qt" in their
    version); Debian's package does not."""
    try:
        out = subprocess.run(
            [_get_wkhtmltopdf_bin(), "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return "patched qt" in out.lower()


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    @api.model
    def kf_layout_in_body(self):
        """True when KF reports print the company letterhead in their body and
        get their page numbers stamped afterwards, because wkhtmltopdf
        ignores the layout's header and footer."""
        return not wkhtmltopdf_prints_headers()

    def _run_wkhtmltopdf(
        self,
        bodies,
        report_ref=False,
        header=None,
        footer=None,
        landscape=False,
        specific_paperformat_args=None,
        set_viewport_size=False,
    ):
        pdf = super()._run_wkhtmltopdf(
            bodies,
            report_ref=report_ref,
            header=header,
            footer=footer,
            landscape=landscape,
            specific_paperformat_args=specific_paperformat_args,
            set_viewport_size=set_viewport_size,
        )
        report = self._get_report(report_ref) if report_ref else self
        if report[:1].report_name and report[:1].report_name.startswith("kf_") and self.kf_layout_in_body():
            pdf = self._kf_stamp_page_numbers(pdf)
        return pdf

    @api.model
    def _kf_stamp_page_numbers(self, pdf):
        """``pdf`` with "page / pages" centred at the foot of each page."""
        try:
            reader = PdfFileReader(io.BytesIO(pdf), strict=False, overwriteWarnings=False)
            count = len(reader.pages)
            packet = io.BytesIO()
            can = canvas.Canvas(packet)
            for index in range(count):
                box = reader.pages[index].mediabox
                width, height = float(abs(box.width)), float(abs(box.height))
                can.setPageSize((width, height))
                can.setFont("Helvetica", 8)
                can.setFillGray(0.4)
                can.drawCentredString(width / 2, 18, f"{index + 1} / {count}")
                can.showPage()
            can.save()
            numbers = PdfFileReader(packet, overwriteWarnings=False)
            writer = PdfFileWriter()
            for index in range(count):
                page = reader.pages[index]
                page.merge_page(numbers.pages[index])
                writer.add_page(page)
            out = io.BytesIO()
            writer.write(out)
            return out.getvalue()
        except Exception:  # a report without page numbers beats no report
            _logger.warning("could not stamp page numbers on a KF report", exc_info=True)
            return pdf
