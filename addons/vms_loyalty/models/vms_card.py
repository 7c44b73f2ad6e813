import secrets

from stdnum import luhn

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..exceptions import VmsError
from ..tools import codes


class VmsCard(models.Model):
    """A club card: a number printed on plastic, held by a customer."""

    _name = "vms.card"
    _description = "Club Card"
    _inherit = ["mail.thread"]
    _order = "id desc"
    _rec_name = "number"
    _check_company_auto = True

    number = fields.Char(
        required=True,
        copy=False,
        tracking=True,
        default=lambda self: self._vms_new_number(),
        help="Card number, digits with a Luhn check digit as printed on the card.",
    )
    partner_id = fields.Many2one("res.partner", string="Holder", index=True, tracking=True)
    state = fields.Selection(
        [("new", "New"), ("active", "Active"), ("blocked", "Blocked")],
        default="new",
        required=True,
        tracking=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    activation_date = fields.Date()
    voucher_ids = fields.One2many("vms.voucher", "card_id", string="Vouchers")
    voucher_count = fields.Integer(compute="_compute_voucher_count")

    _number_unique = models.Constraint("UNIQUE(number)", "A club card number must be unique.")

    @api.model
    def _vms_new_number(self, length=13):
        body = "".join(secrets.choice("0123456789") for _i in range(length - 1))
        return body + luhn.calc_check_digit(body)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("number"):
                vals["number"] = codes.normalize(vals["number"])
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("number"):
            vals["number"] = codes.normalize(vals["number"])
        return super().write(vals)

    @api.constrains("number")
    def _check_number(self):
        for card in self:
            number = card.number
            if not (number.isdigit() and 8 <= len(number) <= 19 and luhn.is_valid(number)):
                raise ValidationError(
                    _(
                        "%(number)s is not a club card number: 8 to 19 digits ending "
                        "with a Luhn check digit.",
                        number=number,
                    )
                )

    @api.depends("voucher_ids")
    def _compute_voucher_count(self):
        counts = dict(
            self.env["vms.voucher"]._read_group(
                [("card_id", "in", self.ids)], ["card_id"], ["__count"]
            )
        )
        for card in self:
            card.voucher_count = counts.get(card, 0)

    def action_activate(self):
        # The date where the card's store is, not where the operator's browser is.
        for company, cards in self.grouped("company_id").items():
            cards.write({"state": "active", "activation_date": company._vms_today()})

    def action_block(self):
        self.write({"state": "blocked"})

    def _vms_check_usable(self, spend=False):
        """A blocked card reaches nothing; spending its points (or handing
        over what they bought) needs an active one."""
        self.ensure_one()
        if self.state == "blocked":
            raise VmsError(
                "card_blocked", _("Club card %(number)s is blocked.", number=self.number)
            )
        if spend and self.state != "active":
            raise VmsError(
                "card_not_active",
                _("Club card %(number)s is not active yet.", number=self.number),
            )

    def action_view_vouchers(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("vms_loyalty.action_vms_voucher")
        action["domain"] = [("card_id", "=", self.id)]
        action["context"] = {}
        return action
