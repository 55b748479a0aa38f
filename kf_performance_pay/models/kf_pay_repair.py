from collections import defaultdict

from odoo import api, models


class KfPayStatement(models.Model):
    _inherit = "kf.pay.statement"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _kf_pay_sources(self):
        return [*super()._kf_pay_sources(), "_kf_pay_items_repair"]

    @api.model
    def _kf_repair_forms_domain(self, period):
        """Current feedback forms reviewed in the period's window of the
        company's repair orders whose quote the customer consented, reworks
        (free) excepted."""
        return [
            ("company_id", "=", period.company.id),
            ("state", "=", "reviewed"),
            ("next_version_id", "=", False),
            ("reviewed_on", ">=", period.dt_window_from),
            ("reviewed_on", "<", period.dt_to),
            ("order_id.kf_order_type", "=", "repair"),
            ("order_id.kf_quote_state", "=", "consented"),
            ("order_id.kf_is_rework", "=", False),
        ]

    @api.model
    def _kf_repair_lines_domain(self, order_ids):
        """The quote lines the customer agreed to pay, travel excluded. With
        kf_spare_parts, a part added after consent sits on a supplementary
        quote: it counts once the customer signed that one too."""
        domain = [("order_id", "in", order_ids), ("price_id.item_type", "!=", "travel")]
        if "kf_part_quote_id" in self.env["kf.repair.quote.line"]._fields:
            domain += ["|", ("kf_part_quote_id", "=", False), ("kf_part_quote_id.state", "=", "consented")]
        return domain

    @api.model
    def _kf_pay_items_repair(self, period):
        """Repair labour: what the consented quote charged above the price
        list's floor prices (travel excluded), less the tax on that margin,
        to the order's executor on the day the manager reviewed its form."""
        forms = (
            self.env["kf.service.feedback"]
            .sudo()
            .search_read(self._kf_repair_forms_domain(period), ["order_id", "reviewed_on"], load=None)
        )
        reviewed = {}
        for form in forms:
            day = period.local_date(form["reviewed_on"])
            reviewed[form["order_id"]] = max(day, reviewed.get(form["order_id"], day))
        if not reviewed:
            return []
        lines = (
            self.env["kf.repair.quote.line"]
            .sudo()
            .search_read(
                self._kf_repair_lines_domain(list(reviewed)),
                ["order_id", "quantity", "price_unit", "floor_price"],
                load=None,
            )
        )
        margins = defaultdict(float)
        for line in lines:
            margins[line["order_id"]] += (line["price_unit"] - line["floor_price"]) * line["quantity"]
        orders = self.env["kf.dispatch.order"].sudo().browse(list(margins))
        orders.read(["name", "user_id"])
        items = []
        for order in orders:
            day = reviewed[order.id]
            rule = period.rules.rule("repair_tax_percent", day)
            tax = rule.value if rule else 0.0
            margin = margins[order.id]
            if not order.user_id or margin <= 0:
                continue
            env = order.user_id.kf_lang_env()
            items.append(
                {
                    "user_id": order.user_id.id,
                    "category": "repair_labour",
                    "name": env._("Repair %(order)s: labour above the floor prices, less tax", order=order.name),
                    "amount": margin * (1 - tax / 100.0),
                    "quantity": margin,
                    "rate": tax,
                    "rule_id": rule.id if rule else False,
                    "res_model": "kf.dispatch.order",
                    "res_ids": [order.id],
                    "source_key": f"repair:{order.id}",
                    "date_due": day,
                }
            )
        return items
