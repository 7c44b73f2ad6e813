import uuid

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .res_users_apikeys import VMS_API_SCOPE

CHANNEL_KINDS = [
    ("vending", "Vending Machine"),
    ("webshop", "Web Shop"),
    ("app", "Mobile App"),
    ("kiosk", "Kiosk"),
    ("other", "Other"),
]


class VmsChannel(models.Model):
    """A channel that redeems vouchers through the VMS API: a vending machine,
    a web shop, an app.

    Each channel acts through a technical user of its own, made here, which
    belongs to no group but "VMS Channel": it cannot log in with a password
    and reads nothing through Odoo's model API (``/json/2``, ``/xmlrpc``); the
    engine acts for it once the API has checked its key. Its keys are made
    here too, with the VMS API scope, so they open the VMS API and nothing
    else.
    """

    _name = "vms.channel"
    _description = "VMS Channel"
    _order = "name"
    _check_company_auto = True

    name = fields.Char(required=True)
    kind = fields.Selection(CHANNEL_KINDS, required=True, default="other")
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        string="Store",
        required=True,
        default=lambda self: self.env.company,
        help="The store the channel redeems for: its vouchers, and those of its parent companies.",
    )
    user_id = fields.Many2one("res.users", string="Technical User", readonly=True, copy=False)
    can_reverse = fields.Boolean(
        string="May Reverse Redemptions",
        help="Refunds through the API give redeemed amounts back. Off by default: a leaked "
        "key should not be able to refill vouchers.",
    )
    can_earn = fields.Boolean(
        string="May Award Points",
        help="Bills reported through the API earn points for the member (a web shop's "
        "orders). Off by default: a leaked key should not be able to mint points.",
    )
    key_ids = fields.One2many(related="user_id.api_key_ids", string="API Keys")
    key_count = fields.Integer(compute="_compute_key_count")

    _user_unique = models.Constraint("UNIQUE(user_id)", "A technical user serves one channel.")

    @api.depends("key_ids")
    def _compute_key_count(self):
        for channel in self:
            channel.key_count = len(channel.sudo().key_ids)

    def _vms_user_groups(self):
        groups = self.env.ref("vms_loyalty.group_vms_channel")
        if self.can_reverse:
            groups |= self.env.ref("vms_loyalty.group_vms_reverse")
        if self.can_earn:
            groups |= self.env.ref("vms_loyalty.group_vms_earn")
        return groups

    @api.model_create_multi
    def create(self, vals_list):
        channels = super().create(vals_list)
        for channel in channels:
            # sudo: a VMS manager makes the channel's technical user, with the
            # channel group only (checked by the ACL on this model).
            channel.user_id = (
                self.env["res.users"]
                .sudo()
                .with_context(no_reset_password=True)
                .create(
                    {
                        "name": channel.name,
                        "login": f"vms-channel-{uuid.uuid4().hex}",
                        "company_id": channel.company_id.id,
                        "company_ids": [fields.Command.set(channel.company_id.ids)],
                        "group_ids": [fields.Command.set(channel._vms_user_groups().ids)],
                    }
                )
            )
        return channels

    def write(self, vals):
        result = super().write(vals)
        if {"can_reverse", "can_earn", "company_id", "active", "name"} & vals.keys():
            for channel in self:
                # sudo: keeps the technical user in step with its channel.
                channel.user_id.sudo().write(
                    {
                        "name": channel.name,
                        "active": channel.active,
                        "company_id": channel.company_id.id,
                        "company_ids": [fields.Command.set(channel.company_id.ids)],
                        "group_ids": [fields.Command.set(channel._vms_user_groups().ids)],
                    }
                )
        return result

    def action_new_key(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("New API Key for %(channel)s", channel=self.name),
            "res_model": "vms.channel.key",
            "view_mode": "form",
            "target": "new",
            "context": {"default_channel_id": self.id},
        }

    def action_revoke_keys(self):
        """Remove every key of the channel: refused from their next call."""
        for channel in self:
            # sudo: removing a technical user's keys is a VMS manager's call.
            channel.user_id.sudo().api_key_ids._remove()
        return True

    def _vms_generate_key(self, name, expiration_date=None):
        """A new key of the VMS API scope for this channel (returned once,
        never stored in clear)."""
        self.ensure_one()
        if not self.active:
            raise UserError(_("Channel %(channel)s is archived.", channel=self.name))
        # sudo: the key is made as the technical user, whose keys they are;
        # sudo lets a manager give it a long life.
        return (
            self.env["res.users.apikeys"]
            .with_user(self.user_id)
            .sudo()
            ._generate(VMS_API_SCOPE, name, expiration_date)
        )
