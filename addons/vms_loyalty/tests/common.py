from contextlib import contextmanager
from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, new_test_user


class VmsCase(TransactionCase):
    """A retailer with a running campaign, three kinds of users and a club card."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env["res.company"].create(
            {"name": "VMS Test Retail", "vms_code_prefix": "TST", "vms_code_length": 12}
        )
        cls.other_company = cls.env["res.company"].create(
            {"name": "VMS Other Retail", "vms_code_prefix": "OTH"}
        )
        cls.env = cls.env(
            context=dict(
                cls.env.context, allowed_company_ids=[cls.company.id], tracking_disable=True
            )
        )
        cls.env.user.company_ids |= cls.company | cls.other_company

        def user(login, group):
            return new_test_user(
                cls.env,
                login=login,
                groups=f"base.group_user,{group}",
                company_id=cls.company.id,
                company_ids=[cls.company.id],
            )

        cls.manager = user("vms_manager", "vms_loyalty.group_vms_manager")
        cls.vms_user = user("vms_user", "vms_loyalty.group_vms_user")
        cls.store_user = user("vms_store", "vms_loyalty.group_vms_store_user")
        cls.today = fields.Date.context_today(cls.manager)
        cls.partner = cls.env["res.partner"].create(
            {"name": "Žofia Nováková-Ωmega", "email": "zofia@example.com"}
        )
        cls.partner_2 = cls.env["res.partner"].create({"name": "Jan Holder"})
        cls.card = cls.env["vms.card"].create(
            {"partner_id": cls.partner.id, "company_id": cls.company.id, "state": "active"}
        )
        cls.campaign = cls.env["vms.campaign"].create(
            {
                "name": "Test Spring",
                "code": "TSPRING",
                "company_id": cls.company.id,
                "state": "running",
                "max_vouchers_per_holder": 3,
            }
        )

    def new_voucher(self, **vals):
        values = {
            "campaign_id": self.campaign.id,
            "company_id": self.company.id,
            "nominal_amount": 50.0,
            **vals,
        }
        return self.env["vms.voucher"].with_user(self.manager).create(values).sudo(False)

    def as_manager(self, records):
        return records.with_user(self.manager)

    def assert_replay(self, voucher):
        """The chronology rebuilds exactly what is stored (invariant 2)."""
        voucher.invalidate_recordset()
        replay = voucher._vms_replay()
        self.assertEqual(replay["state"], voucher.state)
        self.assertEqual(replay["state_before_block"], voucher.state_before_block)
        self.assertEqual(replay["withdrawn"], voucher.withdrawn)
        self.assertAlmostEqual(replay["spent_amount"], voucher.spent_amount)
        self.assertAlmostEqual(replay["balance"], voucher.balance)
        self.assertEqual(replay["valid_from"], voucher.valid_from)
        self.assertEqual(replay["valid_to"], voucher.valid_to)

    def rows(self, voucher, operation=None):
        domain = [("voucher_id", "=", voucher.id)]
        if operation:
            domain.append(("type", "=", operation))
        return self.env["vms.voucher.transaction"].sudo().search(domain, order="id")

    @contextmanager
    def refused(self, pattern, exception=UserError):
        """Expect an error matching ``pattern``; the savepoint of assertRaises
        rolls the database back, the cache is dropped after."""
        with self.assertRaises(exception) as caught:
            yield
        self.assertRegex(str(caught.exception), pattern)
        self.env.invalidate_all()

    def days(self, count):
        return self.today + timedelta(days=count)
