import io
from datetime import timedelta

from PIL import Image

from odoo import fields
from odoo.tests import new_test_user, tagged

from .common_panel import PanelCase, qr_png


@tagged("post_install", "-at_install")
class TestPanel(PanelCase):
    """The redemption panel's controller: what a store user at a branch
    looks up, uploads and confirms, through the engine, in its own stores."""

    def test_lookup_shows_a_voucher_with_what_matters(self):
        voucher = self.active_voucher(partner_id=self.partner.id, valid_to=self.days(30))
        self.login(self.north)
        found = self.ok(self.panel("lookup", text=voucher.code.lower()))
        self.assertEqual(found["type"], "voucher")
        self.assertEqual(found["code"], voucher.code)
        self.assertEqual((found["balance"], found["available"]), (50.0, 50.0))
        self.assertEqual(found["valid_to"], str(self.days(30)))
        # The holder is masked; a personal voucher without its proof is refused
        # in the engine's words.
        self.assertEqual(found["holder"], "Ž**** N*************")
        self.assertNotIn(self.partner.name, str(found))
        self.assertEqual(found["refusal"]["code"], "proof_required")
        self.assertIn("Personal: only for its holder", found["terms"])
        # With the holder's club card shown, nothing is refused.
        found = self.ok(self.panel("lookup", text=voucher.code, card=self.card.number))
        self.assertIsNone(found["refusal"])
        self.refusal(
            self.panel("lookup", text=voucher.code, card="2900000000999"), "card_not_found"
        )

    def test_partial_redemption_with_remarks_is_recorded_for_the_user_and_branch(self):
        voucher = self.active_voucher()
        self.login(self.north)
        values = self.redeem_values(
            "partial-1", kind="voucher", code=voucher.code, amount="20.00", remarks="Receipt 42"
        )
        done = self.ok(self.panel("redeem", values=values))
        self.assertEqual(done["status"], "done")
        self.assertEqual((done["result"]["amount"], done["result"]["balance"]), (20.0, 30.0))
        self.assertEqual(done["remarks"], "Receipt 42")
        row = self.rows(voucher, "use")
        self.assertEqual(len(row), 1)
        self.assertEqual(
            (row.amount, row.store_id, row.user_id, row.channel),
            (20.0, self.branch_1, self.north, "panel"),
        )
        record = self.env["vms.panel.redemption"].search([("reference", "=", voucher.code)])
        self.assertEqual(
            (record.store_id, record.user_id, record.remarks, record.amount),
            (self.branch_1, self.north, "Receipt 42", 20.0),
        )
        # A retry of the same press changes nothing and answers the same.
        again = self.ok(self.panel("redeem", values=values))
        self.assertEqual(again["result"], done["result"])
        self.assertEqual(len(self.rows(voucher, "use")), 1)
        self.assertEqual(
            self.env["vms.panel.redemption"].search_count([("reference", "=", voucher.code)]), 1
        )
        # The day's list of the branch and the voucher's chronology show it.
        today = self.ok(self.panel("today"))
        self.assertEqual(
            [(line["reference"], line["remarks"]) for line in today], [(voucher.code, "Receipt 42")]
        )
        chronology = self.ok(self.panel("chronology", code=voucher.code))
        self.assertEqual(chronology[0]["type"], "Using")
        self.assertEqual(chronology[0]["store"], self.branch_1.name)
        self.assertEqual(chronology[0]["user"], self.north.name)
        # More than is left is refused by the engine; nothing changes.
        over = self.redeem_values("partial-2", kind="voucher", code=voucher.code, amount="31")
        self.refusal(self.panel("redeem", values=over), "insufficient_balance")
        voucher.invalidate_recordset()
        self.assertEqual(voucher.balance, 30.0)

    def test_expired_voucher_is_refused_with_the_engines_reason(self):
        voucher = self.active_voucher(valid_from=self.days(-10), valid_to=self.yesterday())
        self.login(self.north)
        found = self.ok(self.panel("lookup", text=voucher.code))
        self.assertEqual(found["refusal"]["code"], "voucher_expired")
        values = self.redeem_values("expired-1", kind="voucher", code=voucher.code, amount="5")
        error = self.refusal(self.panel("redeem", values=values), "voucher_expired")
        self.assertIn("expired", error["message"])
        self.assertFalse(self.rows(voucher, "use"))
        self.assertFalse(
            self.env["vms.redemption"].sudo().search([("voucher_id", "=", voucher.id)])
        )

    def test_a_branch_restricted_voucher_is_neither_redeemed_nor_seen_at_another_branch(self):
        voucher = self.active_voucher(campaign_id=self.north_only.id)
        self.login(self.north)
        values = self.redeem_values(
            "north-1", kind="voucher", code=voucher.code, amount="10", remarks="N"
        )
        self.ok(self.panel("redeem", values=values))
        self.login(self.south)
        # Another branch: refused outright, nothing of the voucher shows.
        error = self.refusal(
            self.panel("lookup", store=self.branch_2, text=voucher.code), "wrong_store"
        )
        self.assertNotIn("balance", error)
        values = self.redeem_values("south-1", kind="voucher", code=voucher.code, amount="5")
        self.refusal(self.panel("redeem", store=self.branch_2, values=values), "wrong_store")
        self.refusal(
            self.panel("chronology", store=self.branch_2, code=voucher.code), "wrong_store"
        )
        self.assertEqual(self.ok(self.panel("today", store=self.branch_2)), [])
        # Its own store only: another branch's id is refused before anything runs.
        self.refusal(self.panel("today", store=self.branch_1), "store_not_allowed")
        self.refusal(self.panel("lookup", store=False, text=voucher.code), "store_not_allowed")
        self.assertEqual(len(self.rows(voucher, "use")), 1)
        # Nor through the ORM: the panel's records and the chronology of the
        # other branch are not the south's to read.
        env = self.env(user=self.south, context={"allowed_company_ids": self.branch_2.ids})
        self.assertFalse(env["vms.panel.redemption"].search([]))
        self.assertFalse(env["vms.voucher.transaction"].search([("voucher_id", "=", voucher.id)]))
        self.assertFalse(env["vms.redemption"].search([("voucher_id", "=", voucher.id)]))
        # The user of both branches picks the north one at the top of the panel.
        self.login(self.both)
        stores = self.ok(self.make_jsonrpc_request("/vms/panel/stores", {}))["stores"]
        self.assertEqual({store["id"] for store in stores}, {self.branch_1.id, self.branch_2.id})
        self.assertEqual(len(self.ok(self.panel("today", store=self.branch_1))), 1)

    def test_uploaded_qr_code_is_decoded_and_redeemed(self):
        voucher = self.active_voucher()
        self.login(self.north)
        decoded = self.ok(self.panel("decode", image=self.uploaded(qr_png(voucher.code))))
        self.assertEqual(decoded["text"], voucher.code)
        # As the browser reads a file: a data URL.
        data_url = "data:image/png;base64," + self.uploaded(qr_png(voucher.code))
        self.assertEqual(self.ok(self.panel("decode", image=data_url))["text"], voucher.code)
        values = self.redeem_values("upload-1", kind="voucher", code=decoded["text"], amount="50")
        done = self.ok(self.panel("redeem", values=values))
        self.assertEqual(done["result"]["voucher_state"], "used")

    def test_bad_uploads_are_refused_clearly(self):
        self.login(self.north)
        self.refusal(
            self.panel("decode", image=self.uploaded(b"%PDF-1.4 not an image")), "not_an_image"
        )
        self.refusal(self.panel("decode", image="***not base64***"), "not_an_image")
        self.refusal(self.panel("decode", image=""), "image_required")
        blank = io.BytesIO()
        Image.new("L", (400, 400), 255).save(blank, format="PNG")
        error = self.refusal(
            self.panel("decode", image=self.uploaded(blank.getvalue())), "no_code_found"
        )
        self.assertIn("No QR code", error["message"])
        # Larger than the upload limit: refused before it is decoded.
        huge = "A" * (9 * 1024 * 1024 * 4 // 3)
        self.refusal(self.panel("decode", image=huge), "image_too_large")
        # A decompression bomb: a few kilobytes that would unpack into 400
        # million pixels.
        bomb = io.BytesIO()
        Image.new("1", (20000, 20000), 0).save(bomb, format="PNG", optimize=True)
        self.assertLess(len(bomb.getvalue()), 1024 * 1024)
        error = self.refusal(
            self.panel("decode", image=self.uploaded(bomb.getvalue())), "image_too_large"
        )
        self.assertIn("pixels", error["message"])

    def test_personal_voucher_needs_the_holders_otp(self):
        self.company.write({"vms_otp_mandatory": True, "vms_otp_min_amount": 10.0})
        voucher = self.active_voucher(partner_id=self.partner.id, card_id=self.card.id)
        self.login(self.north)
        values = self.redeem_values(
            "otp-1", kind="voucher", code=voucher.code, amount="25", card=self.card.number
        )
        asked = self.ok(self.panel("redeem", values=values))
        self.assertEqual(asked["status"], "otp_required")
        self.assertFalse(self.rows(voucher, "use"))
        with self.mockSMSGateway():
            sent = self.ok(self.panel("otp", values={"hold_id": asked["hold_id"]}))
        code = self.sent_code()
        self.assertNotIn(code, str(sent))
        wrong = dict(
            values, confirm_key="confirm-otp-1-wrong", otp_id=sent["otp_id"], otp_code="000000"
        )
        if code != "000000":
            self.refusal(self.panel("redeem", values=wrong), "otp_invalid")
        right = dict(
            values, confirm_key="confirm-otp-1-right", otp_id=sent["otp_id"], otp_code=code
        )
        done = self.ok(self.panel("redeem", values=right))
        self.assertEqual((done["status"], done["result"]["balance"]), ("done", 25.0))
        self.assertEqual(self.rows(voucher, "use").store_id, self.branch_1)
        # Another store user cannot act on this user's hold.
        self.login(self.both)
        self.refusal(
            self.panel("otp", values={"hold_id": asked["hold_id"]}), "redemption_not_found"
        )

    def test_reward_code_is_handed_over(self):
        self.give(1000)
        hold = (
            self.env["vms.redemption"]
            .with_user(self.vms_user)
            ._vms_reward_claim(self.card, self.mug, idempotency_key="app-claim-1", channel="api")
        )
        claim = hold.sudo().reward_claim_id
        self.login(self.north)
        found = self.ok(self.panel("lookup", text=claim.code))
        self.assertEqual(
            (found["type"], found["reward"], found["state"]),
            ("reward_code", "Panel Mug", "claimed"),
        )
        self.assertEqual(found["member"], "Ž**** N*************")
        values = self.redeem_values(
            "reward-1", kind="reward_code", code=claim.code, remarks="Mug given"
        )
        done = self.ok(self.panel("redeem", values=values))
        self.assertEqual((done["kind"], done["result"]["reward_state"]), ("reward", "redeemed"))
        claim.invalidate_recordset()
        self.assertEqual(
            (claim.state, claim.redeemed_store_id, claim.redeemed_user_id),
            ("redeemed", self.branch_1, self.north),
        )
        # Handed over once: the second press elsewhere is refused.
        found = self.ok(self.panel("lookup", text=claim.code))
        self.assertEqual(found["refusal"]["code"], "reward_redeemed")
        again = self.redeem_values("reward-2", kind="reward_code", code=claim.code)
        self.refusal(self.panel("redeem", values=again), "reward_redeemed")

    def test_member_card_points_for_an_amount_or_a_reward(self):
        self.give(1000)
        self.login(self.north)
        found = self.ok(self.panel("lookup", text=self.card.number))
        self.assertEqual(found["type"], "member")
        self.assertEqual((found["points_available"], found["value"]), (1000, 10.0))
        self.assertEqual(
            [(r["name"], r["claimable"]) for r in found["rewards"]], [("Panel Mug", True)]
        )
        values = self.redeem_values(
            "points-1", kind="points", card=self.card.number, amount="2.50", remarks="Coffee"
        )
        done = self.ok(self.panel("redeem", values=values))
        self.assertEqual((done["result"]["points"], done["result"]["points_available"]), (250, 750))
        move = self.moves(move_type="redeem")
        self.assertEqual(
            (move.store_id, move.user_id, move.channel), (self.branch_1, self.north, "panel")
        )
        values = self.redeem_values(
            "points-2", kind="reward", card=self.card.number, reward_id=self.mug.id
        )
        done = self.ok(self.panel("redeem", values=values))
        self.assertEqual((done["kind"], done["result"]["points_available"]), ("reward", 450))
        self.assertEqual(len(self.ok(self.panel("today"))), 2)
        self.assert_ledger()

    def test_only_store_users_work_in_the_panel(self):
        clerk = new_test_user(
            self.env,
            login="panel_clerk",
            groups="base.group_user",
            company_id=self.branch_1.id,
            company_ids=[self.branch_1.id],
        )
        voucher = self.active_voucher()
        self.login(clerk)
        self.refusal(self.panel("lookup", text=voucher.code), "forbidden")
        self.refusal(self.make_jsonrpc_request("/vms/panel/stores", {}), "forbidden")
        self.login(self.north)
        for values in (
            None,
            [],
            {"kind": "voucher", "hold_key": "x", "confirm_key": "confirm-ok-123"},
            self.redeem_values("bad-1", kind="mystery"),
            self.redeem_values("bad-2", kind="voucher", code=voucher.code, amount="abc"),
            self.redeem_values(
                "bad-3", kind="voucher", code=voucher.code, amount="5", remarks="x" * 201
            ),
        ):
            answer = self.panel("redeem", values=values)
            self.assertFalse(answer["ok"], values)
        voucher.invalidate_recordset()
        self.assertEqual(voucher.balance, 50.0)

    def test_points_and_a_reward_at_or_above_the_minimum_need_the_members_otp(self):
        self.company.write({"vms_otp_mandatory": True, "vms_otp_min_amount": 2.0})
        self.give(1000)
        self.login(self.north)
        values = self.redeem_values("points-otp", kind="points", card=self.card.number, amount="5")
        asked = self.ok(self.panel("redeem", values=values))
        self.assertEqual((asked["status"], asked["otp_for"]), ("otp_required", "hold"))
        with self.mockSMSGateway():
            sent = self.ok(self.panel("otp", values={"hold_id": asked["hold_id"]}))
        values.update(confirm_key="confirm-points-otp-2", otp_id=sent["otp_id"])
        done = self.ok(self.panel("redeem", values=dict(values, otp_code=self.sent_code())))
        self.assertEqual((done["result"]["points"], done["result"]["points_available"]), (500, 500))
        # A reward (300 points, worth 3.00) claimed and handed over at once,
        # once the holder may be sent a new code.
        with self.mock_datetime_and_now(fields.Datetime.now() + timedelta(minutes=2)):
            reward = self.redeem_values(
                "reward-otp", kind="reward", card=self.card.number, reward_id=self.mug.id
            )
            asked = self.ok(self.panel("redeem", values=reward))
            self.assertEqual((asked["status"], asked["otp_for"]), ("otp_required", "reward"))
            self.assertFalse(self.env["vms.reward.claim"].search([("reward_id", "=", self.mug.id)]))
            with self.mockSMSGateway():
                sent = self.ok(self.panel("otp", values=reward))
            reward.update(confirm_key="confirm-reward-otp-2", otp_id=sent["otp_id"])
            done = self.ok(self.panel("redeem", values=dict(reward, otp_code=self.sent_code())))
            self.assertEqual((done["kind"], done["result"]["points_available"]), ("reward", 200))
        self.assert_ledger()

    def test_a_panel_hold_given_up_is_released(self):
        self.company.write({"vms_otp_mandatory": True, "vms_otp_min_amount": 10.0})
        voucher = self.active_voucher(partner_id=self.partner.id, card_id=self.card.id)
        self.login(self.north)
        values = self.redeem_values(
            "release-1", kind="voucher", code=voucher.code, amount="30", card=self.card.number
        )
        asked = self.ok(self.panel("redeem", values=values))
        found = self.ok(self.panel("lookup", text=voucher.code, card=self.card.number))
        self.assertEqual(found["available"], 20.0)
        self.assertEqual(
            self.ok(self.panel("release", hold_id=asked["hold_id"])), {"status": "released"}
        )
        found = self.ok(self.panel("lookup", text=voucher.code, card=self.card.number))
        self.assertEqual(found["available"], 50.0)
        for hold_id in ("1", True, None, asked["hold_id"] + 10**6):
            answer = self.panel("release", hold_id=hold_id)
            self.assertIn(answer["error"]["code"], ("invalid_request", "redemption_not_found"))
