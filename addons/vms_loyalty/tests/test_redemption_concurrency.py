import threading
from functools import partial
from unittest.mock import patch
from uuid import uuid4

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import DummyRLock, Registry
from odoo.orm.environments import Transaction
from odoo.service.model import retrying
from odoo.tests import TransactionCase, tagged

from odoo.addons.sms.tools.sms_api import SmsApi

from ..exceptions import VmsError
from .test_otp import PURPOSE

THREADS = 8


@tagged("post_install", "-at_install")
class TestConcurrentRedemption(TransactionCase):
    """Seed 004 on real PostgreSQL: tills, a web shop and vending machines hit
    one voucher at the same moment, each on its own database connection, with
    Odoo's own retry of serialization failures (as for an HTTP request).
    The plain vouchers here take the engine's express lane."""

    EXPRESS = True

    def setUp(self):
        super().setUp()
        # Committed data outlives a crashed run: keep this run's keys its own.
        self.run_id = uuid4().hex[:8]
        self.voucher_ids = []
        self.addCleanup(self._drop_committed_data)
        with self.registry.cursor() as cr:
            env = self._env(cr)
            campaign = env["vms.campaign"].create(
                {"name": "Concurrency", "code": f"RACE{uuid4().hex[:8]}", "state": "running"}
            )
            self.campaign_id = campaign.id

    def _new_voucher(self, nominal):
        with self.registry.cursor() as cr:
            env = self._env(cr)
            voucher = env["vms.voucher"].create(
                {"campaign_id": self.campaign_id, "nominal_amount": nominal, "state": "active"}
            )
            self.voucher_ids.append(voucher.id)
            return voucher.code

    def _drop_committed_data(self):
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM vms_redemption WHERE voucher_id = ANY(%s)", [self.voucher_ids])
            # The chronology refuses deletes by design; a test cleaning up after
            # itself is the one exception.
            cr.execute("ALTER TABLE vms_voucher_transaction DISABLE TRIGGER USER")
            cr.execute(
                "DELETE FROM vms_voucher_transaction WHERE voucher_id = ANY(%s)",
                [self.voucher_ids],
            )
            cr.execute("ALTER TABLE vms_voucher_transaction ENABLE TRIGGER USER")
            cr.execute("DELETE FROM vms_voucher WHERE id = ANY(%s)", [self.voucher_ids])
            cr.execute("DELETE FROM vms_campaign WHERE id = %s", [self.campaign_id])

    def _env(self, cr, uid=SUPERUSER_ID):
        # Hand the cursor our registry: a lookup by name would wait for the
        # registry lock the test runner holds.
        cr.transaction = Transaction(self.registry)
        return api.Environment(cr, uid, {"tracking_disable": True})

    def _race(self, make_call, uid=SUPERUSER_ID):
        """Run ``make_call(env, index)`` in THREADS threads released together."""
        barrier = threading.Barrier(THREADS)
        outcomes = [None] * THREADS

        def worker(index):
            with self.registry.cursor() as cr:
                env = self._env(cr, uid)
                barrier.wait(timeout=60)
                try:
                    result = retrying(partial(make_call, env, index), env)
                    outcomes[index] = ("ok", result)
                except VmsError as error:
                    cr.rollback()  # as Odoo does for a refused request
                    outcomes[index] = ("refused", error.code)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
        # The test runner holds the registry lock for the whole run; Odoo's retry
        # looks the registry up again, so lift the lock as HttpCase's test mode does.
        with patch.object(Registry, "_lock", DummyRLock()):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
        self.assertFalse([t for t in threads if t.is_alive()], "a redemption hung")
        return outcomes

    def _voucher_state(self):
        with self.registry.cursor() as cr:
            env = self._env(cr)
            voucher = env["vms.voucher"].browse(self.voucher_ids[-1])
            uses = env["vms.voucher.transaction"].search(
                [("voucher_id", "=", voucher.id), ("type", "=", "use")]
            )
            return voucher.spent_amount, voucher.state, len(uses), voucher._vms_replay()

    @staticmethod
    def _redeem(env, code, amount, **request):
        """One channel's redeem, answered as every channel is answered."""
        return env["vms.redemption"]._vms_redeem(code, amount, **request)._vms_result()

    def test_one_of_eight_redeems_the_full_balance(self):
        code = self._new_voucher(40.0)

        def redeem(env, index):
            return self._redeem(
                env,
                code,
                40.0,
                order_ref=f"TILL-{index}/0001",
                idempotency_key=f"race-{self.run_id}-{index}",
                channel="pos",
                express=self.EXPRESS,
            )

        outcomes = self._race(redeem)
        winners = [o for o in outcomes if o[0] == "ok"]
        losers = [o[1] for o in outcomes if o[0] == "refused"]
        self.assertEqual(len(winners), 1, outcomes)
        self.assertEqual(len(losers), THREADS - 1, outcomes)
        self.assertTrue(set(losers) <= {"voucher_used", "voucher_held"}, losers)
        spent, state, uses, replay = self._voucher_state()
        self.assertEqual((spent, state, uses), (40.0, "used", 1))
        self.assertEqual((replay["spent_amount"], replay["state"]), (40.0, "used"))

    def test_one_idempotency_key_from_eight_threads_has_one_effect(self):
        code = self._new_voucher(40.0)

        def redeem(env, index):
            return self._redeem(
                env,
                code,
                15.0,
                order_ref="VENDING-7/0042",
                idempotency_key=f"vending-7-retry-{self.run_id}",
                channel="api",
                express=self.EXPRESS,
            )

        outcomes = self._race(redeem)
        self.assertEqual({o[0] for o in outcomes}, {"ok"}, outcomes)
        answers = {repr(sorted(o[1].items())) for o in outcomes}
        self.assertEqual(len(answers), 1, "every retry gets the first answer")
        spent, state, uses, replay = self._voucher_state()
        self.assertEqual((spent, state, uses), (15.0, "active", 1))
        self.assertEqual(replay["balance"], 25.0)

    def test_both_lanes_race_for_one_balance(self):
        """Tills on the full engine (hold, then confirm) and vending machines on
        the express lane share a balance of four sales, as a store operator
        (record rules and groups apply): four win, whatever the lane."""
        code = self._new_voucher(40.0)
        operator = self.env.ref("base.user_admin").id

        def redeem(env, index):
            return self._redeem(
                env,
                code,
                10.0,
                order_ref=f"MIXED-{index}/0001",
                idempotency_key=f"mixed-{self.run_id}-{index}",
                channel="api" if index % 2 else "pos",
                express=bool(index % 2),
            )

        outcomes = self._race(redeem, uid=operator)
        winners = [o for o in outcomes if o[0] == "ok"]
        losers = [o[1] for o in outcomes if o[0] == "refused"]
        self.assertEqual(len(winners), 4, outcomes)
        self.assertTrue(
            set(losers) <= {"voucher_used", "voucher_held", "insufficient_balance"}, losers
        )
        spent, state, uses, replay = self._voucher_state()
        self.assertEqual((spent, state, uses), (40.0, "used", 4))
        self.assertEqual((replay["spent_amount"], replay["state"]), (40.0, "used"))


