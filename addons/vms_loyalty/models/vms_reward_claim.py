import base64
import io

import qrcode

from odoo import _, api, fields, models
from odoo.exceptions import AccessError

from ..exceptions import VmsConflict, VmsError, VmsInvalid, VmsNotFound
from ..tools import codes

CLAIM_STATES = [
    ("claimed", "Claimed"),
    ("redeemed", "Redeemed"),
    ("canceled", "Canceled"),
    ("expired", "Expired"),
]
CODE_PREFIX = "RW"
CODE_LENGTH = 14


class VmsRewardClaim(models.Model):
    """A member's claim of a reward: a random code (and its QR) the member
    shows in a store, looked up on the server, used once, within its
    lifetime. The claim holds the reward's points (a ``vms.redemption`` of
    points) until the reward is handed over (the points are spent) or the
    claim is canceled or lapses (the points are free again)."""

    _name = "vms.reward.claim"
    _description = "Reward Claim"
    _order = "id desc"
    _rec_name = "code"
    _check_company_auto = True

    code = fields.Char(required=True, readonly=True, copy=False)
    qr_image = fields.Binary(string="QR Code", compute="_compute_qr_image")
    reward_id = fields.Many2one("vms.reward", required=True, readonly=True, ondelete="restrict")
    reward_type = fields.Selection(related="reward_id.reward_type")
    account_id = fields.Many2one(
        "vms.points.account", required=True, readonly=True, ondelete="restrict", index=True
    )
    partner_id = fields.Many2one(related="account_id.partner_id", string="Member", store=True)
    card_id = fields.Many2one("vms.card", string="Club Card", readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    points = fields.Float(digits=(16, 3), readonly=True)
    cash_price = fields.Monetary(readonly=True, currency_field="currency_id")
    state = fields.Selection(
        CLAIM_STATES, required=True, default="claimed", readonly=True, index=True
    )
    expires_at = fields.Datetime(string="Valid Until", required=True, readonly=True)
    redemption_id = fields.Many2one(
        "vms.redemption", string="Points Hold", required=True, readonly=True, ondelete="restrict"
    )
    redeemed_at = fields.Datetime(readonly=True)
    redeemed_user_id = fields.Many2one("res.users", string="Handed Over By", readonly=True)
    redeemed_store_id = fields.Many2one("res.company", string="Handed Over At", readonly=True)
    redeemed_channel = fields.Selection(
        selection=lambda self: self.env["vms.voucher.transaction"]._fields["channel"].selection,
        readonly=True,
    )
    voucher_id = fields.Many2one("vms.voucher", string="Voucher Issued", readonly=True)

    _code_unique = models.Constraint("UNIQUE(code)", "A reward code is used once.")

    @api.depends("code")
    def _compute_qr_image(self):
        for claim in self:
            if not claim.code:
                claim.qr_image = False
                continue
            image = qrcode.make(claim.code, box_size=6, border=2)
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
            claim.qr_image = base64.b64encode(buffer.getvalue())

    # ------------------------------------------------------------------
    # Engine side
    # ------------------------------------------------------------------

    @api.model
    def _vms_create_for(self, hold, reward, account, card, expires_at):
        """The claim of ``reward`` holding ``hold``'s points (sudo). Its code is
        drawn at random, never derived from an id."""
        # sudo: the engine decided the claim; the member's operator keeps the hold.
        return self.sudo().create(
            {
                "code": codes.random_codes(1, CODE_PREFIX, CODE_LENGTH)[0],
                "reward_id": reward.id,
                "account_id": account.id,
                "card_id": card.id if card else False,
                "company_id": account.company_id.id,
                "points": hold.points,
                "cash_price": reward.cash_price,
                "expires_at": expires_at,
                "redemption_id": hold.id,
            }
        )

    @api.model
    def _vms_find(self, code, company):
        """The claim of ``code`` at ``company``'s retailer (sudo), or a refusal:
        a mistyped code is refused before the database is asked, another
        retailer's is unknown here."""
        if not isinstance(code, str):
            raise VmsInvalid("invalid_reward_code", _("A reward code is text."))
        try:
            code = codes.parse(code, CODE_PREFIX, CODE_LENGTH)
        except codes.CodeError:
            raise VmsInvalid(
                "invalid_reward_code", _("%(code)s is not a reward code.", code=code[:40])
            ) from None
        claim = self.sudo().search(
            [("code", "=", code), ("company_id", "=", company.sudo().root_id.id)], limit=1
        )
        if not claim:
            raise VmsNotFound("reward_code_not_found", _("No reward code %(code)s.", code=code))
        return claim

    def _vms_lock(self):
        self.env.cr.execute(
            "SELECT id FROM vms_reward_claim WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
            [self.ids],
            log_exceptions=False,  # a serialization failure here is expected and retried
        )
        self.invalidate_recordset()

    def _vms_check_redeemable(self):
        """Only a claimed, unexpired claim is handed over, and only while the
        club card it was claimed with is active (a blocked card stops its
        rewards as it stops its points)."""
        self.ensure_one()
        card = self.sudo().card_id
        if card:
            card._vms_check_usable(spend=True)
        if self.state == "claimed" and self.expires_at <= fields.Datetime.now():
            raise VmsError("reward_expired", _("Reward code %(code)s has lapsed.", code=self.code))
        if self.state != "claimed":
            state = dict(self._fields["state"]._description_selection(self.env))[self.state]
            raise VmsConflict(
                f"reward_{self.state}",
                _("Reward code %(code)s is %(state)s.", code=self.code, state=state.lower()),
            )

    def _vms_mark_redeemed(self, channel, voucher):
        self.ensure_one()
        self.sudo().write(
            {
                "state": "redeemed",
                "redeemed_at": fields.Datetime.now(),
                "redeemed_user_id": self.env.uid,
                "redeemed_store_id": self.env.company.id,
                "redeemed_channel": channel,
                "voucher_id": voucher.id,
            }
        )

    def _vms_mark_given_back(self):
        """The reward handed over came back (its points were reversed): the
        claim is canceled; who handed it over, where and when stay on it."""
        self.ensure_one()
        self.sudo().write({"state": "canceled"})

    def action_cancel(self):
        """Cancel claims not handed over yet: their points are free again."""
        if not self.env.su and not self.env.user.has_group("vms_loyalty.group_vms_user"):
            raise AccessError(_("Only VMS users cancel reward claims."))
        self.check_access("read")
        for claim in self:
            claim._vms_lock()
            if claim.state != "claimed":
                raise VmsConflict(
                    "reward_not_claimed",
                    _("Reward code %(code)s was already settled.", code=claim.code),
                )
            claim.sudo().write({"state": "canceled"})
            # sudo: releasing the claim's own hold; the back office user may cancel claims.
            claim.redemption_id.sudo()._vms_release()
        return True

    @api.model
    def _cron_lapse_claims(self):
        """Claims past their lifetime lapse; their holds are freed."""
        claims = self.sudo().search(
            [("state", "=", "claimed"), ("expires_at", "<=", fields.Datetime.now())]
        )
        for claim in claims:
            claim.redemption_id._vms_expire()
        claims.write({"state": "expired"})
        return len(claims)
