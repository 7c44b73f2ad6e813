from datetime import timedelta
from uuid import uuid4

from odoo import Command, fields

from odoo.addons.point_of_sale.tests.test_frontend import TestPointOfSaleHttpCommon


class VmsPosCase(TestPointOfSaleHttpCommon):
    """Odoo's test shop with the Voucher tender, a running campaign, vouchers,
    a gift-voucher product and a club card."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        # The back office that sets the vouchers up is a VMS Manager.
        cls.env.user.group_ids += cls.env.ref("vms_loyalty.group_vms_manager")
        cls.company = cls.main_pos_config.company_id
        cls.company.write(
            {
                "vms_code_prefix": "VMS",
                "vms_otp_mandatory": False,
                "vms_otp_min_amount": 50.0,
                "vms_max_vouchers_per_bill": 3,
                "country_id": cls.env.ref("base.us").id,
            }
        )
        cls.voucher_method = cls.company._vms_pos_setup_voucher_tender()
        cls.main_pos_config.write({"payment_method_ids": [Command.link(cls.voucher_method.id)]})
        cls.cash_method = cls.main_pos_config.payment_method_ids.filtered("is_cash_count")[:1]
        cls.liability = cls.company.vms_voucher_account_id
        cls.campaign = cls.env["vms.campaign"].create(
            {
                "name": "Till Vouchers",
                "code": "TILL",
                "company_id": cls.company.id,
                "state": "running",
                "bill_text": "Thank you for shopping at the test shop",
            }
        )
        cls.today = fields.Date.context_today(cls.env.user)
        cls.holder = cls.env["res.partner"].create(
            {
                "name": "Hannah Holder",
                "phone": "+1 415-555-2671",
                "country_id": cls.env.ref("base.us").id,
            }
        )
        cls.other_partner = cls.env["res.partner"].create({"name": "Oscar Other"})
        cls.card = cls.env["vms.card"].create(
            {
                "number": "2900000020023",
                "partner_id": cls.holder.id,
                "company_id": cls.company.id,
                "state": "active",
            }
        )
        cls.other_card = cls.env["vms.card"].create(
            {
                "number": "2900000030030",
                "partner_id": cls.other_partner.id,
                "company_id": cls.company.id,
                "state": "active",
            }
        )
        cls.gift_campaign = cls.env["vms.campaign"].create(
            {
                "name": "Gift Vouchers",
                "code": "GIFTS",
                "company_id": cls.company.id,
                "state": "running",
                "voucher_type": "gift",
                "bill_text": "A present from the test shop",
            }
        )
        cls.gift_product = cls.env["product.template"].create(
            {
                "name": "Gift Voucher",
                "type": "service",
                "list_price": 0.0,
                "available_in_pos": True,
                "vms_gift_voucher": True,
                "vms_gift_campaign_id": cls.gift_campaign.id,
            }
        )
        cls.gift_product.taxes_id = False

    @classmethod
    def new_voucher(cls, amount=50.0, **values):
        return cls.env["vms.voucher"].create(
            {
                "campaign_id": cls.campaign.id,
                "company_id": cls.company.id,
                "nominal_amount": amount,
                "state": "active",
                "valid_from": cls.today,
                "valid_to": cls.today + timedelta(days=30),
                **values,
            }
        )

    # ------------------------------------------------------------------
    # Sessions and orders without a browser
    # ------------------------------------------------------------------

    def open_session(self, config=None, user=None):
        config = config or self.main_pos_config
        config.with_user(user or self.pos_user).open_ui()
        session = config.current_session_id
        session.set_opening_control(0, None)
        return session

    def order_data(self, session, lines, payments, *, uuid=None, partner=None, card=None, **extra):
        """What the till sends to ``sync_from_ui``: ``lines`` are (product,
        qty, price) triplets, ``payments`` (method, amount, payment uuid,
        transaction id) tuples."""
        order_lines = []
        total = 0.0
        for product, qty, price in lines:
            variant = product.product_variant_id if product._name == "product.template" else product
            subtotal = round(qty * price, 2)
            total += subtotal
            order_lines.append(
                Command.create(
                    {
                        "product_id": variant.id,
                        "qty": qty,
                        "price_unit": price,
                        "price_subtotal": subtotal,
                        "price_subtotal_incl": subtotal,
                        "discount": 0.0,
                        "tax_ids": [Command.set([])],
                        **extra.pop(f"line_{variant.id}", {}),
                    }
                )
            )
        order_payments = self.payment_commands(payments)
        return {
            "amount_paid": round(sum(p[2]["amount"] for p in order_payments), 2),
            "amount_return": 0,
            "amount_tax": 0,
            "amount_total": round(total, 2),
            "date_order": fields.Datetime.to_string(fields.Datetime.now()),
            "fiscal_position_id": False,
            "pricelist_id": session.config_id.pricelist_id.id,
            "lines": order_lines,
            "partner_id": partner.id if partner else False,
            "vms_card_id": card.id if card else False,
            "session_id": session.id,
            "payment_ids": order_payments,
            "uuid": uuid or str(uuid4()),
            "access_token": str(uuid4()),
            "user_id": self.pos_user.id,
            "to_invoice": False,
            "pos_reference": extra.pop("pos_reference", f"T-{uuid4().hex[:8]}"),
            **extra,
        }

    def sale_payload(self, data):
        """The order as the tender's hold request describes it."""
        return {
            "uuid": data["uuid"],
            "reference": data["pos_reference"],
            "amount_total": data["amount_total"],
            "partner_id": data["partner_id"],
            "card_id": data["vms_card_id"],
            "lines": [
                {
                    "product_id": line[2]["product_id"],
                    "qty": line[2]["qty"],
                    "price_subtotal_incl": line[2]["price_subtotal_incl"],
                }
                for line in data["lines"]
            ],
        }

    def hold(
        self, session, data, code, amount, *, payment_uuid=None, user=None, pin=None, attempt=0
    ):
        payment_uuid = payment_uuid or str(uuid4())
        method = self.voucher_method.with_user(user or self.pos_user)
        result = method._vms_pos_hold(
            {
                "session_id": session.id,
                "order": self.sale_payload(data),
                "payment": {"uuid": payment_uuid, "amount": amount, "attempt": attempt},
                "code": code,
                "pin": pin,
            }
        )
        return payment_uuid, result

    def payment_commands(self, payments):
        """Payment lines as the till sends them, from ``(method, amount,
        payment uuid, transaction id)`` tuples."""
        return [
            Command.create(
                {
                    "amount": amount,
                    "payment_method_id": method.id,
                    "uuid": payment_uuid or str(uuid4()),
                    "transaction_id": transaction_id or False,
                    "payment_status": "done" if transaction_id else False,
                    "name": fields.Datetime.now(),
                }
            )
            for method, amount, payment_uuid, transaction_id in payments
        ]

    def with_payments(self, data, *payments):
        """``data`` paid by ``(method, amount, payment uuid, transaction id)``."""
        data = dict(data)
        data["payment_ids"] = self.payment_commands(payments)
        data["amount_paid"] = round(sum(p[1] for p in payments), 2)
        return data

    def sync(self, *orders, user=None, env=None):
        """Sync like the till (as ``user``, or in ``env``: a branch's till);
        returns the synced orders (not the refunded ones Odoo sends back with a
        refund)."""
        uuids = [order["uuid"] for order in orders]
        Order = env["pos.order"] if env else self.env["pos.order"].with_user(user or self.pos_user)
        result = Order.sync_from_ui(list(orders))
        synced = self.env["pos.order"].browse([o["id"] for o in result["pos.order"]])
        return synced.filtered(lambda o: o.uuid in uuids)

    def branch_of_the_shop(self):
        """A branch of the shop's company (its own books), where the till's
        user works too."""
        branch = self.env["res.company"].create(
            {
                "name": "Branch Shop",
                "parent_id": self.company.id,
                "chart_template": self.company.chart_template,
                "country_id": self.company.country_id.id,
            }
        )
        self.env.cr.precommit.run()
        self.pos_user.company_ids |= branch
        return branch

    def open_branch_till(self, branch, methods):
        """An opened till of ``branch`` taking ``methods``, and its user's
        environment as Odoo's point of sale makes it: the till's company alone."""
        config = (
            self.env["pos.config"]
            .with_company(branch)
            .create(
                {
                    "name": "Branch Till",
                    "journal_id": self.main_pos_config.journal_id.id,
                    "invoice_journal_id": self.main_pos_config.invoice_journal_id.id,
                    "payment_method_ids": [Command.set(methods.ids)],
                }
            )
        )
        at_branch = self.env(user=self.pos_user, context={"allowed_company_ids": [branch.id]})
        return self.open_session(config), at_branch

    def second_till(self, name, user):
        """Another till of the shop, with the voucher tender (and a bank one)."""
        config = self.main_pos_config.copy({"name": name})
        config.payment_method_ids = self.voucher_method | self.bank_payment_method
        return self.open_session(config, user)

    def uses(self, voucher):
        return (
            self.env["vms.voucher.transaction"]
            .sudo()
            .search([("voucher_id", "=", voucher.id), ("type", "=", "use")])
        )