@tagged("post_install", "-at_install")
class TestConcurrentRedemptionFullEngine(TestConcurrentRedemption):
    """The same races through the full engine (hold, then confirm)."""

    EXPRESS = False
    allow_inherited_tests_method = True  # Odoo's loader runs a class's own tests only


@tagged("post_install", "-at_install")
class TestConcurrentOtp(TestConcurrentRedemption):
    """OTP limits under parallel requests, each on its own connection: the
    counts are taken before the check, so eight at once cannot each get the
    last attempt or all pass the resend pause."""

    def setUp(self):
        super().setUp()
        sent = self.sent = []

        def send(api, messages, delivery_reports_url=False):
            sent.extend(messages)
            return [{"uuid": m["numbers"][0]["uuid"], "state": "success"} for m in messages]

        patcher = patch.object(SmsApi, "_send_sms_batch", send)
        patcher.start()
        self.addCleanup(patcher.stop)
        with self.registry.cursor() as cr:
            env = self._env(cr)
            env.company.write({"country_id": env.ref("base.be").id})
            self.partner_id = (
                env["res.partner"]
                .create({"name": f"Racer {self.run_id}", "phone": "+32 470 55 44 33"})
                .id
            )
        self.addCleanup(self._drop_otps)

    def _drop_otps(self):
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM vms_otp WHERE partner_id = %s", [self.partner_id])
            cr.execute("DELETE FROM vms_otp_send WHERE partner_id = %s", [self.partner_id])
            cr.execute("DELETE FROM res_partner WHERE id = %s", [self.partner_id])

    def _request(self, env, index):
        partner = env["res.partner"].browse(self.partner_id)
        return env["vms.otp"]._vms_request(partner, 10.0, f"ORDER-{self.run_id}", PURPOSE).id

    def test_eight_requests_at_once_send_one_code(self):
        outcomes = self._race(self._request)
        sent = [o for o in outcomes if o[0] == "ok"]
        refused = [o[1] for o in outcomes if o[0] == "refused"]
        self.assertEqual(len(sent), 1, outcomes)
        self.assertEqual(set(refused), {"otp_throttled"}, outcomes)
        self.assertEqual(len(self.sent), 1)

    def test_eight_wrong_codes_at_once_take_five_attempts(self):
        with self.registry.cursor() as cr:
            otp_id = self._request(self._env(cr), 0)
        code = self.sent[0]["content"][:6]
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"

        def guess(env, index):
            return env["vms.otp"]._vms_consume(
                otp_id,
                wrong,
                partner=env["res.partner"].browse(self.partner_id),
                amount=10.0,
                reference=f"ORDER-{self.run_id}",
                purpose=PURPOSE,
            )

        outcomes = self._race(guess)
        codes = [o[1] for o in outcomes]
        self.assertEqual(codes.count("otp_invalid"), 4, outcomes)
        self.assertEqual(codes.count("otp_attempts_exhausted"), 4, outcomes)
        with self.registry.cursor() as cr:
            cr.execute("SELECT attempts_left, state FROM vms_otp WHERE id = %s", [otp_id])
            self.assertEqual(cr.fetchone(), (0, "pending"))
