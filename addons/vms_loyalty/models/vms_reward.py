from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..exceptions import VmsNotFound

REWARD_TYPES = [
    ("product", "An Item"),
    ("discount", "A Discount"),
    ("voucher", "A Voucher"),
]


class VmsReward(models.Model):
    """A reward of the catalogue, priced in points (and, optionally, a cash
    price the store collects when handing it over): an item, a discount, or
    a voucher issued when it is handed over."""

    _name = "vms.reward"
    _description = "Points Reward"
    _order = "sequence, points_cost, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    code = fields.Char(
        required=True,
        help="Short reference channels claim the reward by (letters, digits, dashes).",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company.root_id,
        domain=[("parent_id", "=", False)],
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    reward_type = fields.Selection(REWARD_TYPES, string="Type", required=True, default="product")
    product_id = fields.Many2one("product.product", string="Item", check_company=True)
    discount_text = fields.Char(
        string="Discount", translate=True, help="What the discount gives, as the store applies it."
    )
    voucher_amount = fields.Monetary(
        string="Voucher Nominal",
        currency_field="currency_id",
        help="Nominal of the voucher issued.",
    )
    voucher_campaign_id = fields.Many2one(
        "vms.campaign",
        check_company=True,
        domain=[("kind", "=", "points")],
        help="Campaign of the voucher issued; empty: the programme's points-to-voucher campaign.",
    )
    points_cost = fields.Float(string="Points", digits=(16, 3), required=True)
    cash_price = fields.Monetary(
        currency_field="currency_id",
        help="Paid on top of the points when the reward is handed over.",
    )
    claim_days = fields.Integer(
        string="Claim Lifetime (days)", help="0: the programme's claim lifetime."
    )
    claim_ids = fields.One2many("vms.reward.claim", "reward_id", readonly=True)
    claim_count = fields.Integer(compute="_compute_claim_count")

    _code_unique = models.Constraint(
        "UNIQUE(company_id, code)", "A reward code is unique per retailer."
    )
    _amounts_positive = models.Constraint(
        "CHECK(points_cost > 0 AND cash_price >= 0 AND voucher_amount >= 0 AND claim_days >= 0)",
        "A reward costs points, and none of its amounts is negative.",
    )

    @api.constrains("reward_type", "product_id", "voucher_amount")
    def _check_type(self):
        for reward in self:
            if reward.reward_type == "product" and not reward.product_id:
                raise ValidationError(
                    _("Reward %(name)s gives an item: choose it.", name=reward.name)
                )
            if reward.reward_type == "voucher" and reward.voucher_amount <= 0:
                raise ValidationError(
                    _("Reward %(name)s gives a voucher: give its nominal.", name=reward.name)
                )

    @api.constrains("code")
    def _check_code(self):
        for reward in self:
            code = reward.code or ""
            if not (0 < len(code) <= 32 and code.replace("-", "").isalnum() and code.isascii()):
                raise ValidationError(
                    _(
                        "%(code)s is not a reward code: up to 32 letters, digits or dashes.",
                        code=code,
                    )
                )

    def _compute_claim_count(self):
        counts = dict(
            self.env["vms.reward.claim"]._read_group(
                [("reward_id", "in", self.ids)], ["reward_id"], ["__count"]
            )
        )
        for reward in self:
            reward.claim_count = counts.get(reward, 0)

    @api.model
    def _vms_find(self, code, company):
        """The active reward ``code`` of ``company``'s retailer (sudo), or not found."""
        # sudo: a channel reads no catalogue itself; only this retailer's reward is taken.
        reward = self.sudo().search(
            [
                ("code", "=", code),
                ("company_id", "=", company.sudo().root_id.id),
                ("active", "=", True),
            ],
            limit=1,
        )
        if not reward:
            raise VmsNotFound("reward_not_found", _("No reward %(code)s.", code=code))
        return reward

    def action_view_claims(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "vms_loyalty.action_vms_reward_claim"
        )
        action["domain"] = [("reward_id", "=", self.id)]
        action["context"] = {}
        return action
