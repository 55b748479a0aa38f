from odoo import models

from .kf_concurrency import concurrent_followers


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    def message_subscribe(self, partner_ids=None, subtype_ids=None):
        """Skipped under ``kf_followers_subscribed`` (see ``_message_subscribe``)."""
        if self.env.context.get("kf_followers_subscribed") and not subtype_ids:
            return True
        return super().message_subscribe(partner_ids, subtype_ids)

    def _message_subscribe(self, partner_ids=None, subtype_ids=None, customer_ids=None):
        """On KF records, two transactions may subscribe the same partner at
        the same time (two scans giving the same specialist an activity on the
        same contract, a cron and a user's button): the later one waits for the
        earlier and skips the pairs it committed, instead of failing on the
        unique index of mail_followers. Other models are left as Odoo makes
        them. ``kf_create_activities`` subscribes its users beforehand, all at
        once, and creates the activities with ``kf_followers_subscribed``:
        mail.activity's own subscriptions, user by user, are then skipped."""
        if self.env.context.get("kf_followers_subscribed") and not subtype_ids:
            return True
        if not self._name.startswith("kf.") or not self or not partner_ids:
            return super()._message_subscribe(partner_ids, subtype_ids, customer_ids)
        done = concurrent_followers(self, partner_ids)
        if not done:
            return super()._message_subscribe(partner_ids, subtype_ids, customer_ids)
        for record in self:
            pids = [pid for pid in partner_ids if (record.id, pid) not in done]
            if pids:
                super(MailThread, record)._message_subscribe(pids, subtype_ids, customer_ids)
        return True

    def _creation_message(self):
        """The chatter's creation message of a KF record names the record's
        model in the same language as the rest of the message (Odoo reads the
        model's name in the context's language but may translate the sentence
        in the user's, e.g. in data files loaded without a language)."""
        if not self._name.startswith("kf."):
            return super()._creation_message()
        self.ensure_one()
        lang = self.env.lang or self.env.user.lang
        env = self.env(context=dict(self.env.context, lang=lang)) if lang != self.env.lang else self.env
        model_name = self.env["ir.model"].with_env(env)._get(self._name).name
        return env._("%(document)s created", document=model_name)
