from datetime import timedelta

from odoo import _, fields, models


class VmsChannelKey(models.TransientModel):
    """Make an API key for a channel; it is shown once, then only its hash is kept."""

    _name = "vms.channel.key"
    _description = "New Channel API Key"

    channel_id = fields.Many2one("vms.channel", required=True, ondelete="cascade")
    name = fields.Char(string="Description", required=True, default=lambda self: _("Key"))
    duration_days = fields.Integer(
        string="Valid for (days)",
        default=365,
        help="0 makes a key that never expires; rotate such keys by hand.",
    )

    def action_generate(self):
        self.ensure_one()
        expiration = (
            fields.Datetime.now() + timedelta(days=self.duration_days)
            if self.duration_days > 0
            else None
        )
        key = self.channel_id._vms_generate_key(self.name, expiration)
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.users.apikeys.show",
            "name": _("API Key Ready"),
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_key": key},
        }
