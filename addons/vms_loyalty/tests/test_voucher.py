import psycopg2

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..tools import codes
from .common import VmsCase


@tagged("post_install", "-at_install")
class TestVoucher(VmsCase):
    """Field rules, codes and the state machine of one voucher."""

    def test_new_voucher_gets_a_checked_code_and_its_generate_row(self):
        voucher = self.new_voucher(valid_from=self.days(1), valid_to=self.days(30))
        self.assertEqual(voucher.state, "generated")
        self.assertTrue(voucher.code.startswith("TST"))
        self.assertEqual(codes.parse(voucher.code, "TST", 12), voucher.code)
        self.assertFalse(voucher.barcode)  # Code 128 by default: the code itself
        self.assertEqual(voucher.barcode_payload, voucher.code)
        self.assertEqual(voucher.balance, 50.0)
        self.assertEqual(voucher.currency_id, self.company.currency_id)
        self.assertEqual(voucher.kind, "company")
        row = self.rows(voucher)
        self.assertRecordValues(
            row,
            [
                {
                    "type": "generate",
                    "state": "recorded",
                    "amount": 50.0,
                    "user_id": self.manager.id,
                    "valid_from": self.days(1),
                    "valid_to": self.days(30),
                }
            ],
        )
        self.assert_replay(voucher)

    def test_validity_may_start_after_issue_and_expiry_is_derived(self):
        later = self.new_voucher(valid_from=self.days(10), valid_to=self.days(20))
        expired = self.new_voucher(valid_from=self.days(-20), valid_to=self.days(-1))
        current = self.new_voucher(valid_to=self.days(5))
        self.assertEqual(later.validity_status, "not_yet")
        self.assertEqual(expired.validity_status, "expired")
        self.assertTrue(expired.is_expired)
        self.assertEqual(current.validity_status, "valid")
        Voucher = self.env["vms.voucher"]
        mine = later | expired | current
        self.assertEqual(
            Voucher.search([("id", "in", mine.ids), ("is_expired", "=", True)]), expired
        )
        self.assertEqual(
            Voucher.search([("id", "in", mine.ids), ("is_expired", "=", False)]), later | current
        )
        self.assertEqual(
            Voucher.search([("id", "in", mine.ids), ("validity_status", "=", "not_yet")]), later
        )
        with mute_logger("odoo.sql_db"), self.refused("validity_order", psycopg2.IntegrityError):
            self.new_voucher(valid_from=self.days(5), valid_to=self.days(1))

    def test_wrong_check_character_is_refused_before_any_lookup(self):
        voucher = self.new_voucher()
        Voucher = self.env["vms.voucher"].with_user(self.store_user)
        self.assertEqual(Voucher._vms_find_by_code(voucher.code.lower()), voucher)
        last = voucher.code[-1]
        wrong = voucher.code[:-1] + ("Z" if last != "Z" else "Y")
        with self.refused("wrong check character"):
            Voucher._vms_find_by_code(wrong)
        with self.refused("wrong check character"):
            self.new_voucher(code=wrong)
        # A code cut short, unless its tail happens to read as a whole code of
        # another prefix (its check character right by chance, one in 32).
        short = next(
            voucher.code[:-cut]
            for cut in range(2, 8)
            if not codes.luhn_mod_n_valid(voucher.code[:-cut][-12:])
        )
        for bad, message in (
            ("", "voucher code is required"),
            ("XYZ" + wrong[3:], "start with TST"),
            ("XYZ" + voucher.code[3:], "No voucher with code"),  # another company's prefix
            (short, "characters are expected"),
            (voucher.code[:-1] + "0", "never use"),
        ):
            with self.subTest(code=bad), self.refused(message):
                Voucher._vms_find_by_code(bad)
        unknown = codes.random_codes(1, "TST", 12)[0]
        with self.refused("No voucher with code"):
            Voucher._vms_find_by_code(unknown)

    def test_duplicate_code_refused_by_the_database(self):
        voucher = self.new_voucher()
        with (
            mute_logger("odoo.sql_db"),
            self.refused("vms_voucher_code_unique", psycopg2.IntegrityError),
        ):
            self.new_voucher(code=voucher.code)

    def test_spent_above_nominal_refused_by_the_database(self):
        voucher = self.new_voucher()
        with (
            mute_logger("odoo.sql_db"),
            self.refused("spent_within_nominal", psycopg2.IntegrityError),
        ):
            self.env.cr.execute(
                "UPDATE vms_voucher SET spent_amount = nominal_amount + 0.01 WHERE id = %s",
                [voucher.id],
            )
        with (
            mute_logger("odoo.sql_db"),
            self.refused("spent_within_nominal", psycopg2.IntegrityError),
        ):
            self.env.cr.execute(
                "UPDATE vms_voucher SET spent_amount = -1 WHERE id = %s", [voucher.id]
            )

    def test_state_and_amounts_change_only_through_actions(self):
        voucher = self.as_manager(self.new_voucher())
        for vals in (
            {"state": "active"},
            {"spent_amount": 10.0},
            {"code": "TSTX"},
            {"nominal_amount": 9},
        ):
            with self.subTest(vals=vals), self.refused("change only through its actions"):
                voucher.write(vals)
        with self.refused("change only through its actions"):
            voucher.sudo().write({"state": "used"})
        self.assertEqual(voucher.state, "generated")
        self.assert_replay(voucher)
        # Nor are they given at its creation (a form, an import).
        for vals in (
            {"withdrawn": True},
            {"state_before_block": "active"},
            {"spent_amount": 4.0},
            {"block_reason": "lost"},
        ):
            with self.subTest(vals=vals), self.refused("starts unspent and unblocked"):
                self.new_voucher(**vals)
        # Nor through the context's defaults, which any RPC client may send.
        Voucher = self.env["vms.voucher"].with_user(self.manager)
        values = {"campaign_id": self.campaign.id, "nominal_amount": 50.0}
        for context in ({"default_withdrawn": True}, {"default_spent_amount": 4.0}):
            with self.subTest(context=context), self.refused("starts unspent and unblocked"):
                Voucher.with_context(**context).create(values)
        with self.refused("either generated or active"):
            Voucher.with_context(default_state="used").create(values)
        active = Voucher.with_context(default_state="active").create(values)
        self.assertEqual(
            (active.state, self.rows(active).mapped("type")), ("active", ["generate", "activate"])
        )
        self.assert_replay(active)

    def test_full_lifecycle_with_replay_after_every_step(self):
        voucher = self.as_manager(
            self.new_voucher(min_activation_amount=20.0, min_payment_amount=5.0)
        )
        voucher.with_user(self.vms_user).action_hand_over(partner=self.partner)
        self.assertEqual((voucher.state, voucher.partner_id), ("handed_over", self.partner))
        self.assert_replay(voucher)
        with self.refused(r"activated from a bill of \$\s20\.00"):
            voucher.action_activate(bill_amount=19.99)
        voucher.action_activate(bill_amount=20.0, bill_ref="B-1", cash_point_serial="TILL-7")
        self.assertEqual(voucher.state, "active")
        self.assertEqual(voucher.activation_user_id, self.manager)
        self.assertEqual(voucher.activation_store_id, self.company)
        self.assertTrue(voucher.activation_date)
        self.assert_replay(voucher)
        Store = voucher.with_user(self.store_user)
        first = Store._vms_spend(30.0, bill_ref="B-2", bill_amount=40.0, zeroing_number="Z12")
        self.assertRecordValues(
            first,
            [
                {
                    "type": "use",
                    "amount": 30.0,
                    "bill_ref": "B-2",
                    "zeroing_number": "Z12",
                    "user_id": self.store_user.id,
                }
            ],
        )
        self.assertEqual(
            (voucher.state, voucher.spent_amount, voucher.balance), ("active", 30.0, 20.0)
        )
        self.assert_replay(voucher)
        with self.refused(r"has 20\.00 \w+ left"):
            Store._vms_spend(20.01, bill_amount=40.0)
        with self.refused("pays only bills of"):
            Store._vms_spend(5.0, bill_amount=4.0)
        Store._vms_spend(20.0, bill_amount=25.0)
        self.assertEqual((voucher.state, voucher.balance), ("used", 0.0))
        self.assert_replay(voucher)
        with self.refused("is Used: it cannot be used"):
            Store._vms_spend(1.0)
        Store._vms_reverse(first, reason="Bill voided")
        self.assertEqual((voucher.state, voucher.spent_amount), ("active", 20.0))
        self.assert_replay(voucher)
        with self.refused(r"At most 0\.00 \w+ of this use"):
            Store._vms_reverse(first)
        self.assertEqual(
            self.rows(voucher).mapped("type"),
            ["generate", "hand_over", "activate", "use", "use", "reverse"],
        )

    def test_illegal_transitions_name_the_voucher_and_its_state(self):
        voucher = self.as_manager(self.new_voucher())
        with self.refused(rf"Voucher {voucher.code} is Generated: unblocking is not allowed"):
            voucher.action_unblock("no reason")
        with self.refused(rf"{voucher.code} is Generated: it cannot be used"):
            voucher.with_user(self.store_user)._vms_spend(1.0)
        voucher.action_activate()
        with self.refused(rf"{voucher.code} is Active: handing over is not allowed"):
            voucher.action_hand_over()
        voucher.action_block("Stolen")
        with self.refused(rf"{voucher.code} is Blocked: activating is not allowed"):
            voucher.action_activate()
        with self.refused("Say why"):
            voucher.action_unblock("")
        self.assert_replay(voucher)

    def test_block_unblock_restores_the_previous_state(self):
        handed, active = self.new_voucher(), self.new_voucher()
        handed.with_user(self.vms_user).action_hand_over()
        self.as_manager(active).action_activate()
        both = self.as_manager(handed | active)
        both.action_block("Printing error", group=True)
        self.assertEqual(set(both.mapped("state")), {"blocked"})
        self.assertEqual(handed.block_reason, "Printing error")
        self.assertEqual(self.rows(handed, "group_block").reason, "Printing error")
        with self.refused("Blocked: it cannot be used"):
            active.with_user(self.store_user)._vms_spend(1.0)
        both.action_unblock("Found the stock")
        self.assertEqual((handed.state, active.state), ("handed_over", "active"))
        self.assertFalse(handed.block_reason)
        for voucher in both:
            self.assert_replay(voucher)

    def test_change_validity_in_bulk_and_from_the_form(self):
        vouchers = self.as_manager(self.new_voucher() | self.new_voucher())
        vouchers._vms_change_validity(self.days(2), self.days(40), reason="Extended")
        self.assertEqual(set(vouchers.mapped("valid_to")), {self.days(40)})
        for voucher in vouchers:
            self.assertRecordValues(
                self.rows(voucher, "change_validity"),
                [{"valid_from": self.days(2), "valid_to": self.days(40), "reason": "Extended"}],
            )
            self.assert_replay(voucher)
        voucher = vouchers[0]
        voucher.write({"valid_to": self.days(60), "item_criteria": "Shoes only"})
        self.assertEqual(len(self.rows(voucher, "change_validity")), 2)
        self.assertEqual(voucher.item_criteria, "Shoes only")
        self.assert_replay(voucher)
        with self.refused("stop being valid before"):
            vouchers._vms_change_validity(self.days(9), self.days(3))
        with self.assertRaises(AccessError):
            voucher.with_user(self.vms_user).write({"valid_to": self.days(70)})

    def test_spending_refusals_with_reasons(self):
        def active(**vals):
            voucher = self.as_manager(self.new_voucher(**vals))
            voucher.action_activate()
            return voucher.with_user(self.store_user)

        engine = self.env["vms.redemption"].with_user(self.store_user)

        def validate(voucher, amount, **sale):
            return engine._vms_validate(voucher.code, amount, **sale)

        not_yet = active(valid_from=self.days(3))
        with self.refused("valid only from"):
            validate(not_yet, 1.0)
        with self.refused("valid only from"):
            not_yet._vms_spend(1.0)
        expired = active(valid_from=self.days(-9), valid_to=self.days(-1))
        with self.refused("expired on"):
            validate(expired, 1.0)
        bound = active(card_id=self.card.id, card_bound=True, partner_id=self.partner.id)
        with self.refused("send card"):
            validate(bound, 1.0)
        with self.refused("another holder"):
            validate(bound, 1.0, card=self.card, partner=self.partner_2)
        validate(bound, 1.0, card=self.card, partner=self.partner)
        good = active()
        for amount, message in (
            (-5, "above zero"),
            ("ten", "plain decimal number"),
            (None, "decimal number"),
            (True, "decimal number"),
            (0.0, "above zero"),
        ):
            with self.subTest(amount=amount), self.refused(message):
                validate(good, amount)
            with self.subTest(amount=amount, spend=True), self.refused(message):
                good._vms_spend(amount)
        other_currency = (
            self.env.ref("base.EUR")
            if self.company.currency_id != self.env.ref("base.EUR")
            else self.env.ref("base.USD")
        )
        with self.refused("is in " + self.company.currency_id.name):
            validate(good, 1.0, currency=other_currency)
        self.assertEqual(good.spent_amount, 0.0)
        self.assertEqual(len(self.rows(good, "use")), 0)

    def test_one_use_row_per_key(self):
        """A use row's key is unique: whatever path spends, a key spends once."""
        voucher = self.as_manager(self.new_voucher())
        voucher.action_activate()
        store = voucher.with_user(self.store_user)
        store._vms_spend(10.0, idempotency_key="till7-bill42-1")
        with mute_logger("odoo.sql_db"), self.refused("idempotency", psycopg2.IntegrityError):
            store._vms_spend(10.0, idempotency_key="till7-bill42-1")
        voucher.invalidate_recordset()
        self.assertEqual(voucher.spent_amount, 10.0)

    def test_discount_vouchers(self):
        voucher = self.new_voucher(
            value_type="discount", nominal_amount=0.0, discount_type="percent", discount_value=15
        )
        self.as_manager(voucher).action_activate()
        voucher.with_user(self.store_user)._vms_spend(4.5, bill_amount=30.0)
        self.assertEqual((voucher.state, voucher.spent_amount), ("used", 0.0))
        self.assert_replay(voucher)
        for vals, message in (
            ({"discount_value": 120}, "more than 100"),
            ({"discount_value": 0}, "must be positive"),
            ({"discount_value": 5, "discount_scope": "product"}, "applies to one item"),
            ({"discount_value": 5, "discount_scope": "category"}, "item group"),
        ):
            with self.subTest(vals=vals), self.refused(message):
                self.new_voucher(value_type="discount", nominal_amount=0.0, **vals)
        with self.refused("must be worth more than zero"):
            self.new_voucher(nominal_amount=0.0)

    def test_card_and_holder_rules(self):
        with self.refused("bound to a club card but has none"):
            self.new_voucher(card_bound=True)
        with self.refused("is not the holder of club card"):
            self.new_voucher(card_id=self.card.id, partner_id=self.partner_2.id)
        for _i in range(3):
            self.new_voucher(partner_id=self.partner.id)
        with self.refused("at most 3 are allowed per holder"):
            self.new_voucher(partner_id=self.partner.id)

    def test_ean13_barcode_and_external_payload_lookup(self):
        self.company.vms_barcode_format = "ean13"
        voucher = self.new_voucher()
        self.assertTrue(codes.ean13_valid(voucher.barcode))
        self.assertTrue(voucher.barcode.startswith("29"))
        Voucher = self.env["vms.voucher"]
        self.assertEqual(Voucher._vms_find_by_code(voucher.barcode), voucher)
        wrong = voucher.barcode[:-1] + str((int(voucher.barcode[-1]) + 1) % 10)
        with self.refused("EAN-13 check digit"):
            Voucher._vms_find_by_code(wrong)
        self.as_manager(voucher).write({"external_qr_payload": "https://partner.example/v/123"})
        self.assertEqual(Voucher._vms_find_by_code("https://partner.example/v/123"), voucher)

    def test_pin_is_stored_hashed(self):
        voucher = self.as_manager(self.new_voucher())
        voucher._vms_set_pin("4321")
        self.assertTrue(voucher.has_pin and voucher.redeem_pin)
        stored = voucher.sudo().pin_hash
        self.assertNotIn("4321", stored)
        self.assertTrue(voucher._vms_check_pin("4321"))
        self.assertFalse(voucher._vms_check_pin("1234"))
        with self.assertRaises(AccessError):
            voucher.read(["pin_hash"])
        for bad in ("12", "abcd", "123456789"):
            with self.subTest(pin=bad), self.refused("4 to 8 digits"):
                voucher._vms_set_pin(bad)

    def test_vouchers_are_never_deleted_nor_copied(self):
        voucher = self.new_voucher()
        with self.refused("never deleted"):
            voucher.sudo().unlink()
        with self.refused("cannot be duplicated"):
            voucher.sudo().copy()

    def test_foreign_company_campaign_refused(self):
        foreign = self.env["vms.campaign"].create(
            {"name": "Other", "code": "OTH", "company_id": self.other_company.id}
        )
        with self.assertRaises(UserError):
            self.new_voucher(campaign_id=foreign.id)

    def test_currency_is_the_company_currency(self):
        voucher = self.new_voucher()
        self.assertEqual(voucher.currency_id, self.company.currency_id)
        self.assertEqual(self.rows(voucher).currency_id, self.company.currency_id)
