from odoo import _, api, fields, models


class VmsVoucherGenerate(models.TransientModel):
    """Generate vouchers for a campaign: now for small runs, in the background
    for large ones (see ``vms.voucher.batch``)."""

    _name = "vms.voucher.generate"
    _inherit = ["vms.voucher.generate.mixin"]
    _description = "Generate Vouchers"

    quantity = fields.Integer(compute="_compute_quantity", store=True, readonly=False)
    voucher_type = fields.Selection(
        compute="_compute_from_campaign", store=True, readonly=False, precompute=True
    )
    template_id = fields.Many2one(
        compute="_compute_from_campaign", store=True, readonly=False, precompute=True
    )
    item_criteria = fields.Text(
        compute="_compute_from_campaign", store=True, readonly=False, precompute=True
    )
    personalised = fields.Boolean(compute="_compute_personalised")
    in_background = fields.Boolean(compute="_compute_in_background")

    @api.depends("partner_ids", "card_ids")
    def _compute_quantity(self):
        for wizard in self:
            targets = wizard._vms_targets()
            if targets is not None:
                wizard.quantity = len(targets)
            elif not wizard.quantity:
                wizard.quantity = 1

    @api.depends("campaign_id")
    def _compute_from_campaign(self):
        for wizard in self:
            campaign = wizard.campaign_id
            wizard.voucher_type = campaign.voucher_type or "marketing"
            wizard.template_id = campaign.template_id
            wizard.item_criteria = campaign.item_criteria
            if campaign.kind in ("gift_quantity", "gift_campaign") and campaign.issue_nominal:
                wizard.nominal_amount = campaign.issue_nominal

    @api.depends("partner_ids", "card_ids")
    def _compute_personalised(self):
        for wizard in self:
            wizard.personalised = bool(wizard.partner_ids or wizard.card_ids)

    @api.depends("quantity")
    def _compute_in_background(self):
        limit = self.env["vms.voucher.batch"]._vms_foreground_max()
        for wizard in self:
            wizard.in_background = wizard.quantity > limit

    def action_generate(self):
        """Create the generation batch and run it now or queue it."""
        self.ensure_one()
        self.env["vms.voucher"]._vms_require("vms_loyalty.group_vms_manager")
        self._vms_check_parameters()
        batch = self.env["vms.voucher.batch"].create(self._vms_spec_values())
        if self.in_background:
            self.env.ref("vms_loyalty.ir_cron_vms_voucher_generate")._trigger()
            return {
                "type": "ir.actions.act_window",
                "name": _("Voucher Generation"),
                "res_model": "vms.voucher.batch",
                "res_id": batch.id,
                "view_mode": "form",
                "target": "current",
            }
        batch._vms_generate_chunk()
        action = batch.action_view_vouchers()
        action["name"] = _("Generated Vouchers")
        return action
