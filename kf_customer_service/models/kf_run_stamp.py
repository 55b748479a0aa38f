from odoo import api, fields, models
from odoo.tools import SQL

from .kf_concurrency import advisory_xact_lock, hits_concurrent_rows


class KfRunStamp(models.Model):
    """The period a company's periodic job (a daily list, a weekly list, a
    monthly reminder) was last done for: one row per job and company. Two
    runs of a job meet on this row (lock and probe) instead of on the
    company's own row, which every insert of a company's records reads: a
    stamp written there makes those concurrent inserts fail."""

    _name = "kf.run.stamp"
    _description = "Scheduled job stamp"
    _rec_name = "key"

    key = fields.Char("Job Key", required=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, ondelete="cascade", index=True)
    date_done = fields.Date("Done For", readonly=True)

    _sql_constraints = [
        ("kf_run_stamp_key_company_unique", "UNIQUE(key, company_id)", "One stamp per job and company."),
    ]

    @api.model
    def kf_done_companies(self, key, period):
        """The companies whose job ``key`` is done for ``period`` or later."""
        self.flush_model()
        self.env.cr.execute(SQL("SELECT company_id FROM kf_run_stamp WHERE key = %s AND date_done >= %s", key, period))
        return self.env["res.company"].browse(row[0] for row in self.env.cr.fetchall())

    @api.model
    def kf_claim(self, key, company, period):
        """True when this transaction is to do the job ``key`` of ``period``
        (a date: the day, the week's Monday, the month's first day) for
        ``company``; the stamp then says so, and the rest of the
        transaction does the job. False when the job is done for that
        period, or when a concurrent run did it after this transaction
        began (its work is invisible here: doing it again would double it).
        The runs wait for each other on an advisory lock until the end of
        the transaction."""
        cr = self.env.cr
        self.flush_model()
        advisory_xact_lock(cr, (self._name, key, company.id))
        create = SQL(
            """INSERT INTO kf_run_stamp (key, company_id, create_uid, create_date, write_uid, write_date)
               VALUES (%s, %s, %s, now() at time zone 'UTC', %s, now() at time zone 'UTC')
               ON CONFLICT (key, company_id) DO NOTHING""",
            key,
            company.id,
            self.env.uid,
            self.env.uid,
        )
        lock = SQL("SELECT id FROM kf_run_stamp WHERE key = %s AND company_id = %s FOR UPDATE", key, company.id)
        for probe in (create, lock):
            if hits_concurrent_rows(cr, probe, keep=True):
                return False
        cr.execute(
            SQL(
                """UPDATE kf_run_stamp SET date_done = %s, write_uid = %s, write_date = now() at time zone 'UTC'
                   WHERE key = %s AND company_id = %s AND (date_done IS NULL OR date_done < %s)""",
                period,
                self.env.uid,
                key,
                company.id,
                period,
            )
        )
        self.invalidate_model()
        return bool(cr.rowcount)
