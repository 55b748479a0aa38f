from odoo import models


class PortalMixin(models.AbstractModel):
    _inherit = "portal.mixin"

    def kf_portal_attachments(self):
        """Files of this record that its customer may see on the portal: the
        record's attachments except those posted with a message the portal
        does not show (internal notes and logs, as ``mail.message`` judges
        them for a portal user). Each gets an access token so that its
        download link works on the portal; hidden files get none.

        Call it on the sudo record returned by ``_document_check_access``."""
        self.ensure_one()
        record = self.sudo()
        attachments = (
            self.env["ir.attachment"]
            .sudo()
            .search(
                [("res_model", "=", record._name), ("res_id", "=", record.id)],
                order="create_date desc, id desc",
            )
        )
        if "message_ids" in record._fields:
            hidden = record.message_ids.filtered(lambda m: m.is_internal or not m.subtype_id or m.subtype_id.internal)
            attachments -= hidden.attachment_ids
        for attachment in attachments.filtered(lambda a: not a.access_token):
            attachment.generate_access_token()
        return attachments
