import os

from odoo import _, api, fields, models

from ..tools.sms_simulator import SimulatedSmsApi

# Set by `make run` only: OTP text messages go to a page on the local server
# (/vms_pos/sms) instead of an SMS provider, so a newcomer can try the OTP at
# the tender without an SMS account.
SMS_SIMULATOR_ENV = "VMS_SMS_SIMULATOR"


class ResCompany(models.Model):
    _inherit = "res.company"

    vms_voucher_account_id = fields.Many2one(
        "account.account",
        string="Voucher Liability Account",
        check_company=True,
        help="What the company owes holders of its vouchers: credited when a gift voucher "
        "is sold, debited when a voucher pays at the till.",
    )
    vms_voucher_journal_id = fields.Many2one(
        "account.journal",
        string="Voucher Journal",
        check_company=True,
        help="Journal of the Voucher tender of the points of sale.",
    )
    vms_offline_session_max_amount = fields.Monetary(
        string="Offline Redemption Limit per Till Session",
        currency_field="currency_id",
        help="What one till may accept in vouchers, in all, during one session while it "
        "cannot reach the server (0: no offline vouchers).",
    )
    vms_offline_terms = fields.Json(
        compute="_compute_vms_offline_terms",
        help="What a till needs to accept signed vouchers while the server is unreachable.",
    )

    def _compute_vms_offline_terms(self):
        for company in self:
            store = company._vms_store()
            company.vms_offline_terms = {
                "enabled": bool(company.vms_offline_redemption),
                "max_voucher": company.vms_offline_max_amount,
                "max_session": company.vms_offline_session_max_amount,
                "company_ids": sorted(store.company_ids),
                "currency": store.money.name,
                "tz": store.tz,
                "prefix": store.code_prefix,
                "length": store.code_length,
                "otp_mandatory": store.otp_mandatory,
                "otp_min_amount": store.otp_min_amount,
            }

    # ------------------------------------------------------------------
    # The voucher tender
    # ------------------------------------------------------------------

    def _vms_new_tender_account(self, name, code_start):
        """A liability account for what a loyalty tender pays (vouchers, points)."""
        self.ensure_one()
        Account = self.env["account.account"].sudo().with_company(self)
        return Account.create(
            {
                "name": name,
                "code": Account._search_new_account_code(code_start),
                "account_type": "liability_current",
                "reconcile": False,
            }
        )

    def _vms_new_tender_journal(self, name, code):
        """A journal of a loyalty tender, under ``code`` or the first free
        ``code2``, ``code3`` ... of this company."""
        self.ensure_one()
        Journal = self.env["account.journal"].sudo().with_company(self)
        # Archived journals keep their codes (unique per company), as in
        # Odoo's own _get_next_journal_default_code.
        taken = set(
            Journal.with_context(active_test=False)
            .search([("company_id", "=", self.id), ("code", "=like", f"{code}%")])
            .mapped("code")
        )
        free, suffix = code, 1
        while free in taken:
            suffix += 1
            free = f"{code}{suffix}"
        return Journal.create(
            {
                "name": name,
                "code": free,
                "type": "bank",
                "company_id": self.id,
                "show_on_dashboard": False,
            }
        )

    def _vms_pos_setup_voucher_tender(self):
        """Give each company with a chart of accounts its voucher liability
        account, its voucher journal and a Voucher payment method (kept if
        they exist). Returns the payment methods."""
        methods = self.env["pos.payment.method"]
        for record in self:
            if not record.chart_template:
                continue
            company = record.sudo()  # sudo: accounting set-up, run by install and chart loading
            account = company.vms_voucher_account_id
            if not account:
                account = company._vms_new_tender_account(_("Vouchers Outstanding"), "2195")
            journal = company.vms_voucher_journal_id
            if not journal:
                journal = company._vms_new_tender_journal(_("Vouchers"), "VCH")
            company.write(
                {"vms_voucher_account_id": account.id, "vms_voucher_journal_id": journal.id}
            )
            method = (
                self.env["pos.payment.method"]
                .sudo()
                .search(
                    [
                        ("company_id", "=", company.id),
                        ("use_payment_terminal", "=", "vms_voucher"),
                    ],
                    limit=1,
                )
            )
            if not method:
                method = (
                    self.env["pos.payment.method"]
                    .sudo()
                    .with_company(company)
                    .create(
                        {
                            "name": _("Voucher"),
                            "company_id": company.id,
                            "journal_id": journal.id,
                            "outstanding_account_id": account.id,
                            "payment_method_type": "terminal",
                            "use_payment_terminal": "vms_voucher",
                        }
                    )
                )
            methods |= method
        return methods

    # ------------------------------------------------------------------
    # POS data, barcode rule, SMS
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        if any(vals.get("vms_code_prefix") for vals in vals_list):
            self.env["barcode.rule"]._vms_sync_voucher_prefix_rule()
        return companies

    def write(self, vals):
        result = super().write(vals)
        if "vms_code_prefix" in vals:
            self.env["barcode.rule"]._vms_sync_voucher_prefix_rule()
        return result

    @api.model
    def _load_pos_data_fields(self, config):
        return [
            *super()._load_pos_data_fields(config),
            "vms_max_vouchers_per_bill",
            "vms_offline_terms",
        ]

    def _get_sms_api_class(self):
        if os.environ.get(SMS_SIMULATOR_ENV):
            return SimulatedSmsApi
        return super()._get_sms_api_class()

    # ------------------------------------------------------------------
    # Demo data: the till a newcomer opens after `make run`
    # ------------------------------------------------------------------

    @api.model
    def _vms_pos_demo_setup(self):
        """The demo shop sells with the Voucher tender: a gift-voucher product,
        a running gift campaign by bill amount, a club card and a few vouchers
        (a bearer one, a personal one for the OTP, a card-bound one)."""
        company = self.env.ref("base.main_company")
        method = company._vms_pos_setup_voucher_tender()
        config = self.env.ref("point_of_sale.pos_config_main", raise_if_not_found=False)
        if config and method and not config.current_session_id:
            config.payment_method_ids = [fields.Command.link(method.id)]
        template = self.env.ref(
            "vms_loyalty.vms_voucher_template_default", raise_if_not_found=False
        )
        today = company._vms_today()
        Campaign = self.env["vms.campaign"].with_company(company)
        gift = Campaign.create(
            {
                "name": _("Gift Vouchers"),
                "code": "GIFT",
                "kind": "advance",
                "voucher_type": "gift",
                "state": "running",
                "company_id": company.id,
                "bill_text": _("A gift voucher for you: pay with it at any of our tills."),
                "template_id": template.id if template else False,
            }
        )
        threshold = Campaign.create(
            {
                "name": _("Spend 100, Get a Gift Voucher"),
                "code": "SPEND100",
                "kind": "gift_threshold",
                "state": "draft",
                "company_id": company.id,
                "bill_text": _("Thank you! Your gift voucher for your next visit."),
                "issue_validity_days": 90,
                "threshold_ids": [
                    fields.Command.create({"bill_amount": 100.0, "nominal_amount": 10.0}),
                    fields.Command.create({"bill_amount": 250.0, "nominal_amount": 30.0}),
                ],
            }
        )
        threshold.action_start()
        category = self.env["pos.category"].create({"name": _("Gift Vouchers")})
        product = (
            self.env["product.template"]
            .with_company(company)
            .create(
                {
                    "name": _("Gift Voucher"),
                    "type": "service",
                    "list_price": 0.0,
                    "available_in_pos": True,
                    "pos_categ_ids": [fields.Command.set(category.ids)],
                    "vms_gift_voucher": True,
                    "vms_gift_campaign_id": gift.id,
                    "property_account_income_id": company.vms_voucher_account_id.id,
                }
            )
        )
        product.taxes_id = False
        if config and config.limit_categories and config.iface_available_categ_ids:
            config.iface_available_categ_ids = [fields.Command.link(category.id)]
        holder = self.env["res.partner"].create(
            {
                "name": "Ava Holder",
                "phone": "+1 415-555-2671",
                "email": "ava.holder@example.com",
                "country_id": self.env.ref("base.us").id,
            }
        )
        card = self.env["vms.card"].create(
            {
                "number": "2900000010016",
                "partner_id": holder.id,
                "company_id": company.id,
                "state": "active",
            }
        )
        Voucher = self.env["vms.voucher"].with_company(company)
        common = {
            "campaign_id": gift.id,
            "company_id": company.id,
            "voucher_type": "gift",
            "valid_from": today,
            "valid_to": today.replace(year=today.year + 1),
            "state": "active",
        }
        vouchers = {
            "vms_pos_demo_voucher_bearer": Voucher.create({**common, "nominal_amount": 50.0}),
            "vms_pos_demo_voucher_personal": Voucher.create(
                {**common, "nominal_amount": 80.0, "partner_id": holder.id}
            ),
            "vms_pos_demo_voucher_card": Voucher.create(
                {
                    **common,
                    "nominal_amount": 30.0,
                    "partner_id": holder.id,
                    "card_id": card.id,
                    "card_bound": True,
                }
            ),
        }
        records = {
            "vms_pos_demo_gift_campaign": gift,
            "vms_pos_demo_threshold_campaign": threshold,
            "vms_pos_demo_gift_product": product,
            "vms_pos_demo_holder": holder,
            "vms_pos_demo_card": card,
            **vouchers,
        }
        self.env["ir.model.data"]._update_xmlids(
            [
                {"xml_id": f"vms_pos.{name}", "record": record, "noupdate": True}
                for name, record in records.items()
            ]
        )
