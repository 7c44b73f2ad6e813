import contextlib
import json
import string
from decimal import Decimal
from uuid import uuid4

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo.tests import tagged

from ..exceptions import VmsError
from ..tools import api_input, codes, rules
from .test_otp import refusal
from .test_redemption_express import LaneCase

PROPERTY_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI never flickers
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

VOUCHERS = st.fixed_dictionaries(
    {
        "nominal": st.sampled_from([10.0, 50.0]),
        "value_type": st.sampled_from(["nominal", "nominal", "discount"]),
        "min_payment": st.sampled_from([0.0, 30.0]),
        "scope": st.sampled_from(["bill", "bill", "product"]),
        "holder": st.sampled_from([None, "partner", "card", "bound", "bound_blocked"]),
        "state": st.sampled_from(["active", "active", "active", "generated", "blocked"]),
        "validity": st.sampled_from(["open", "open", "past", "future"]),
        "spent": st.sampled_from([0.0, 0.0, 5.0]),
        "held": st.sampled_from([0.0, 0.0, 5.0]),
    }
)
REQUESTS = st.fixed_dictionaries(
    {
        "amount": st.sampled_from([0.01, 5.0, 9.99, 10.0, 12.5, 45.0, 60.0, "7.50", "1.005", -1]),
        "bill_amount": st.sampled_from([None, None, 20.0, 40.0]),
        "lines": st.sampled_from([None, None, "in_scope", "out_of_scope"]),
        "partner": st.sampled_from([None, None, "holder", "other"]),
        "card": st.sampled_from([None, None, "own", "other"]),
    }
)


