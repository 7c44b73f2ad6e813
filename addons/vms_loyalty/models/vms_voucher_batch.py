import logging
from datetime import timedelta

from psycopg2.extensions import TRANSACTION_STATUS_INERROR

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..tools import codes

_logger = logging.getLogger(__name__)

# Attempts at drawing fresh codes for the rows the unique index turned down.
MAX_COLLISION_ROUNDS = 10


class VmsVoucherGenerateMixin(models.AbstractModel):
    """What a generation run needs: the voucher terms, how many and for whom.
    Shared by the wizard and the stored batch."""

    _name = "vms.voucher.generate.mixin"
    _inherit = ["vms.voucher.terms"]
    _description = "Voucher Generation Parameters"

    campaign_id = fields.Many2one("vms.campaign", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="campaign_id.company_id", store=True)
    currency_id = fields.Many2one(related="campaign_id.currency_id")
    quantity = fields.Integer()
    initial_state = fields.Selection(
        [("generated", "Generated"), ("active", "Active")],
        required=True,
        default="generated",
        help="Vouchers handed out at the till are usually generated; e-vouchers active.",
    )
    partner_ids = fields.Many2many(
        "res.partner", string="Holders", help="Personalised: one voucher per holder."
    )
    card_ids = fields.Many2many(
        "vms.card", string="Club Cards", help="One voucher per card, held by its holder."
    )

    def _vms_terms_label(self):
        return _("Vouchers of campaign %(campaign)s", campaign=self.campaign_id.display_name)

    def _vms_check_parameters(self):
        """What a run needs beyond the terms (which their own constraint checks)."""
        for spec in self:
            if spec.quantity <= 0:
                raise ValidationError(_("Generate at least one voucher."))
            if spec.campaign_id.state == "closed":
                raise UserError(
                    _(
                        "Campaign %(campaign)s is closed: no more vouchers.",
                        campaign=spec.campaign_id.display_name,
                    )
                )
            spec._vms_check_terms()
            if not (spec.redeem_barcode or spec.redeem_qr):
                raise ValidationError(
                    _("Generated vouchers are redeemed by their barcode or QR code: keep one.")
                )
            if spec.card_bound and not spec.card_ids:
                raise ValidationError(_("Vouchers bound to a card need the cards."))
            if spec.card_ids.filtered(lambda c, s=spec: c.company_id != s.company_id):
                raise ValidationError(_("The club cards belong to another company."))
            spec._vms_check_holder_limit()

    def _vms_targets(self):
        """(partner id, card id) per voucher to generate, or None for anonymous ones."""
        self.ensure_one()
        if self.card_ids:
            return [(card.partner_id.id or None, card.id) for card in self.card_ids.sorted("id")]
        if self.partner_ids:
            return [(partner.id, None) for partner in self.partner_ids.sorted("id")]
        return None

    def _vms_check_holder_limit(self):
        self.ensure_one()
        wanted = {}
        for partner_id, _card_id in self._vms_targets() or ():
            if partner_id:
                wanted[partner_id] = wanted.get(partner_id, 0) + 1
        self.env["vms.voucher"]._vms_check_holder_counts(self.campaign_id, wanted)

    def _vms_spec_values(self):
        """The parameters as values for another model of the mixin."""
        self.ensure_one()
        values = {}
        for name, field in self.env["vms.voucher.generate.mixin"]._fields.items():
            if name in models.MAGIC_COLUMNS or field.related or name in ("id", "display_name"):
                continue
            values[name] = field.convert_to_write(self[name], self)
        targets = self._vms_targets()
        if targets is not None:
            values["quantity"] = len(targets)  # personalised: one voucher per holder
        return values


