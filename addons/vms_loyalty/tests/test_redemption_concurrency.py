import threading
from functools import partial
from unittest.mock import patch
from uuid import uuid4

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import DummyRLock, Registry
from odoo.orm.environments import Transaction
from odoo.service.model import retrying
from odoo.tests import TransactionCase, tagged

from ..exceptions import VmsError

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
