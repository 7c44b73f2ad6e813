from unittest.mock import patch

import psycopg2

from odoo.tests import tagged
from odoo.tools import mute_logger

from ..tools import codes
from .common import VmsCase


@tagged("post_install", "-at_install")
class TestGenerate(VmsCase):
    """The generation wizard and its set-based SQL path."""

    def wizard(self, **vals):
        values = {"campaign_id": self.campaign.id, "nominal_amount": 15.0, **vals}
        if not (vals.get("card_ids") or vals.get("partner_ids")):
            values.setdefault("quantity", 10)
        return self.env["vms.voucher.generate"].with_user(self.manager).create(values)

    def test_generate_vouchers_with_their_rows(self):
        action = self.wizard(
            quantity=300, valid_from=self.days(1), valid_to=self.days(60), min_payment_amount=3.0
        ).action_generate()
        vouchers = self.env["vms.voucher"].search(action["domain"])
        self.assertEqual(len(vouchers), 300)
        self.assertEqual(len(set(vouchers.mapped("code"))), 300)
        for voucher in vouchers:
            self.assertEqual(codes.parse(voucher.code, "TST", 12), voucher.code)
        self.assertEqual(set(vouchers.mapped("state")), {"generated"})
        self.assertEqual(set(vouchers.mapped("balance")), {15.0})
        self.assertEqual(set(vouchers.mapped("valid_to")), {self.days(60)})
        self.assertEqual(set(vouchers.mapped("create_uid")), {self.manager})
        rows = self.env["vms.voucher.transaction"].search([("voucher_id", "in", vouchers.ids)])
        self.assertEqual(len(rows), 300)
        self.assertEqual(set(rows.mapped("type")), {"generate"})
        self.assertEqual(set(rows.mapped("user_id")), {self.manager})
        batch = vouchers.batch_id
        self.assertRecordValues(batch, [{"state": "done", "generated_count": 300, "progress": 100}])
        self.assertEqual(self.campaign.voucher_count, 300)
        for voucher in vouchers[:5]:
            self.assert_replay(voucher)

    def test_generate_active_vouchers_writes_activate_rows(self):
        action = self.wizard(quantity=5, initial_state="active").action_generate()
        vouchers = self.env["vms.voucher"].search(action["domain"])
        self.assertEqual(set(vouchers.mapped("state")), {"active"})
        self.assertEqual(set(vouchers.mapped("activation_user_id")), {self.manager})
        for voucher in vouchers:
            self.assertEqual(self.rows(voucher).mapped("type"), ["generate", "activate"])
            self.assert_replay(voucher)
        vouchers[0].with_user(self.store_user)._vms_spend(15.0)
        self.assertEqual(vouchers[0].state, "used")

    def test_collisions_are_retried_never_failing_the_batch(self):
        existing = self.new_voucher()
        real = codes.random_codes
        calls = []

        def colliding(count, prefix, length):
            calls.append(count)
            drawn = real(count, prefix, length)
            if len(calls) == 1:
                drawn[0] = drawn[3] = existing.code  # one clash with the database
            return drawn

        with patch.object(codes, "random_codes", side_effect=colliding):
            action = self.wizard(quantity=20).action_generate()
        vouchers = self.env["vms.voucher"].search(action["domain"])
        self.assertEqual(len(vouchers), 20)
        self.assertNotIn(existing.code, vouchers.mapped("code"))
        self.assertGreaterEqual(len(calls), 2)
        self.assertEqual(
            self.env["vms.voucher.transaction"].search_count([("voucher_id", "in", vouchers.ids)]),
            20,
        )

    def test_personalised_one_voucher_per_holder_within_the_limit(self):
        card_2 = self.env["vms.card"].create(
            {"partner_id": self.partner_2.id, "company_id": self.company.id}
        )
        wizard = self.wizard(card_ids=[(6, 0, (self.card | card_2).ids)], card_bound=True)
        self.assertEqual(wizard.quantity, 2)
        vouchers = self.env["vms.voucher"].search(wizard.action_generate()["domain"])
        self.assertEqual(len(vouchers), 2, vouchers.read(["card_id", "partner_id"]))
        self.assertEqual(
            {(v.card_id, v.partner_id) for v in vouchers},
            {(self.card, self.partner), (card_2, self.partner_2)},
        )
        self.assertTrue(all(vouchers.mapped("card_bound")))
        self.wizard(partner_ids=[(6, 0, self.partner.ids)]).action_generate()
        # A remainder voucher carries on one already issued: it does not count.
        parent = vouchers.filtered(lambda v: v.partner_id == self.partner)
        self.new_voucher(state="active", partner_id=self.partner.id, parent_id=parent.id)
        self.wizard(partner_ids=[(6, 0, self.partner.ids)]).action_generate()
        with self.refused("at most 3 are allowed per holder"):
            self.wizard(partner_ids=[(6, 0, self.partner.ids)]).action_generate()

    def test_large_runs_go_to_the_background_with_progress(self):
        self.env["ir.config_parameter"].sudo().set_param("vms_loyalty.generate_foreground_max", 5)
        wizard = self.wizard(quantity=7)
        self.assertTrue(wizard.in_background)
        cron = self.env.ref("vms_loyalty.ir_cron_vms_voucher_generate")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        action = wizard.action_generate()
        self.assertEqual(action["res_model"], "vms.voucher.batch")
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers + 1
        )
        batch = self.env["vms.voucher.batch"].browse(action["res_id"])
        self.assertEqual((batch.state, batch.generated_count), ("queued", 0))
        self.assertEqual(batch._vms_generate_chunk(3), 3)
        self.assertEqual(batch.state, "running")
        self.assertAlmostEqual(batch.progress, 300 / 7)
        batch._vms_generate_chunk(3)
        batch._vms_generate_chunk(3)
        self.assertEqual((batch.state, batch.generated_count), ("done", 7))
        self.assertEqual(len(batch.voucher_ids), 7)

    def test_bad_input_is_refused_and_nothing_is_generated(self):
        before = self.env["vms.voucher"].search_count([])
        cases = [
            ({"quantity": 0}, "at least one"),
            ({"quantity": -3}, "at least one"),
            ({"nominal_amount": 0.0}, "more than zero"),
            ({"nominal_amount": -5.0}, "more than zero"),
            ({"valid_from": self.days(5), "valid_to": self.days(1)}, "before it starts"),
            ({"value_type": "discount", "discount_value": 150}, "100%"),
            ({"card_bound": True}, "need the cards"),
            ({"min_payment_amount": -1}, "cannot be negative"),
        ]
        for vals, message in cases:
            with self.subTest(vals=vals), self.refused(message):
                self.wizard(**vals).action_generate()
        self.campaign.state = "closed"
        with self.refused("is closed"):
            self.wizard().action_generate()
        self.assertEqual(self.env["vms.voucher"].search_count([]), before)

    def test_same_result_with_per_row_foreign_key_checks(self):
        """Where the database role may not skip the per-row foreign-key triggers,
        generation runs them and gives the same vouchers and rows."""
        Batch = type(self.env["vms.voucher.batch"])
        with patch.object(Batch, "_vms_check_references_once", return_value=False):
            action = self.wizard(quantity=30, initial_state="active").action_generate()
        vouchers = self.env["vms.voucher"].search(action["domain"])
        self.assertEqual(len(vouchers), 30)
        for voucher in vouchers[:3]:
            self.assert_replay(voucher)

    def test_triggers_are_back_after_generation(self):
        self.wizard(quantity=5).action_generate()
        self.env.cr.execute("SHOW session_replication_role")
        self.assertEqual(self.env.cr.fetchone()[0], "origin")
        # and the chronology is append-only again at once
        row = self.env["vms.voucher.transaction"].search([], limit=1)
        with mute_logger("odoo.sql_db"), self.refused("cannot change", psycopg2.Error):
            self.env.cr.execute(
                "UPDATE vms_voucher_transaction SET amount = 1 WHERE id = %s", [row.id]
            )

    def test_ean13_generation(self):
        self.company.vms_barcode_format = "ean13"
        vouchers = self.env["vms.voucher"].search(
            self.wizard(quantity=25).action_generate()["domain"]
        )
        for voucher in vouchers:
            self.assertTrue(codes.ean13_valid(voucher.barcode))
            # Never derived from the record id: the next barcode is not one addition away.
            self.assertNotEqual(int(voucher.barcode[2:12]), voucher.id)
        numbers = sorted(int(voucher.barcode[2:12]) for voucher in vouchers)
        self.assertEqual(len(set(numbers)), 25)
        self.assertGreater(numbers[-1] - numbers[0], 10**6, "spread over the whole range")
