from odoo import fields, models


class ProjectProject(models.Model):
    _inherit = "project.project"

    kf_dispatch_order_ids = fields.One2many("kf.dispatch.order", "project_id", string="Work Orders")
    kf_dispatch_order_count = fields.Integer(
        string="Work Order Count",
        compute="_compute_kf_dispatch_order_count",
        groups="kf_customer_service.group_kf_clerk",
    )

    def _compute_kf_dispatch_order_count(self):
        groups = self.env["kf.dispatch.order"]._read_group(
            [("project_id", "in", self.ids)], ["project_id"], ["__count"]
        )
        counts = {project.id: count for project, count in groups}
        for project in self:
            project.kf_dispatch_order_count = counts.get(project.id, 0)

    def action_view_kf_dispatch_orders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("kf_dispatch.kf_dispatch_order_action")
        action.update(
            {
                "name": self.env._("Work Orders of %(name)s", name=self.display_name),
                "domain": [("project_id", "=", self.id)],
                "context": {"default_project_id": self.id, "default_partner_id": self.partner_id.id},
            }
        )
        return action
