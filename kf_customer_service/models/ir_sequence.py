from odoo import api, models


class IrSequence(models.Model):
    _inherit = "ir.sequence"

    @api.model
    def kf_make_gapless(self, codes):
        """Switch the sequences of ``codes`` (of every company) to the
        "no gap" implementation, keeping their next number: the numbers of
        legal documents must have no holes, even when a save fails and rolls
        back. Data files call it on every install and update, so databases
        whose (noupdate) sequences were created as "standard" switch too."""
        sequences = self.sudo().search([("code", "in", list(codes)), ("implementation", "!=", "no_gap")])
        for sequence in sequences:
            # read the real next numbers before the PostgreSQL sequences go
            next_number = sequence.number_next_actual
            range_numbers = {date_range: date_range.number_next_actual for date_range in sequence.date_range_ids}
            sequence.write({"implementation": "no_gap", "number_next": next_number})
            for date_range, number in range_numbers.items():
                date_range.number_next = number
        return True
