from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..tools import rules

CAMPAIGN_KINDS = [
    ("advance", "Prepared in Advance"),
    ("card_activation", "On Club Card Activation"),
    ("points", "Points to Voucher"),
    ("personalised", "Personalised for Special Clients"),
    ("gift_threshold", "Gift by Bill Amount (Progressive)"),
    ("gift_quantity", "Gift by Purchased Goods"),
    ("gift_campaign", "Gift Campaign (Issuing and Spending Groups)"),
]

WEEKDAY_FIELDS = (
    "weekday_mon",
    "weekday_tue",
    "weekday_wed",
    "weekday_thu",
    "weekday_fri",
    "weekday_sat",
    "weekday_sun",
)


# Which voucher type a campaign kind issues by default (seed: the four types).
KIND_VOUCHER_TYPE = {
    "advance": "marketing",
    "card_activation": "card_gift",
    "points": "points",
    "personalised": "marketing",
    "gift_threshold": "gift",
    "gift_quantity": "gift",
    "gift_campaign": "gift",
}


class VmsCampaign(models.Model):
    """A promotion: when and where its vouchers are issued and accepted."""

    _name = "vms.campaign"
    _description = "Voucher Campaign"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "state_sequence, date_start desc, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True, translate=True)
    code = fields.Char(
        required=True,
        tracking=True,
        help="Short reference of the promotion, printed on bills and reports.",
    )
    active = fields.Boolean(default=True)
    color = fields.Integer()
    state = fields.Selection(
        [("draft", "Draft"), ("running", "Running"), ("closed", "Closed")],
        default="draft",
        required=True,
        tracking=True,
        copy=False,
    )
    state_sequence = fields.Integer(compute="_compute_state_sequence", store=True, precompute=True)
    kind = fields.Selection(CAMPAIGN_KINDS, required=True, default="advance", tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    store_ids = fields.Many2many(
        "res.company",
        "vms_campaign_store_rel",
        "campaign_id",
        "company_id",
        string="Stores",
        help="Companies and branches where the campaign runs; empty means all of the "
        "campaign's company.",
    )
    date_start = fields.Date(string="Start Date", tracking=True)
    date_end = fields.Date(string="End Date", tracking=True)
    hour_start = fields.Float(string="Start Hour", default=0.0)
    hour_end = fields.Float(string="End Hour", default=24.0)
    weekday_mon = fields.Boolean("Monday", default=True)
    weekday_tue = fields.Boolean("Tuesday", default=True)
    weekday_wed = fields.Boolean("Wednesday", default=True)
    weekday_thu = fields.Boolean("Thursday", default=True)
    weekday_fri = fields.Boolean("Friday", default=True)
    weekday_sat = fields.Boolean("Saturday", default=True)
    weekday_sun = fields.Boolean("Sunday", default=True)
    bill_text = fields.Text(
        string="Text on the Bill", translate=True, help="Printed on the bill by the till."
    )
    item_criteria = fields.Text(
        help="Items the vouchers of this campaign may pay for (information for the cashier)."
    )
    max_vouchers_per_holder = fields.Integer(
        string="Vouchers per Holder",
        default=lambda self: self.env.company.vms_max_vouchers_per_holder,
        help="How many vouchers of this campaign one card holder may receive (0: no limit).",
    )
    template_id = fields.Many2one(
        "vms.voucher.template",
        string="PDF Template",
        check_company=True,
        help="Default PDF template of the vouchers generated for this campaign.",
    )
    voucher_type = fields.Selection(
        [
            ("card_gift", "Gift upon a New Club Card"),
            ("points", "Versus Bonus Points"),
            ("marketing", "Marketing Campaign"),
            ("gift", "Gift"),
        ],
        compute="_compute_voucher_type",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
    )
    # Parameters of the gift kinds.
    threshold_ids = fields.One2many(
        "vms.campaign.threshold", "campaign_id", string="Progressive Table", copy=True
    )
    issue_category_id = fields.Many2one(
        "product.category",
        string="Issuing Item Group",
        help="Buying this quantity of items of this group issues a voucher.",
    )
    issue_quantity = fields.Float(string="Issuing Quantity", default=1.0)
    issue_nominal = fields.Monetary(
        string="Voucher Nominal", currency_field="currency_id", help="Nominal of the gift voucher."
    )
    spend_category_id = fields.Many2one(
        "product.category",
        string="Spending Item Group",
        help="The gift vouchers pay only for items of this group.",
    )
    voucher_ids = fields.One2many("vms.voucher", "campaign_id", string="Vouchers")
    voucher_count = fields.Integer(compute="_compute_voucher_stats")
    voucher_active_count = fields.Integer(compute="_compute_voucher_stats")
    voucher_used_count = fields.Integer(compute="_compute_voucher_stats")
    mail_template_id = fields.Many2one(
        "mail.template",
        string="E-mail Template",
        domain=[("model", "=", "vms.voucher")],
        default=lambda self: self.env.ref(
            "vms_loyalty.mail_template_vms_voucher", raise_if_not_found=False
        ),
        help="Sent with the voucher PDF to the holders of personalised vouchers.",
    )

    _code_company_unique = models.Constraint(
        "UNIQUE(company_id, code)",
        "A campaign code must be unique per company.",
    )
    _hours_valid = models.Constraint(
        "CHECK(hour_start >= 0 AND hour_end <= 24 AND hour_start < hour_end)",
        "The start hour of a campaign must come before its end hour, both within the day.",
    )
    _dates_valid = models.Constraint(
        "CHECK(date_start IS NULL OR date_end IS NULL OR date_start <= date_end)",
        "A campaign cannot end before it starts.",
    )
    _max_per_holder_positive = models.Constraint(
        "CHECK(max_vouchers_per_holder >= 0)",
        "The number of vouchers per holder cannot be negative.",
    )

    @api.depends("state")
    def _compute_state_sequence(self):
        order = {"running": 1, "draft": 2, "closed": 3}
        for campaign in self:
            campaign.state_sequence = order.get(campaign.state, 9)

    @api.depends("kind")
    def _compute_voucher_type(self):
        for campaign in self:
            campaign.voucher_type = KIND_VOUCHER_TYPE.get(campaign.kind, "marketing")

    def _compute_voucher_stats(self):
        counts = {
            (campaign.id, state): count
            for campaign, state, count in self.env["vms.voucher"]._read_group(
                [("campaign_id", "in", self.ids)], ["campaign_id", "state"], ["__count"]
            )
        }
        for campaign in self:
            per_state = {
                state: counts.get((campaign.id, state), 0)
                for state in ("generated", "handed_over", "active", "blocked", "used")
            }
            campaign.voucher_count = sum(per_state.values())
            campaign.voucher_active_count = per_state["active"]
            campaign.voucher_used_count = per_state["used"]

    @api.constrains("kind", "threshold_ids", "issue_category_id", "spend_category_id")
    def _check_kind_parameters(self):
        for campaign in self:
            if campaign.state == "draft":
                continue
            campaign._vms_check_kind_parameters()

    def _vms_check_kind_parameters(self):
        self.ensure_one()
        if self.kind == "gift_threshold" and not self.threshold_ids:
            raise ValidationError(
                _(
                    "Campaign %(campaign)s gives vouchers by bill amount: fill its "
                    "progressive table first.",
                    campaign=self.display_name,
                )
            )
        if self.kind in ("gift_quantity", "gift_campaign") and not self.issue_category_id:
            raise ValidationError(
                _(
                    "Campaign %(campaign)s gives vouchers for purchased goods: choose "
                    "the issuing item group.",
                    campaign=self.display_name,
                )
            )
        if self.kind == "gift_campaign" and not self.spend_category_id:
            raise ValidationError(
                _(
                    "Campaign %(campaign)s needs the item group its vouchers pay for.",
                    campaign=self.display_name,
                )
            )
        if self.kind in ("gift_quantity", "gift_campaign") and (
            self.issue_quantity <= 0 or self.issue_nominal <= 0
        ):
            raise ValidationError(
                _(
                    "Campaign %(campaign)s needs a positive issuing quantity and voucher nominal.",
                    campaign=self.display_name,
                )
            )

    def _vms_threshold_nominal(self, bill_amount):
        """Nominal of the gift voucher for a bill (progressive table), 0 below it."""
        self.ensure_one()
        best = 0.0
        for line in self.threshold_ids.sorted("bill_amount"):
            if bill_amount >= line.bill_amount:
                best = line.nominal_amount
        return best

    def _vms_is_open(self, when=None):
        """Whether the campaign accepts vouchers at ``when`` (date, weekday, hour;
        by default now at the campaign's company, the store's clock)."""
        self.ensure_one()
        when = when or self.company_id._vms_store().local_now(fields.Datetime.now())
        return rules.campaign_open_at(self._vms_terms(), when)

    # Actions -----------------------------------------------------------------

    def action_start(self):
        for campaign in self:
            if campaign.state != "draft":
                raise UserError(
                    _(
                        "Campaign %(campaign)s is %(state)s: only a draft campaign can be started.",
                        campaign=campaign.display_name,
                        state=campaign._vms_state_label(),
                    )
                )
            campaign._vms_check_kind_parameters()
        self.state = "running"

    def action_close(self):
        for campaign in self:
            if campaign.state == "closed":
                raise UserError(
                    _("Campaign %(campaign)s is already closed.", campaign=campaign.display_name)
                )
        self.state = "closed"

    def action_reset_to_draft(self):
        self.state = "draft"

    def _vms_state_label(self):
        return dict(self._fields["state"]._description_selection(self.env))[self.state]

    def action_view_vouchers(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("vms_loyalty.action_vms_voucher")
        action["domain"] = [("campaign_id", "=", self.id)]
        action["context"] = {"default_campaign_id": self.id, "search_default_group_state": 0}
        return action

    def action_open_generate_wizard(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Generate Vouchers"),
            "res_model": "vms.voucher.generate",
            "view_mode": "form",
            "target": "new",
            "context": {"default_campaign_id": self.id},
        }

    def action_group_block(self):
        """Block every voucher of the campaign that is not blocked or used yet."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Group Blocking"),
            "res_model": "vms.voucher.block",
            "view_mode": "form",
            "target": "new",
            "context": {"default_campaign_id": self.id, "default_mode": "group_block"},
        }

    def action_send_personalised(self):
        """E-mail every holder of a personalised voucher of this campaign its PDF."""
        self.ensure_one()
        vouchers = self.voucher_ids.filtered(
            lambda v: v.partner_id.email and v.state in ("generated", "handed_over", "active")
        )
        if not vouchers:
            raise UserError(
                _(
                    "Campaign %(campaign)s has no voucher with a holder that has an e-mail "
                    "address.",
                    campaign=self.display_name,
                )
            )
        vouchers._vms_send_by_mail(self.mail_template_id)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": _("%(count)s vouchers sent by e-mail.", count=len(vouchers)),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