class VmsVoucherBatch(models.Model):
    """One generation run: its parameters, progress and vouchers.

    The vouchers are inserted with set-based SQL (one INSERT ... SELECT FROM
    unnest() for the vouchers, one for their chronology rows) inside the ORM's
    transaction; large runs are cut in chunks by a cron job that commits after
    each chunk and shows its progress here.
    """

    _name = "vms.voucher.batch"
    _inherit = ["vms.voucher.generate.mixin"]
    _description = "Voucher Generation"
    _order = "id desc"

    name = fields.Char(compute="_compute_name")
    state = fields.Selection(
        [
            ("queued", "Queued"),
            ("running", "Running"),
            ("done", "Done"),
            ("failed", "Failed"),
        ],
        default="queued",
        required=True,
        readonly=True,
    )
    generated_count = fields.Integer(readonly=True)
    progress = fields.Float(compute="_compute_progress")
    error = fields.Text(readonly=True)
    date_done = fields.Datetime(readonly=True)
    user_id = fields.Many2one("res.users", default=lambda self: self.env.user, readonly=True)
    voucher_ids = fields.One2many("vms.voucher", "batch_id", readonly=True)

    @api.depends("campaign_id", "quantity")
    def _compute_name(self):
        for batch in self:
            batch.name = _(
                "%(campaign)s: %(quantity)s vouchers",
                campaign=batch.campaign_id.display_name,
                quantity=batch.quantity,
            )

    @api.depends("generated_count", "quantity")
    def _compute_progress(self):
        for batch in self:
            batch.progress = 100.0 * batch.generated_count / batch.quantity if batch.quantity else 0

    @api.model
    def _vms_foreground_max(self):
        """Above this many vouchers, generation runs in the background."""
        return int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("vms_loyalty.generate_foreground_max", 20000)
        )

    def _vms_generate_chunk(self, limit=None):
        """Generate up to ``limit`` of the remaining vouchers; return how many."""
        self.ensure_one()
        remaining = self.quantity - self.generated_count
        count = min(remaining, limit or remaining)
        if count <= 0:
            return 0
        targets = self._vms_targets()
        if targets is not None:
            targets = targets[self.generated_count : self.generated_count + count]
        else:
            targets = [(None, None)] * count
        self.env.flush_all()
        inserted = self._vms_insert(targets)
        self.generated_count += inserted
        if self.generated_count >= self.quantity:
            self.write({"state": "done", "date_done": fields.Datetime.now()})
        else:
            self.state = "running"
        return inserted

    def _vms_insert(self, targets):
        """Insert one voucher per (partner, card) target and its chronology rows."""
        cr = self.env.cr
        now = fields.Datetime.now()
        uid = self.user_id.id or self.env.uid
        fk_once = self._vms_check_references_once(targets, uid)
        if fk_once:
            cr.execute("SET LOCAL session_replication_role = replica")
        try:
            voucher_ids = self._vms_insert_vouchers(targets, now, uid)
            self._vms_insert_rows(voucher_ids, now, uid)
        finally:
            # Back to normal triggers for whatever else this transaction does (a
            # failed transaction is rolled back, which undoes SET LOCAL anyway).
            if fk_once and cr.connection.get_transaction_status() != TRANSACTION_STATUS_INERROR:
                cr.execute("SET LOCAL session_replication_role = DEFAULT")
        self.env["vms.voucher"].invalidate_model()
        self.env["vms.voucher.transaction"].invalidate_model()
        self.invalidate_recordset(["voucher_ids"])
        self.campaign_id.invalidate_recordset(["voucher_ids"])
        return len(voucher_ids)

    def _vms_insert_vouchers(self, targets, now, uid):
        """INSERT ... SELECT FROM unnest(): the vouchers, codes drawn again for
        the few the unique index turns down. Returns the new ids in order."""
        cr = self.env.cr
        company = self.company_id
        prefix = company.vms_code_prefix or ""
        length = company.vms_code_length
        ean = company.vms_barcode_format == "ean13"
        voucher_ids = []
        pending = list(targets)
        for _round in range(MAX_COLLISION_ROUNDS):
            if not pending:
                break
            cr.execute(
                "SELECT nextval('vms_voucher_id_seq') FROM generate_series(1, %s)",
                [len(pending)],
            )
            ids = [row[0] for row in cr.fetchall()]
            new_codes = codes.random_codes(len(pending), prefix, length)
            while len(new_codes) < len(pending):  # duplicates inside the draw
                new_codes += codes.random_codes(len(pending) - len(new_codes), prefix, length)
            barcodes = codes.random_ean13s(len(ids)) if ean else [None] * len(ids)
            cr.execute(
                """
                INSERT INTO vms_voucher (
                    id, code, barcode, partner_id, card_id,
                    campaign_id, batch_id, company_id, kind, voucher_type,
                    state, issue_date, valid_from, valid_to, value_type, nominal_amount,
                    discount_type, discount_value, discount_scope, discount_product_id,
                    discount_category_id, item_criteria, min_activation_amount,
                    min_payment_amount, activation_date, activation_store_id,
                    activation_user_id, spent_amount, balance, template_id,
                    bonus_points_accrue, card_bound, redeem_barcode, redeem_qr,
                    redeem_external_qr, redeem_pin,
                    create_uid, create_date, write_uid, write_date
                )
                SELECT t.id, t.code, t.barcode, t.partner_id, t.card_id,
                    %(campaign)s, %(batch)s, %(company)s, %(kind)s, %(vtype)s,
                    %(state)s, %(now)s, %(valid_from)s, %(valid_to)s, %(value_type)s,
                    %(nominal)s, %(discount_type)s, %(discount_value)s, %(discount_scope)s,
                    %(discount_product)s, %(discount_category)s, %(item_criteria)s,
                    %(min_activation)s, %(min_payment)s, %(activation_date)s,
                    %(activation_store)s, %(activation_user)s, 0, %(nominal)s, %(template)s,
                    %(bonus)s, %(card_bound)s, %(redeem_barcode)s, %(redeem_qr)s,
                    %(redeem_external_qr)s, FALSE,
                    %(uid)s, %(now)s, %(uid)s, %(now)s
                FROM unnest(%(ids)s::int[], %(codes)s::varchar[], %(barcodes)s::varchar[],
                            %(partners)s::int[], %(cards)s::int[])
                    AS t(id, code, barcode, partner_id, card_id)
                ON CONFLICT DO NOTHING
                RETURNING id
                """,
                {
                    "ids": ids,
                    "codes": new_codes[: len(pending)],
                    "barcodes": barcodes[: len(pending)],
                    "partners": [partner for partner, _card in pending],
                    "cards": [card for _partner, card in pending],
                    "campaign": self.campaign_id.id,
                    "batch": self.id,
                    "company": company.id,
                    "kind": "branch" if company.parent_id else "company",
                    "vtype": self.voucher_type,
                    "state": self.initial_state,
                    "now": now,
                    "valid_from": self.valid_from or None,
                    "valid_to": self.valid_to or None,
                    "value_type": self.value_type,
                    "nominal": self.nominal_amount if self.value_type == "nominal" else 0.0,
                    "discount_type": self.discount_type or None,
                    "discount_value": self.discount_value or 0.0,
                    "discount_scope": self.discount_scope or None,
                    "discount_product": self.discount_product_id.id or None,
                    "discount_category": self.discount_category_id.id or None,
                    "item_criteria": self.item_criteria or self.campaign_id.item_criteria or None,
                    "min_activation": self.min_activation_amount or 0.0,
                    "min_payment": self.min_payment_amount or 0.0,
                    "activation_date": now if self.initial_state == "active" else None,
                    "activation_store": (
                        self.company_id.id if self.initial_state == "active" else None
                    ),
                    "activation_user": uid if self.initial_state == "active" else None,
                    # The campaign's template is found through the campaign at print time.
                    "template": (
                        self.template_id.id
                        if self.template_id != self.campaign_id.template_id
                        else False
                    )
                    or None,
                    "bonus": self.bonus_points_accrue,
                    "card_bound": self.card_bound,
                    "redeem_barcode": self.redeem_barcode,
                    "redeem_qr": self.redeem_qr,
                    "redeem_external_qr": self.redeem_external_qr,
                    "uid": uid,
                },
            )
            done = {row[0] for row in cr.fetchall()}
            voucher_ids += [i for i in ids if i in done]
            collided = [target for i, target in zip(ids, pending, strict=True) if i not in done]
            if collided:
                _logger.info("voucher generation: %s code collisions, drawing again", len(collided))
            pending = collided
        if pending:
            raise UserError(_("No free voucher codes left; make the codes longer in the settings."))
        return voucher_ids

    def _vms_check_references_once(self, targets, uid):
        """Check and lock, once per batch, every row the new vouchers refer to.

        PostgreSQL checks a foreign key with one query per inserted row (about
        15 us each here, 9 keys per voucher and its row: most of the time of a
        bulk load). Every voucher of a batch refers to the same campaign,
        company, batch, user and template, so checking them once and taking
        the same FOR KEY SHARE locks the per-row checks would take gives the
        same guarantee. Returns whether the per-row triggers may then be
        skipped for the two INSERTs (``session_replication_role = replica``,
        which needs a superuser or, from PostgreSQL 15, the SET privilege on
        that parameter); without it the triggers run and the result is the same,
        only slower.
        """
        cr = self.env.cr
        cr.execute("SELECT current_setting('is_superuser') = 'on'")
        allowed = cr.fetchone()[0]
        if not allowed and cr.connection.server_version >= 150000:
            cr.execute("SELECT has_parameter_privilege('session_replication_role', 'SET')")
            allowed = cr.fetchone()[0]
        if not allowed:
            return False
        references = {
            "vms_voucher_batch": {self.id},
            "vms_campaign": {self.campaign_id.id},
            "res_company": {self.company_id.id},
            "res_users": {uid},
            "vms_voucher_template": {self.template_id.id},
            "product_product": {self.discount_product_id.id},
            "product_category": {self.discount_category_id.id},
            "res_partner": {partner for partner, _card in targets},
            "vms_card": {card for _partner, card in targets},
        }
        for table, referenced in references.items():
            ids = sorted(i for i in referenced if i)
            if not ids:
                continue
            cr.execute(
                SQL(
                    "SELECT count(*) FROM (SELECT id FROM %s WHERE id = ANY(%s) FOR KEY SHARE) r",
                    SQL.identifier(table),
                    ids,
                )
            )
            if cr.fetchone()[0] != len(ids):
                raise UserError(
                    _("Some records the vouchers refer to were deleted meanwhile; try again.")
                )
        return True

    def _vms_insert_rows(self, voucher_ids, now, uid):
        """The generate rows (and activate rows for active vouchers), in that order."""
        nominal = self.nominal_amount if self.value_type == "nominal" else 0.0
        common = {
            "company_id": self.company_id.id,
            "date": now,
            "store_id": self.company_id.id,  # also right from the background job
            "user_id": uid,
            "channel": "backoffice",
        }
        rows = [
            dict(
                common,
                voucher_id=voucher_id,
                type="generate",
                amount=nominal,
                valid_from=self.valid_from,
                valid_to=self.valid_to,
            )
            for voucher_id in voucher_ids
        ]
        if self.initial_state == "active":
            rows += [dict(common, voucher_id=i, type="activate") for i in voucher_ids]
        Transaction = self.env["vms.voucher.transaction"]
        self.env.cr.execute(Transaction._vms_rows_sql(rows))
        Transaction._vms_forget_rows()

    @api.model
    def _cron_generate(self, chunk=20000):
        """Background generation: chunk by chunk, one commit and progress each."""
        cron = self.env["ir.cron"]
        batches = self.search([("state", "in", ("queued", "running"))], order="id")
        for batch in batches:
            while batch.state in ("queued", "running"):
                try:
                    done = batch._vms_generate_chunk(chunk)
                except Exception as error:
                    self.env.cr.rollback()
                    _logger.exception("voucher generation %s failed", batch.id)
                    batch.write({"state": "failed", "error": str(error)})
                    cron._commit_progress(0)
                    break
                time_left = cron._commit_progress(
                    done, remaining=batch.quantity - batch.generated_count
                )
                if not time_left:
                    return

    @api.model
    def _vms_demo_populate(self):
        """Demo data: vouchers of the two demo campaigns in every state.

        Generated with the same SQL path as real runs, then moved through the
        lifecycle methods so that their chronology is real too.
        """
        ref = self.env.ref
        today = ref("base.main_company")._vms_today()
        spring = ref("vms_loyalty.vms_campaign_demo_spring")
        club = ref("vms_loyalty.vms_campaign_demo_club")
        cards = (
            ref("vms_loyalty.vms_card_demo_1")
            | ref("vms_loyalty.vms_card_demo_2")
            | ref("vms_loyalty.vms_card_demo_3")
        )
        common = {"valid_from": today, "valid_to": today + timedelta(days=90)}
        spring_batch = self.create(
            {**common, "campaign_id": spring.id, "quantity": 240, "nominal_amount": 20.0}
        )
        spring_batch._vms_generate_chunk()
        club_batch = self.create(
            {
                **common,
                "campaign_id": club.id,
                "card_ids": [fields.Command.set(cards.ids)],
                "quantity": len(cards),
                "nominal_amount": 10.0,
                "initial_state": "active",
                "card_bound": True,
                "voucher_type": "card_gift",
            }
        )
        club_batch._vms_generate_chunk()
        vouchers = spring_batch.voucher_ids.sorted("id")
        vouchers[:40].action_hand_over()
        vouchers[40:130].action_activate()
        vouchers[130:150].action_block("Demo: printing error")
        for voucher in vouchers[40:70]:
            voucher._vms_spend(20.0, bill_ref=f"DEMO-{voucher.id}", bill_amount=35.0)
        for voucher in vouchers[70:90]:
            voucher._vms_spend(7.5, bill_ref=f"DEMO-{voucher.id}", bill_amount=12.0)
        vouchers[150:160]._vms_change_validity(today, today + timedelta(days=10))
        return True

    def action_view_vouchers(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("vms_loyalty.action_vms_voucher")
        action["domain"] = [("batch_id", "=", self.id)]
        action["context"] = {}
        return action

    def action_refresh(self):
        return True
