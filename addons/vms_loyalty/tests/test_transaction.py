import psycopg2

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import VmsCase


@tagged("post_install", "-at_install")
class TestChronology(VmsCase):
    """The chronology is append-only for everyone, through every door."""

    def setUp(self):
        super().setUp()
        self.voucher = self.as_manager(self.new_voucher())
        self.voucher.action_activate()
        self.row = self.rows(self.voucher, "activate")

    def test_nobody_has_write_create_or_unlink_access(self):
        Row = self.env["vms.voucher.transaction"]
        for user in (self.manager, self.vms_user, self.store_user):
            for operation in ("write", "create", "unlink"):
                with self.subTest(user=user.login, operation=operation):
                    self.assertFalse(Row.with_user(user).has_access(operation))
            self.assertTrue(Row.with_user(user).has_access("read"))
        with self.assertRaises(AccessError):
            self.row.with_user(self.manager).write({"amount": 1.0})
        with self.assertRaises(AccessError):
            self.row.with_user(self.manager).unlink()
        with self.assertRaises(AccessError):
            Row.with_user(self.manager).create(
                {"voucher_id": self.voucher.id, "type": "use", "company_id": self.company.id}
            )

    def test_recorded_rows_are_never_edited_even_by_the_superuser(self):
        for vals in ({"amount": 99.0}, {"state": "canceled"}, {"type": "block"}):
            with self.subTest(vals=vals), self.refused("never edited"):
                self.row.sudo().write(vals)
        with self.refused("never deleted"):
            self.row.sudo().unlink()
        with self.refused("cannot be created by hand"):
            self.env["vms.voucher.transaction"].sudo().create(
                {"voucher_id": self.voucher.id, "type": "use", "company_id": self.company.id}
            )
        with self.refused("cannot be duplicated"):
            self.row.sudo().copy()
        self.assertEqual(self.row.state, "recorded")

    def test_the_database_refuses_sql_edits_too(self):
        with mute_logger("odoo.sql_db"), self.refused("cannot change", psycopg2.Error):
            self.env.cr.execute(
                "UPDATE vms_voucher_transaction SET amount = 5 WHERE id = %s", [self.row.id]
            )
        with mute_logger("odoo.sql_db"), self.refused("never deleted", psycopg2.Error):
            self.env.cr.execute("DELETE FROM vms_voucher_transaction WHERE id = %s", [self.row.id])

    def test_waiting_rows_are_settled_once(self):
        waiting = (
            self.env["vms.voucher.transaction"]
            .sudo()
            ._vms_append(
                [
                    {
                        "voucher_id": self.voucher.id,
                        "type": "use",
                        "state": "waiting",
                        "amount": 5.0,
                        "channel": "pos",
                    }
                ]
            )
        )
        # A waiting row is not part of the voucher's state yet.
        self.assert_replay(self.voucher)
        waiting._vms_settle("canceled")
        self.assertEqual(waiting.state, "canceled")
        with self.refused("never edited"):
            waiting._vms_settle("recorded")
        with self.refused("settled as recorded or canceled"):
            waiting._vms_settle("waiting")
        self.assert_replay(self.voucher)

    def test_rows_carry_store_operator_and_bill_data(self):
        self.voucher.with_user(self.store_user)._vms_spend(
            12.5,
            bill_ref="B-77",
            bill_amount=40.0,
            cash_point_serial="SN-001",
            zeroing_number="Z-9",
            channel="pos",
            idempotency_key="k-77",
        )
        self.assertRecordValues(
            self.rows(self.voucher, "use"),
            [
                {
                    "amount": 12.5,
                    "bill_ref": "B-77",
                    "bill_amount": 40.0,
                    "cash_point_serial": "SN-001",
                    "zeroing_number": "Z-9",
                    "channel": "pos",
                    "store_id": self.company.id,
                    "user_id": self.store_user.id,
                    "company_id": self.company.id,
                    # A key is its caller's: the row's key names the operator.
                    "idempotency_key": f"{self.store_user.id}/k-77",
                }
            ],
        )

    def test_idempotency_key_is_unique(self):
        self.voucher.with_user(self.store_user)._vms_spend(1.0, idempotency_key="dup")
        with mute_logger("odoo.sql_db"), self.refused("idempotency", psycopg2.IntegrityError):
            self.env["vms.voucher.transaction"].sudo()._vms_append(
                [
                    {
                        "voucher_id": self.voucher.id,
                        "type": "use",
                        "idempotency_key": f"{self.store_user.id}/dup",
                    }
                ]
            )

    def test_store_user_sees_own_company_rows_only(self):
        foreign_campaign = self.env["vms.campaign"].create(
            {"name": "Other", "code": "OTH", "company_id": self.other_company.id}
        )
        foreign = (
            self.env["vms.voucher"]
            .with_company(self.other_company)
            .create(
                {
                    "campaign_id": foreign_campaign.id,
                    "company_id": self.other_company.id,
                    "nominal_amount": 5.0,
                }
            )
        )
        Row = self.env["vms.voucher.transaction"].with_user(self.store_user)
        self.assertFalse(Row.search([("voucher_id", "=", foreign.id)]))
        self.assertTrue(Row.search([("voucher_id", "=", self.voucher.id)]))
        with self.assertRaises(UserError):
            self.rows(foreign).with_user(self.store_user).read(["amount"])
