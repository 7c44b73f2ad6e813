import functools

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

TRANSACTION_TYPES = [
    ("generate", "Generating"),
    ("hand_over", "Handing Over"),
    ("activate", "Activating"),
    ("block", "Blocking"),
    ("unblock", "Unblocking"),
    ("change_validity", "Changing Validity"),
    ("use", "Using"),
    ("remainder", "Paying Out the Remainder"),
    ("reverse", "Reversing"),
    ("group_block", "Group Blocking"),
    ("withdraw", "Withdrawing"),
]
CHANNELS = [
    ("backoffice", "Back Office"),
    ("pos", "Point of Sale"),
    ("panel", "Redemption Panel"),
    ("api", "API"),
    ("system", "System"),
]
# Settling a waiting row is the only change a row may ever see.
_SETTLE = object()
# The columns of a row and their SQL types, for the one writer of rows.
ROW_COLUMNS = {
    "voucher_id": "int4",
    "company_id": "int4",
    "type": "varchar",
    "state": "varchar",
    "date": "timestamp",
    "amount": "numeric",
    "bill_ref": "varchar",
    "bill_amount": "numeric",
    "cash_point_serial": "varchar",
    "zeroing_number": "varchar",
    "store_id": "int4",
    "user_id": "int4",
    "channel": "varchar",
    "idempotency_key": "varchar",
    "reason": "varchar",
    "valid_from": "date",
    "valid_to": "date",
    "origin_id": "int4",
}


@functools.lru_cache(maxsize=64)
def _rows_statement(columns, single):
    """The INSERT of chronology rows for these columns (of :data:`ROW_COLUMNS`),
    one value (``single``) or one array per column as parameters. Built once
    per set of columns: the express lane writes a row at every redemption."""
    names = ", ".join(f'"{name}"' for name in columns)
    values = ", ".join(
        "COALESCE(r.company_id, (SELECT v.company_id FROM vms_voucher v WHERE v.id = r.voucher_id))"
        if name == "company_id"
        else f'r."{name}"'
        for name in columns
    )
    if single:
        casts = ", ".join(f"%s::{ROW_COLUMNS[name]}" for name in columns)
        source, order = f"(VALUES ({casts})) AS r({names})", ""
    else:
        casts = ", ".join(f"%s::{ROW_COLUMNS[name]}[]" for name in columns)
        source, order = f"unnest({casts}) WITH ORDINALITY AS r({names}, n)", " ORDER BY r.n"
    return (
        f"INSERT INTO vms_voucher_transaction ({names}) SELECT {values} FROM {source}{order} "
        "RETURNING id"
    )


