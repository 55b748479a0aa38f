"""Data shared by the benchmarks: contracts inserted by SQL."""

from psycopg2.extras import execute_values

BATCH = 10_000
# the columns of a contract row given to insert_contracts, in order
CONTRACT_COLUMNS = (
    "name",
    "partner_id",
    "commercial_partner_id",
    "contract_type",
    "date_start",
    "date_end",
    "company_id",
    "currency_id",
    "amount",
    "user_id",
    "state",
    "active",
    "create_uid",
    "write_uid",
)


def insert_contracts(env, rows, batch=BATCH):
    """Insert ``kf_service_contract`` rows (tuples in the order of
    ``CONTRACT_COLUMNS``) by batches, stamped now; the new ids in order."""
    env.flush_all()
    ids = []
    for start in range(0, len(rows), batch):
        ids += [
            row[0]
            for row in execute_values(
                env.cr._obj,
                f"INSERT INTO kf_service_contract ({', '.join(CONTRACT_COLUMNS)}, create_date, write_date) "
                "SELECT v.*, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC' "
                "FROM (VALUES %s) AS v RETURNING id",
                rows[start : start + batch],
                page_size=batch,
                fetch=True,
            )
        ]
    return ids
