"""Helpers that let two transactions doing the same work meet without failing.

Odoo runs every transaction in REPEATABLE READ: a transaction sees the
database as it was at its first query. When two runs create the same rows (the
nightly KPI cron and a manager's "Compute", two subscriptions of one partner),
the second one cannot see the rows the first committed meanwhile and its INSERT
fails on the unique index. An advisory lock makes the runs wait for each
other; a probe (an ``INSERT … ON CONFLICT DO NOTHING`` or ``SELECT … FOR
UPDATE`` rolled back at once) then tells the second run which rows were
committed after its snapshot, so that it leaves them alone instead of failing.
Probes run with ``log_exceptions=False``: the serialization error they expect
is not logged as a bad query.
"""

import hashlib

from psycopg2 import errors

from odoo.tools import SQL

# the advisory lock of follower subscriptions on KF records: one key for all of
# them, so that two transactions that each subscribe several times (per user,
# per model) never wait for each other in opposite orders (a deadlock)
FOLLOWER_LOCK_KEY = ("mail.followers", "kf")


def lock_key(*parts):
    """A stable signed 64-bit advisory-lock key for ``parts`` (the same in
    every process, unlike ``hash()``)."""
    digest = hashlib.sha256(":".join(str(part) for part in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def advisory_xact_lock(cr, *keys):
    """Wait for and take the transaction-level advisory locks ``keys``
    (tuples of parts), in a fixed order so that two runs never deadlock."""
    ids = sorted({lock_key(*key) for key in keys})
    if ids:
        cr.execute(SQL("SELECT pg_advisory_xact_lock(k) FROM unnest(%s::bigint[]) AS k ORDER BY k", ids))


def hits_concurrent_rows(cr, query, keep=False):
    """True when ``query`` (an INSERT … ON CONFLICT DO NOTHING or a SELECT …
    FOR UPDATE) meets rows committed by another transaction after this one's
    snapshot (after waiting for a transaction still in progress). The query is
    undone unless ``keep`` (to keep the row locks of a ``FOR UPDATE``)."""
    savepoint = cr.savepoint(flush=False)
    try:
        cr.execute(query, log_exceptions=False)
    except errors.SerializationFailure:
        savepoint.close(rollback=True)
        return True
    savepoint.close(rollback=not keep)
    return False


def concurrent_followers(records, partner_ids):
    """Serialise follower subscriptions on KF records (until the end of the
    transaction: take other KF locks before subscribing) and return the
    (res_id, partner_id) pairs that another transaction committed after this
    one began: they already follow, and inserting them again would fail."""
    cr = records.env.cr
    res_ids = sorted(set(records.ids))
    partner_ids = sorted(set(partner_ids))
    advisory_xact_lock(cr, FOLLOWER_LOCK_KEY)

    def probe(rids, pids):
        return SQL(
            """INSERT INTO mail_followers (res_model, res_id, partner_id)
               SELECT %s, r, p FROM unnest(%s::int[]) AS r CROSS JOIN unnest(%s::int[]) AS p
               ON CONFLICT DO NOTHING""",
            records._name,
            rids,
            pids,
        )

    if not hits_concurrent_rows(cr, probe(res_ids, partner_ids)):
        return set()
    return {(rid, pid) for rid in res_ids for pid in partner_ids if hits_concurrent_rows(cr, probe([rid], [pid]))}


def subscribe_pairs(env, res_model, pairs):
    """Make each partner of the ``(res_id, partner_id)`` pairs follow its
    record of ``res_model`` with the model's default subtypes (those Odoo gives
    an internal user's partner), in a few queries whatever the number of
    pairs. Serialised with ``concurrent_followers``; pairs that already
    follow, or that another transaction subscribes meanwhile, are left as
    they are."""
    pairs = sorted(set(pairs))
    if not pairs:
        return
    cr = env.cr
    env["mail.followers"].flush_model()
    advisory_xact_lock(cr, FOLLOWER_LOCK_KEY)
    cr.execute(
        SQL(
            """INSERT INTO mail_followers (res_model, res_id, partner_id)
               SELECT %s, r, p FROM unnest(%s::int[], %s::int[]) AS x(r, p)
               ON CONFLICT DO NOTHING
               RETURNING id""",
            res_model,
            [res_id for res_id, _pid in pairs],
            [pid for _res_id, pid in pairs],
        )
    )
    follower_ids = [row[0] for row in cr.fetchall()]
    subtypes = env["mail.message.subtype"].sudo().default_subtypes(res_model)[0]
    if follower_ids and subtypes:
        cr.execute(
            SQL(
                """INSERT INTO mail_followers_mail_message_subtype_rel (mail_followers_id, mail_message_subtype_id)
                   SELECT f, s FROM unnest(%s::int[]) AS f CROSS JOIN unnest(%s::int[]) AS s""",
                follower_ids,
                subtypes.ids,
            )
        )
    env["mail.followers"].invalidate_model()
    env[res_model].invalidate_model(["message_follower_ids", "message_partner_ids"])
