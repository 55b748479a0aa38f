from odoo import api, models


class KfServiceCallback(models.Model):
    _inherit = "kf.service.callback"

    @api.model_create_multi
    def create(self, vals_list):
        callbacks = super().create(vals_list)
        callbacks._kf_stamp_commissioning()
        return callbacks

    def _kf_stamp_commissioning(self):
        """The first call-back confirming a commissioning (customer reached
        or result confirmed, on the form the manager reviewed) settles its
        fee: its company-local day is stamped on the order."""
        for callback in self.filtered(lambda c: c.outcome in ("reached", "confirmed")):
            order = callback.order_id.sudo()
            if order.kf_order_type == "commissioning" and not order.kf_pay_callback_date:
                order.write({"kf_pay_callback_date": order._kf_local_date(callback.date)})