@tagged("post_install", "-at_install")
class TestLanesAgree(LaneCase):
    """Random vouchers (terms, states, holds) and random requests: the express
    lane and the full engine give the same effects and the same refusals."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.kite = cls.env["product.product"].create({"name": "Kite", "list_price": 20.0})
        cls.bread = cls.env["product.product"].create({"name": "Bread", "list_price": 3.0})
        # A campaign without a limit per holder: every example gives the holder vouchers.
        cls.campaign = cls.env["vms.campaign"].create(
            {
                "name": "Properties",
                "code": "PROPS",
                "company_id": cls.company.id,
                "state": "running",
            }
        )
        cls.other_card = cls.env["vms.card"].create(
            {"partner_id": cls.partner_2.id, "company_id": cls.company.id, "state": "active"}
        )

    def member(self):
        """A holder of their own for each example: the per-holder limit of a
        campaign counts every voucher an earlier example gave."""
        self.holder = self.env["res.partner"].create({"name": "Member"})
        Card = self.env["vms.card"]
        self.holder_card = Card.create({"partner_id": self.holder.id, "state": "active"})
        self.blocked_card = Card.create({"partner_id": self.holder.id, "state": "blocked"})

    def make_voucher(self, terms):
        values = {
            "nominal_amount": terms["nominal"],
            "value_type": terms["value_type"],
            "min_payment_amount": terms["min_payment"],
            "state": "generated" if terms["state"] == "generated" else "active",
        }
        if terms["value_type"] == "discount":
            values.update(discount_type="percent", discount_value=20.0)
        if terms["scope"] == "product":
            values.update(discount_scope="product", discount_product_id=self.kite.id)
        holder = terms["holder"]
        if holder == "partner":
            values["partner_id"] = self.holder.id
        elif holder == "card":
            values["card_id"] = self.holder_card.id
        elif holder in ("bound", "bound_blocked"):
            card = self.holder_card if holder == "bound" else self.blocked_card
            values.update(card_id=card.id, card_bound=True, partner_id=self.holder.id)
        if terms["validity"] == "past":
            values.update(valid_from=self.days(-9), valid_to=self.days(-1))
        elif terms["validity"] == "future":
            values.update(valid_from=self.days(3))
        voucher = self.env["vms.voucher"].create({"campaign_id": self.campaign.id, **values})
        if terms["spent"] and voucher.state == "active" and terms["validity"] == "open":
            with contextlib.suppress(VmsError):  # a blocked bound card spends nothing
                voucher.sudo()._vms_spend(
                    terms["spent"], bill_ref="EARLIER", bill_amount=100.0, card=voucher.card_id
                )
        if terms["held"] and voucher.state == "active":
            # Another sale in progress, with every proof the terms could ask.
            with contextlib.suppress(VmsError):  # nobody may hold it now: no other sale
                self.hold(
                    voucher,
                    terms["held"],
                    f"other-{uuid4().hex}",
                    "POS/OTHER",
                    partner=self.holder,
                    card=voucher.card_id or None,
                    bill_amount=100.0,
                    lines=[{"product": self.kite, "qty": 5, "price_unit": 20.0}],
                )
        if terms["state"] == "blocked":
            voucher.sudo().action_block("test")
        return voucher

    def sale(self, request, voucher):
        sale = {}
        if request["bill_amount"] is not None:
            sale["bill_amount"] = request["bill_amount"]
        if request["lines"]:
            product = self.kite if request["lines"] == "in_scope" else self.bread
            sale["lines"] = [{"product": product, "qty": 2, "price_unit": 20.0}]
        if request["partner"]:
            sale["partner"] = self.holder if request["partner"] == "holder" else self.partner_2
        if request["card"]:
            own = voucher.card_id or self.holder_card
            sale["card"] = own if request["card"] == "own" else self.other_card
        return sale

    def outcome(self, terms, request, express):
        self.member()
        voucher = self.make_voucher(terms)
        key = f"prop-{uuid4().hex}"
        try:
            answer = self.redeem(
                voucher, request["amount"], key, express, **self.sale(request, voucher)
            )
        except VmsError as error:
            voucher.invalidate_recordset()
            return ("refused", error.code, voucher.spent_amount, len(voucher.redemption_ids))
        return ("redeemed", self.effects(answer, key))

    @PROPERTY_SETTINGS
    @given(terms=VOUCHERS, request=REQUESTS)
    def test_both_lanes_take_the_same_decision_and_write_the_same(self, terms, request):
        express = self.outcome(terms, request, express=True)
        full = self.outcome(terms, request, express=False)
        self.assertEqual(express, full, f"{terms} {request}")


@tagged("post_install", "-at_install")
class TestParsing(LaneCase):
    """Codes, EAN-13s, amounts and currencies: what is made parses back, and
    what must be refused is."""

    @PROPERTY_SETTINGS
    @given(
        prefix=st.text(alphabet=string.ascii_uppercase + string.digits, max_size=6),
        length=st.integers(min_value=8, max_value=24),
        position=st.integers(min_value=0, max_value=23),
        replacement=st.sampled_from(codes.ALPHABET),
    )
    def test_codes_round_trip_and_a_changed_character_is_caught(
        self, prefix, length, position, replacement
    ):
        code = codes.random_codes(1, prefix, length)[0]
        self.assertEqual(codes.parse(code.lower(), prefix, length), code)
        self.assertEqual(codes.parse(f" {code[:4]}-{code[4:]} ", prefix, length), code)
        index = len(prefix) + position % length
        if code[index] != replacement:
            changed = code[:index] + replacement + code[index + 1 :]
            with self.assertRaises(codes.CodeError):
                codes.parse(changed, prefix, length)

    @PROPERTY_SETTINGS
    @given(text=st.text(max_size=40))
    def test_garbage_is_refused_or_is_a_code(self, text):
        try:
            parsed = codes.parse(text, "TST", 12)
        except codes.CodeError as error:
            self.assertIn(error.reason, ("empty", "prefix", "length", "alphabet", "check"))
        else:
            self.assertTrue(parsed.startswith("TST") and codes.luhn_mod_n_valid(parsed[3:]))

    @PROPERTY_SETTINGS
    @given(position=st.integers(min_value=0, max_value=12), digit=st.integers(0, 9))
    def test_ean13_drawn_valid_and_a_changed_digit_is_caught(self, position, digit):
        number = codes.random_ean13s(1)[0]
        self.assertTrue(codes.ean13_valid(number) and number.startswith("29"))
        if int(number[position]) != digit:
            changed = number[:position] + str(digit) + number[position + 1 :]
            self.assertFalse(codes.ean13_valid(changed))

    @PROPERTY_SETTINGS
    @given(
        cents=st.integers(min_value=1, max_value=99_999_999_999),
        rounding=st.sampled_from([0.01, 0.05, 1.0]),
    )
    def test_amounts_on_the_grid_parse_back_and_others_are_refused(self, cents, rounding):
        places = 0 if rounding == 1.0 else 2
        money = rules.Money(1, "TST", rounding, places)
        text = f"{Decimal(cents) / 100:.2f}"
        on_grid = Decimal(text) % Decimal(repr(rounding)) == 0 and Decimal(text) <= rules.MAX_AMOUNT
        if on_grid:
            self.assertEqual(rules.parse_amount(self.env, text, money), float(text))
            self.assertEqual(rules.parse_amount(self.env, float(text), money), float(text))
        else:
            self.assertEqual(
                refusal(rules.parse_amount, self.env, text, money).code, "invalid_amount"
            )
        # No subTest under @given: Hypothesis reports the failing example itself.
        for bad in (f"-{text}", "0", f"{text}0001", "1e3", "NaN", "Infinity", True, None):
            self.assertEqual(
                refusal(rules.parse_amount, self.env, bad, money).code, "invalid_amount", bad
            )

    @PROPERTY_SETTINGS
    @given(name=st.text(max_size=5))
    def test_currency_names_are_three_capitals(self, name):
        field = api_input.FIELDS["currency"]
        if len(name) == 3 and all(char in string.ascii_uppercase for char in name):
            self.assertEqual(field.parse("currency", name), name)
        else:
            with self.assertRaises(api_input.InputError):
                field.parse("currency", name)

    @PROPERTY_SETTINGS
    @given(
        body=st.recursive(
            st.none() | st.booleans() | st.integers(-(10**12), 10**12) | st.text(max_size=20),
            lambda children: (
                st.lists(children, max_size=4)
                | st.dictionaries(st.text(max_size=8), children, max_size=4)
            ),
            max_leaves=20,
        )
    )
    def test_bodies_load_back_within_bounds_and_are_refused_beyond(self, body):
        def depth(value):
            if isinstance(value, dict):
                return 1 + max(map(depth, value.values()), default=0)
            if isinstance(value, list):
                return 1 + max(map(depth, value), default=0)
            return 0

        def unprintable(value):
            if isinstance(value, str):
                return not value.isprintable()
            if isinstance(value, dict):
                return any(unprintable(k) or unprintable(v) for k, v in value.items())
            if isinstance(value, list):
                return any(map(unprintable, value))
            return False

        wrapped = {"body": body}
        too_deep = depth(wrapped) > api_input.MAX_DEPTH
        try:
            loaded = api_input.load_body(json.dumps(wrapped).encode())
        except api_input.InputError as error:
            expected = "invalid_json" if too_deep else "invalid_payload"
            self.assertTrue(too_deep or unprintable(wrapped), error.args)
            self.assertEqual(error.code, expected)
        else:
            self.assertFalse(too_deep or unprintable(wrapped))
            self.assertEqual(loaded, wrapped)

    def test_deep_bodies_never_recurse(self):
        for depth in (api_input.MAX_DEPTH + 1, 1000, 20000):
            with self.subTest(depth=depth):
                with self.assertRaises(api_input.InputError) as caught:
                    api_input.load_body(("[" * depth + "]" * depth).encode(), max_bytes=10**6)
                self.assertEqual(caught.exception.code, "invalid_json")

    def test_voucher_ttl_and_key_bounds(self):
        store = self.company._vms_store()
        for ttl in (0, -1, 86401, True, 1.5):
            with self.subTest(ttl=ttl):
                self.assertEqual(
                    refusal(rules.hold_ttl, self.env, store, ttl or -1).code, "invalid_ttl"
                )
        for key in ("short", "x" * 129, "tab\there!", None, 42):
            with self.subTest(key=key):
                self.assertEqual(
                    refusal(rules.check_key, self.env, key).code, "idempotency_key_required"
                )
        self.assertEqual(rules.hold_ttl(self.env, store, 30), 30)
        self.assertEqual(rules.check_key(self.env, "fine-key-1"), "fine-key-1")