class VmsVoucherTransaction(models.Model):
    """The chronology of a voucher: one row per operation, never edited.

    Rows are created only by the voucher's lifecycle methods (no group has
    create, write or unlink access), recorded rows are never changed, not even
    by the superuser, and a database trigger refuses UPDATE of recorded rows and
    DELETE of any row whatever the client. A correction is a new row (a
    "reverse" for a "use"). Waiting rows (a till's pending operation) are
    settled once, to recorded or canceled.
    """

    _name = "vms.voucher.transaction"
    _description = "Voucher Transaction"
    _order = "id desc"  # rows are appended in time order
    # No create/write columns: a row has its own date and operator and is never
    # written, and bulk generation spares two foreign keys per row.
    _log_access = False
    _rec_name = "type"
    _check_company_auto = True

    voucher_id = fields.Many2one("vms.voucher", required=True, readonly=True, ondelete="restrict")
    campaign_id = fields.Many2one(related="voucher_id.campaign_id", string="Campaign")
    company_id = fields.Many2one("res.company", required=True, readonly=True, ondelete="restrict")
    type = fields.Selection(TRANSACTION_TYPES, required=True, readonly=True)
    state = fields.Selection(
        [("recorded", "Recorded"), ("waiting", "Waiting"), ("canceled", "Canceled")],
        required=True,
        readonly=True,
        default="recorded",
    )
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    currency_id = fields.Many2one(related="voucher_id.currency_id")
    amount = fields.Monetary(readonly=True, currency_field="currency_id")
    bill_ref = fields.Char(string="Bill", readonly=True)
    bill_amount = fields.Monetary(readonly=True, currency_field="currency_id")
    cash_point_serial = fields.Char(readonly=True)
    zeroing_number = fields.Char(readonly=True, help="Z report number of the till.")
    store_id = fields.Many2one("res.company", readonly=True, ondelete="restrict")
    user_id = fields.Many2one("res.users", string="Operator", readonly=True, ondelete="restrict")
    channel = fields.Selection(CHANNELS, readonly=True, default="backoffice")
    idempotency_key = fields.Char(readonly=True, copy=False)
    reason = fields.Char(readonly=True)
    valid_from = fields.Date(readonly=True, help="Validity set by this operation.")
    valid_to = fields.Date(readonly=True, help="Validity set by this operation.")
    origin_id = fields.Many2one(
        "vms.voucher.transaction",
        string="Reversed Operation",
        readonly=True,
        index="btree_not_null",
    )
    reversal_ids = fields.One2many("vms.voucher.transaction", "origin_id", readonly=True)

    # A retried request finds its first row through this key (invariant 3).
    _idempotency_key_unique = models.UniqueIndex(
        "(idempotency_key) WHERE idempotency_key IS NOT NULL",
        "This idempotency key was already used.",
    )
    _voucher_date_idx = models.Index("(voucher_id, id)")

    def init(self):
        # Append-only also for SQL clients, not only for the ORM.
        self.env.cr.execute(
            """
            CREATE OR REPLACE FUNCTION vms_voucher_transaction_append_only()
            RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    RAISE EXCEPTION 'vms_voucher_transaction rows are never deleted';
                END IF;
                IF OLD.state <> 'waiting' THEN
                    RAISE EXCEPTION 'vms_voucher_transaction row % is % and cannot change',
                        OLD.id, OLD.state;
                END IF;
                RETURN NEW;
            END $$;
            DROP TRIGGER IF EXISTS vms_voucher_transaction_append_only
                ON vms_voucher_transaction;
            CREATE TRIGGER vms_voucher_transaction_append_only
                BEFORE UPDATE OR DELETE ON vms_voucher_transaction
                FOR EACH ROW EXECUTE FUNCTION vms_voucher_transaction_append_only();
            """
        )

    @api.model
    def _vms_rows_sql(self, vals_list):
        """The INSERT of chronology rows (``RETURNING id``, in the order given):
        the one way rows are written, by the voucher's lifecycle methods, the
        express lane (inside its own statement) and bulk generation alike.

        Each dict holds the columns of :data:`ROW_COLUMNS`; ``voucher_id`` and
        ``type`` are required; the row belongs to the voucher's company and is
        recorded now, at the current store, by the current user, unless said
        otherwise.
        """
        defaults = {
            "state": "recorded",
            "date": fields.Datetime.now(),
            "store_id": self.env["res.company"]._vms_current().id,
            "user_id": self.env.uid,
            "channel": "backoffice",
        }
        for vals in vals_list:
            unknown = set(vals) - ROW_COLUMNS.keys()
            if unknown or not {"voucher_id", "type"} <= vals.keys():
                raise UserError(_("A chronology row needs its voucher and its type."))
        # Only the columns some row sets (and the defaults): a short statement
        # plans fast, which counts on the express lane.
        given = set(defaults).union(*vals_list)
        columns = tuple(name for name in ROW_COLUMNS if name in given or name == "company_id")
        if len(vals_list) == 1:
            row = {**defaults, **vals_list[0]}
            params = [row.get(name) or None for name in columns]
        else:
            params = [
                [(vals.get(name, defaults.get(name)) or None) for vals in vals_list]
                for name in columns
            ]
        return SQL(_rows_statement(columns, len(vals_list) == 1), *params)

    @api.model
    def _vms_append(self, vals_list):
        """Write chronology rows (see :meth:`_vms_rows_sql`); returns them."""
        if not vals_list:
            return self.browse()
        self.env.cr.execute(self._vms_rows_sql(vals_list))
        ids = [row[0] for row in self.env.cr.fetchall()]
        self._vms_forget_rows()
        return self.browse(ids)

    @api.model
    def _vms_forget_rows(self):
        """Rows were written with SQL: drop what the ORM cached of them."""
        self.invalidate_model()
        self.env["vms.voucher"].invalidate_model(["transaction_ids", "transaction_count"])

    @api.model_create_multi
    def create(self, vals_list):
        self.check_access("create")  # the ACL refuses first, for everyone but sudo
        if vals_list:
            raise UserError(
                _(
                    "Chronology rows are written by the voucher operations themselves; "
                    "they cannot be created by hand."
                )
            )
        return super().create(vals_list)

    def write(self, vals):
        self.check_access("write")  # the ACL refuses first, for everyone but sudo
        settling = self.env.context.get("vms_settle") is _SETTLE
        if not settling or set(vals) - {"state"} or any(r.state != "waiting" for r in self):
            raise UserError(
                _(
                    "The chronology of a voucher is never edited; corrections are new rows "
                    "(for instance a reversal)."
                )
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(_("The chronology of a voucher is never deleted."))

    def copy(self, default=None):
        if self:
            raise UserError(_("Chronology rows cannot be duplicated."))
        return super().copy(default)

    def _vms_settle(self, state):
        """Settle waiting rows (a till's pending operation) once."""
        if state not in ("recorded", "canceled"):
            raise UserError(_("A waiting row is settled as recorded or canceled."))
        # sudo: no group may write rows; this is the one change allowed, and
        # write() checks it is made on waiting rows and on the state only.
        return self.sudo().with_context(vms_settle=_SETTLE).write({"state": state})
