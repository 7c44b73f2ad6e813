from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class VmsPointsRuleLine(models.Model):
    """A multiplier of an earning rule for one item or one item group (its
    sub-groups included): 2 doubles the points, 0 gives none (tobacco ...).
    An item's multiplier comes before its group's, a deeper group's before
    its parent's."""

    _name = "vms.points.rule.line"
    _description = "Points Multiplier"

    rule_id = fields.Many2one("vms.points.rule", required=True, ondelete="cascade", index=True)
    product_id = fields.Many2one("product.product", string="Item")
    category_id = fields.Many2one("product.category", string="Item Group")
    multiplier = fields.Float(digits=(16, 4), default=2.0, required=True)

    _multiplier_positive = models.Constraint(
        "CHECK(multiplier >= 0)", "A multiplier cannot be negative."
    )

    @api.constrains("product_id", "category_id")
    def _check_target(self):
        for line in self:
            if bool(line.product_id) == bool(line.category_id):
                raise ValidationError(
                    _("A multiplier is for one item or one item group, not both or neither.")
                )
