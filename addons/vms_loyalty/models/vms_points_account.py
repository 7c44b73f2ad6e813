from collections import defaultdict
from datetime import timedelta

from odoo import _, api, fields, models

from ..exceptions import VmsError, VmsNotFound


class VmsPointsAccount(models.Model):
    """A member's club points at one retailer: per member and root company
    (a chain's branches share it, another legal entity keeps its own),
    reached through any of the member's club cards.

    The balance and the next expiring points are read from the open lots
    (``vms.points.lot``); only the debt (points taken back after they were
    spent, which the next points coming in pay first) is kept on the
    account. Every change goes through the ledger (``vms.points.ledger``),
    under a row lock on the account; the redemption engine spends it as it
    spends a voucher (``vms.points.balance``).
    """

    _name = "vms.points.account"
    _description = "Points Account"
    _inherit = ["vms.points.ledger", "vms.points.balance", "vms.points.earning"]
    _order = "id desc"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner",
        string="Member",
        required=True,
        readonly=True,
        index=True,
        ondelete="restrict",
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, ondelete="restrict", index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    debt = fields.Float(
        digits=(16, 3),
        readonly=True,
        help="Points taken back (a refunded earning) after they were spent: the next points "
        "coming in pay it first.",
    )
    points_balance = fields.Float(
        string="Points", digits=(16, 3), compute="_compute_points", help="Open lots, not expired."
    )
    next_expiry_date = fields.Date(compute="_compute_points", string="Next Expiry")
    next_expiry_points = fields.Float(
        digits=(16, 3), compute="_compute_points", string="Points Expiring Next"
    )
    points_held = fields.Float(
        digits=(16, 3),
        compute="_compute_available",
        help="Reserved by open sales, claims and web orders.",
    )
    points_available = fields.Float(
        digits=(16, 3),
        compute="_compute_available",
        help="What can be spent now: the points less the debt and what is held.",
    )
    balance_value = fields.Monetary(
        string="Value", compute="_compute_available", currency_field="currency_id"
    )
    lot_ids = fields.One2many("vms.points.lot", "account_id", string="Lots", readonly=True)
    move_ids = fields.One2many("vms.points.move", "account_id", string="Ledger", readonly=True)
    hold_ids = fields.One2many("vms.redemption", "points_account_id", readonly=True)
    claim_ids = fields.One2many("vms.reward.claim", "account_id", string="Claims", readonly=True)
    card_ids = fields.One2many(
        "vms.card", compute="_compute_card_ids", string="Club Cards", compute_sudo=True
    )
    move_count = fields.Integer(compute="_compute_counts")
    open_lot_count = fields.Integer(compute="_compute_counts")

    _member_unique = models.Constraint(
        "UNIQUE(partner_id, company_id)", "A member has one points account per retailer."
    )
    _debt_positive = models.Constraint("CHECK(debt >= 0)", "A debt of points is never negative.")

    @api.depends("partner_id", "company_id")
    def _compute_display_name(self):
        for account in self:
            account.display_name = _(
                "%(member)s at %(company)s",
                member=account.partner_id.display_name,
                company=account.company_id.name,
            )

    @api.depends("lot_ids.remaining", "debt")
    def _compute_points(self):
        """Balance and next expiry from the open lots: one query for the batch
        (the lots past their last day count no more, before the cron came)."""
        rows = defaultdict(list)
        if self.ids:
            self.env.cr.execute(
                """
                SELECT a.id, a.company_id, l.expires_on, SUM(l.remaining)
                  FROM vms_points_account a
                  JOIN vms_points_lot l ON l.account_id = a.id AND l.remaining > 0
                 WHERE a.id = ANY(%s)
                 GROUP BY a.id, a.company_id, l.expires_on
                """,
                [self.ids],
            )
            today = {}
            Company = self.env["res.company"]
            for account_id, company_id, expires_on, points in self.env.cr.fetchall():
                if company_id not in today:
                    today[company_id] = Company.browse(company_id)._vms_today()
                if expires_on is None or expires_on >= today[company_id]:
                    rows[account_id].append((expires_on, float(points)))
        for account in self:
            lots = rows.get(account.id, [])
            account.points_balance = sum(points for _expiry, points in lots)
            dated = sorted((expiry, points) for expiry, points in lots if expiry)
            account.next_expiry_date = dated[0][0] if dated else False
            account.next_expiry_points = dated[0][1] if dated else 0.0

    @api.depends("points_balance", "debt", "hold_ids.state")
    def _compute_available(self):
        held = self._vms_held_points_by_account()
        for account in self:
            account.points_held = held.get(account.id, 0.0)
            account.points_available = max(
                0.0, account.points_balance - account.debt - account.points_held
            )
            program = account._vms_program(required=False)
            account.balance_value = program.to_money(account.points_available) if program else 0.0

    def _compute_card_ids(self):
        for account in self:
            account.card_ids = self.env["vms.card"].search(
                [
                    ("partner_id", "=", account.partner_id.id),
                    ("company_id", "child_of", account.company_id.id),
                ]
            )

    def _compute_counts(self):
        moves = dict(
            self.env["vms.points.move"]._read_group(
                [("account_id", "in", self.ids)], ["account_id"], ["__count"]
            )
        )
        lots = dict(
            self.env["vms.points.lot"]._read_group(
                [("account_id", "in", self.ids), ("remaining", ">", 0)],
                ["account_id"],
                ["__count"],
            )
        )
        for account in self:
            account.move_count = moves.get(account, 0)
            account.open_lot_count = lots.get(account, 0)

    # ------------------------------------------------------------------
    # Finding the account
    # ------------------------------------------------------------------

    def _vms_today(self):
        """Today at the retailer (the programme's clock decides expiry)."""
        return (self.company_id or self.env.company.root_id)._vms_today()

    def _vms_program(self, required=True):
        self.ensure_one()
        return self.env["vms.points.program"]._vms_for_company(self.company_id, required)

    @api.model
    def _vms_account_for(self, holder, *, company=None, create=False, spend=False):
        """The points account of ``holder`` (a ``vms.card`` or a ``res.partner``)
        at the root of ``company`` (the request's store by default), and the
        card it was reached by. Returns ``(account, card)``, sudo; the account
        is empty when the member has none yet and ``create`` is off.

        A blocked card reaches nothing; spending needs an active card. A card
        of another retailer is unknown here.
        """
        program = self.env["vms.points.program"]._vms_for_company(company or self.env.company)
        root = self.env["res.company"].sudo().browse(program.company_id)
        card = self.env["vms.card"]
        if holder and holder._name == "vms.card":
            # sudo: a channel or a cashier reads no cards itself; only the card's
            # state and holder are read, within this retailer.
            card = holder.sudo()
            if card.company_id.root_id != root:
                raise VmsNotFound(
                    "card_not_found", _("No club card %(number)s.", number=card.number)
                )
            card._vms_check_usable(spend=spend)
            partner = card.partner_id
            if not partner:
                raise VmsError(
                    "card_without_member",
                    _("Club card %(number)s belongs to no member yet.", number=card.number),
                )
        elif holder and holder._name == "res.partner":
            partner = holder.sudo()
        else:
            raise VmsError(
                "member_required", _("Points belong to a member: give a card or a customer.")
            )
        # sudo: the engine acts for the caller within its retailer; no data is returned.
        Account = self.sudo()
        account = Account.search(
            [("partner_id", "=", partner.id), ("company_id", "=", root.id)], limit=1
        )
        if not account and create:
            # Two tills earning for a new member at once: one insert wins, both
            # use its row.
            self.env.cr.execute(
                """
                INSERT INTO vms_points_account
                       (partner_id, company_id, debt, create_uid, create_date, write_uid,
                        write_date)
                VALUES (%s, %s, 0, %s, now() at time zone 'UTC', %s, now() at time zone 'UTC')
                ON CONFLICT (partner_id, company_id) DO NOTHING
                """,
                [partner.id, root.id, self.env.uid, self.env.uid],
            )
            account = Account.search(
                [("partner_id", "=", partner.id), ("company_id", "=", root.id)], limit=1
            )
        return account, card

    @api.model
    def _vms_card_by_number(self, number, company=None):
        """The club card ``number`` of the request's retailer (its root or a
        branch), sudo, or not found. One indexed query: every points request
        of a channel starts here."""
        program = self.env["vms.points.program"]._vms_for_company(company or self.env.company)
        self.env.cr.execute(
            """
            SELECT c.id FROM vms_card c JOIN res_company co ON co.id = c.company_id
             WHERE c.number = %s AND (co.id = %s OR co.parent_path LIKE %s)
            """,
            [number, program.company_id, f"{program.company_id}/%"],
        )
        row = self.env.cr.fetchone()
        if not row:
            raise VmsNotFound("card_not_found", _("No club card %(number)s.", number=number))
        # sudo: a channel reads no cards itself; only a card of this retailer is taken.
        return self.env["vms.card"].sudo().browse(row[0])

    def _vms_summary(self):
        """What the till, the receipt and the API show of the account."""
        program = self.env["vms.points.program"]._vms_for_company(
            self.company_id or self.env.company
        )
        if not self:
            return {
                "points_balance": 0.0,
                "points_available": 0.0,
                "points_held": 0.0,
                "points_debt": 0.0,
                "value": 0.0,
                "next_expiry_date": None,
                "next_expiry_points": 0.0,
                "point_value": program.point_value,
                "points_decimals": program.digits,
                "currency": program.money.name,
                "decimal_places": program.money.decimal_places,
            }
        self.ensure_one()
        account = self.sudo()  # sudo: the caller was checked; a channel reads no records
        account.invalidate_recordset(
            ["points_balance", "next_expiry_date", "next_expiry_points", "points_available"]
        )
        return {
            "points_balance": program.round(account.points_balance),
            "points_available": program.round(account.points_available),
            "points_held": program.round(account.points_held),
            "points_debt": program.round(account.debt),
            "value": program.to_money(account.points_available),
            "next_expiry_date": fields.Date.to_string(account.next_expiry_date) or None,
            "next_expiry_points": program.round(account.next_expiry_points),
            "point_value": program.point_value,
            "points_decimals": program.digits,
            "currency": program.money.name,
            "decimal_places": program.money.decimal_places,
        }

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------

    def action_view_moves(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("vms_loyalty.action_vms_points_move")
        action["domain"] = [("account_id", "=", self.id)]
        action["context"] = {}
        return action

    def action_view_lots(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("vms_loyalty.action_vms_points_lot")
        action["domain"] = [("account_id", "=", self.id)]
        action["context"] = {"search_default_open": 1}
        return action

    def _vms_wizard(self, model, name):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "view_mode": "form",
            "target": "new",
            "context": {"default_account_id": self.id},
        }

    def action_open_adjust(self):
        return self._vms_wizard("vms.points.adjust", _("Adjust Points"))

    def action_open_convert(self):
        return self._vms_wizard("vms.points.convert", _("Points to Voucher"))

    def action_open_claim(self):
        return self._vms_wizard("vms.reward.claim.wizard", _("Claim a Reward"))

    # ------------------------------------------------------------------
    # Demo data
    # ------------------------------------------------------------------

    @api.model
    def _vms_demo_populate(self):
        """Demo members with lots across dates (one expired, some expiring
        soon, some later), a payment with points and a reward waiting to be
        handed over, all written through the ledger."""
        company = self.env.ref("base.main_company")
        Engine = self.env["vms.redemption"].with_company(company)
        today = company._vms_today()
        plan = {
            "vms_loyalty.vms_card_demo_1": [(-30, 250), (9, 400), (120, 900), (300, 600)],
            "vms_loyalty.vms_card_demo_2": [(5, 300), (60, 700)],
            "vms_loyalty.vms_card_demo_3": [(-3, 120), (200, 1800), (330, 1400)],
        }
        for number, (xmlid, lots) in enumerate(plan.items(), start=1):
            card = self.env.ref(xmlid, raise_if_not_found=False)
            if not card or not card.partner_id:
                continue
            account, card = self.with_company(company)._vms_account_for(card, create=True)
            account._vms_lock()
            for index, (days, points) in enumerate(lots, start=1):
                account._vms_credit(
                    points,
                    "earn",
                    today + timedelta(days=days),
                    order_ref=f"Shop/DEMO-{number:02d}{index:02d}",
                    channel="pos",
                    card_id=card.id,
                    bill_amount=float(points),
                )
            account._vms_lock()  # what is already past its last day expires now
        card_1 = self.env.ref("vms_loyalty.vms_card_demo_1", raise_if_not_found=False)
        if card_1:
            Engine._vms_points_redeem(
                card_1,
                points=150,
                order_ref="Shop/DEMO-0199",
                idempotency_key="demo-points-redeem-0001",
                channel="pos",
            )
        card_3 = self.env.ref("vms_loyalty.vms_card_demo_3", raise_if_not_found=False)
        mug = self.env.ref("vms_loyalty.vms_reward_demo_mug", raise_if_not_found=False)
        if card_3 and mug:
            Engine._vms_reward_claim(
                card_3, mug, idempotency_key="demo-reward-claim-0001", channel="backoffice"
            )
