from odoo import _, api, fields, models, tools
from odoo.exceptions import ValidationError

from ..exceptions import VmsError
from ..tools import points as points_rules


class VmsPointsProgram(models.Model):
    """The club points programme of a retailer: what a point is worth, its
    precision, how long points live, and how they turn into vouchers.

    One per root company: a chain's branches share their parent's programme
    and members' accounts; another legal entity runs its own.
    """

    _name = "vms.points.program"
    _description = "Points Programme"
    _order = "company_id"
    _check_company_auto = True

    name = fields.Char(required=True, default=lambda self: _("Club Points"), translate=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company.root_id,
        domain=[("parent_id", "=", False)],
        help="The root company whose members, branches and cards share these points.",
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    digits = fields.Integer(
        string="Points Decimals",
        default=0,
        help="0: points are whole numbers; up to 3 decimals. Earned points are rounded "
        "down to it, points paying an amount are rounded up.",
    )
    point_value = fields.Float(
        string="Value of a Point",
        digits=(16, 6),
        default=0.01,
        help="What one point pays, in the company's currency.",
    )
    lifetime_days = fields.Integer(
        string="Points Lifetime (days)",
        default=365,
        help="How long earned points stay spendable, unless the earning rule says otherwise "
        "(0: they never expire).",
    )
    campaign_id = fields.Many2one(
        "vms.campaign",
        string="Points-to-Voucher Campaign",
        check_company=True,
        domain=[("kind", "=", "points")],
        help="The campaign the vouchers bought with points belong to (a running campaign of "
        "the kind Points to Voucher).",
    )
    voucher_validity_days = fields.Integer(
        string="Voucher Validity (days)",
        default=90,
        help="How long a voucher bought with points stays valid (0: no end).",
    )
    claim_days = fields.Integer(
        string="Reward Claim Lifetime (days)",
        default=14,
        help="How long a claimed reward waits to be handed over, unless the reward says otherwise.",
    )
    rule_ids = fields.One2many("vms.points.rule", "program_id", string="Earning Rules")

    _company_unique = models.Constraint(
        "UNIQUE(company_id)", "A company runs one points programme."
    )
    _value_positive = models.Constraint(
        "CHECK(point_value > 0)", "A point must be worth more than nothing."
    )
    _digits_range = models.Constraint(
        f"CHECK(digits >= 0 AND digits <= {points_rules.MAX_DIGITS})",
        "Points have 0 to 3 decimals.",
    )
    _days_positive = models.Constraint(
        "CHECK(lifetime_days >= 0 AND voucher_validity_days >= 0 AND claim_days > 0)",
        "Lifetimes cannot be negative, and a claim lasts at least a day.",
    )

    @api.constrains("company_id")
    def _check_root_company(self):
        for program in self:
            if program.company_id.parent_id:
                raise ValidationError(
                    _(
                        "%(company)s is a branch: its members collect the points of "
                        "%(root)s's programme.",
                        company=program.company_id.name,
                        root=program.company_id.root_id.name,
                    )
                )

    @api.constrains("campaign_id")
    def _check_campaign(self):
        for program in self:
            if program.campaign_id and program.campaign_id.kind != "points":
                raise ValidationError(
                    _(
                        "Campaign %(campaign)s does not issue vouchers for points; choose one "
                        "of the kind Points to Voucher.",
                        campaign=program.campaign_id.display_name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        programs = super().create(vals_list)
        self.env.registry.clear_cache()  # forget _vms_program_terms
        return programs

    def write(self, vals):
        result = super().write(vals)
        self.env.registry.clear_cache()  # forget _vms_program_terms
        return result

    # The programme as the rules see it -----------------------------------------

    @api.model
    def _vms_for_company(self, company, required=True):
        """The programme of ``company``'s root (its terms, cached), or a refusal."""
        terms = self._vms_program_terms(company.id)
        if terms is None and required:
            raise VmsError(
                "points_not_configured",
                _("This store runs no points programme."),
            )
        return terms

    @api.model
    @tools.ormcache("company_id")
    def _vms_program_terms(self, company_id):
        """The terms of the programme of ``company_id``'s root (cached per
        company: cleared when a programme or a company's parent changes)."""
        # sudo: settings of the retailer every till and channel of it works under.
        root_id = self.env["res.company"].sudo().browse(company_id).root_id.id
        program = self.sudo().search([("company_id", "=", root_id)], limit=1)
        if not program:
            return None
        store = program.company_id._vms_store()
        return points_rules.Program(
            id=program.id,
            company_id=program.company_id.id,
            name=program.name,
            digits=program.digits,
            point_value=program.point_value,
            lifetime_days=program.lifetime_days,
            money=store.money,
            tz=store.tz,
        )

    def _vms_earn_rules(self):
        """The programme's active earning rules, as the rules see them."""
        self.ensure_one()
        return tuple(rule._vms_terms() for rule in self.sudo().rule_ids.filtered("active"))

    @api.model
    def action_open_current(self):
        """The programme of the current company (made with the defaults on first use)."""
        root = self.env.company.root_id
        program = self.search([("company_id", "=", root.id)], limit=1) or self.create(
            {"company_id": root.id}
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": program.id,
            "view_mode": "form",
            "target": "current",
        }
