from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..tools import points as points_rules
from .vms_campaign import WEEKDAY_FIELDS


class VmsPointsRule(models.Model):
    """A way to earn points: so many per currency unit of a bill, with
    multipliers for some items or item groups, within a window (dates, hours,
    weekdays, at the store's clock) and from a minimum bill.

    Every rule that applies to a bill adds its points: a base rule without a
    window, and campaign rules ("double points on Saturdays") on top.
    """

    _name = "vms.points.rule"
    _description = "Points Earning Rule"
    _order = "program_id, sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    program_id = fields.Many2one(
        "vms.points.program", string="Programme", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="program_id.company_id", store=True)
    currency_id = fields.Many2one(related="program_id.currency_id")
    points_per_unit = fields.Float(
        string="Points per Currency Unit",
        digits=(16, 4),
        default=1.0,
        help="Points for each unit of the currency paid (before multipliers).",
    )
    min_bill = fields.Monetary(
        string="Minimum Bill", currency_field="currency_id", help="Bills below earn nothing here."
    )
    date_start = fields.Date(string="From")
    date_end = fields.Date(string="Until")
    hour_start = fields.Float(string="From Hour", default=0.0)
    hour_end = fields.Float(string="Until Hour", default=24.0)
    weekday_mon = fields.Boolean("Monday", default=True)
    weekday_tue = fields.Boolean("Tuesday", default=True)
    weekday_wed = fields.Boolean("Wednesday", default=True)
    weekday_thu = fields.Boolean("Thursday", default=True)
    weekday_fri = fields.Boolean("Friday", default=True)
    weekday_sat = fields.Boolean("Saturday", default=True)
    weekday_sun = fields.Boolean("Sunday", default=True)
    lifetime_days = fields.Integer(
        string="Points Lifetime (days)",
        help="How long the points of this rule stay spendable; 0: the programme's lifetime.",
    )
    line_ids = fields.One2many("vms.points.rule.line", "rule_id", string="Multipliers", copy=True)

    _points_positive = models.Constraint(
        "CHECK(points_per_unit >= 0 AND min_bill >= 0 AND lifetime_days >= 0)",
        "Points, minimum bill and lifetime of a rule cannot be negative.",
    )
    _hours_valid = models.Constraint(
        "CHECK(hour_start >= 0 AND hour_end <= 24 AND hour_start < hour_end)",
        "A rule's start hour comes before its end hour, both within the day.",
    )
    _dates_valid = models.Constraint(
        "CHECK(date_start IS NULL OR date_end IS NULL OR date_start <= date_end)",
        "A rule cannot end before it starts.",
    )

    @api.constrains(*WEEKDAY_FIELDS)
    def _check_weekdays(self):
        for rule in self:
            if not any(rule[name] for name in WEEKDAY_FIELDS):
                raise ValidationError(
                    _("Rule %(rule)s applies on no day of the week.", rule=rule.name)
                )

    def _vms_terms(self):
        self.ensure_one()
        return points_rules.EarnRule(
            id=self.id,
            name=self.name,
            points_per_unit=self.points_per_unit,
            min_bill=self.min_bill,
            date_start=self.date_start,
            date_end=self.date_end,
            hour_start=self.hour_start,
            hour_end=self.hour_end,
            weekdays=tuple(self[name] for name in WEEKDAY_FIELDS),
            lifetime_days=self.lifetime_days,
            multipliers=tuple(
                points_rules.Multiplier(line.product_id.id, line.category_id.id, line.multiplier)
                for line in self.line_ids
            ),
        )
