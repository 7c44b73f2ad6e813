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
class TestConcurrentPoints(TransactionCase):
    """Tills, the web shop and vending machines spend one member's points at
    the same moment, each on its own database connection, with Odoo's own
    retry of serialization failures: the points are never overdrawn."""

    def setUp(self):
        super().setUp()
        self.run_id = uuid4().hex[:8]
        self.addCleanup(self._drop_committed_data)
        with self.registry.cursor() as cr:
            env = self._env(cr)
            company = env.company
            program = env["vms.points.program"].search([("company_id", "=", company.id)])
            self.program_id = None
            if not program:
                program = env["vms.points.program"].create({"company_id": company.id})
                self.program_id = program.id
            partner = env["res.partner"].create({"name": f"Racing Member {self.run_id}"})
            card = env["vms.card"].create({"partner_id": partner.id, "state": "active"})
            account, _card = env["vms.points.account"]._vms_account_for(card, create=True)
            account._vms_lock()
            account._vms_credit(60, "earn", None, order_ref=f"RACE-{self.run_id}/1")
            account._vms_credit(40, "earn", None, order_ref=f"RACE-{self.run_id}/2")
            self.partner_id, self.card_id, self.account_id = partner.id, card.id, account.id
            # A second member, and what earning needs: a rule and an item.
            other = env["res.partner"].create({"name": f"Racing Member B {self.run_id}"})
            other_card = env["vms.card"].create({"partner_id": other.id, "state": "active"})
            other_account, _card = env["vms.points.account"]._vms_account_for(
                other_card, create=True
            )
            self.other_ids = (other.id, other_card.id, other_account.id)
            self.rule_id = (
                env["vms.points.rule"]
                .create(
                    {
                        "name": f"Racing rule {self.run_id}",
                        "program_id": program.id,
                        "points_per_unit": 1.0,
                    }
                )
                .id
            )
            self.product_id = (
                env["product.product"].create({"name": f"Racing item {self.run_id}"}).id
            )

    def _drop_committed_data(self):
        partners = [self.partner_id, self.other_ids[0]]
        cards = [self.card_id, self.other_ids[1]]
        accounts = [self.account_id, self.other_ids[2]]
        with self.registry.cursor() as cr:
            cr.execute(
                "DELETE FROM vms_idempotency WHERE redemption_id IN "
                "(SELECT id FROM vms_redemption WHERE points_account_id = ANY(%s))",
                [accounts],
            )
            cr.execute("DELETE FROM vms_idempotency WHERE key LIKE %s", [f"%{self.run_id}%"])
            # The ledger refuses deletes by design; a test cleaning up after
            # itself is the one exception.
            for table in ("vms_points_draw", "vms_points_lot", "vms_points_move"):
                cr.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            cr.execute(
                "DELETE FROM vms_points_draw WHERE move_id IN "
                "(SELECT id FROM vms_points_move WHERE account_id = ANY(%s))",
                [accounts],
            )
            cr.execute("DELETE FROM vms_points_lot WHERE account_id = ANY(%s)", [accounts])
            cr.execute("DELETE FROM vms_points_move WHERE account_id = ANY(%s)", [accounts])
            for table in ("vms_points_draw", "vms_points_lot", "vms_points_move"):
                cr.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
            cr.execute("DELETE FROM vms_redemption WHERE points_account_id = ANY(%s)", [accounts])
            cr.execute("DELETE FROM vms_points_account WHERE id = ANY(%s)", [accounts])
            cr.execute("DELETE FROM vms_card WHERE id = ANY(%s)", [cards])
            cr.execute("DELETE FROM res_partner WHERE id = ANY(%s)", [partners])
            cr.execute("DELETE FROM vms_points_rule WHERE id = %s", [self.rule_id])
            cr.execute(
                "DELETE FROM product_template WHERE id IN "
                "(SELECT product_tmpl_id FROM product_product WHERE id = %s)",
                [self.product_id],
            )
            if self.program_id:
                cr.execute("DELETE FROM vms_points_program WHERE id = %s", [self.program_id])

    def _env(self, cr, uid=SUPERUSER_ID):
        # Hand the cursor our registry: a lookup by name would wait for the
        # registry lock the test runner holds.
        cr.transaction = Transaction(self.registry)
        return api.Environment(cr, uid, {"tracking_disable": True})

    def _race(self, make_call, uid=SUPERUSER_ID):
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
                except Exception as error:  # noqa: BLE001 - shown in the assertion
                    outcomes[index] = ("error", repr(error))

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
        with patch.object(Registry, "_lock", DummyRLock()):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
        self.assertFalse([t for t in threads if t.is_alive()], "a redemption hung")
        return outcomes

    def _state(self):
        with self.registry.cursor() as cr:
            env = self._env(cr)
            account = env["vms.points.account"].browse(self.account_id)
            spends = env["vms.points.move"].search(
                [("account_id", "=", self.account_id), ("type", "=", "redeem")]
            )
            return account.points_balance, len(spends), account._vms_check_ledger()

    def test_two_redemptions_that_together_would_overdraw_one_wins(self):
        def redeem(env, index):
            card = env["vms.card"].browse(self.card_id)
            return env["vms.redemption"]._vms_points_redeem_answer(
                card,
                points=70,
                order_ref=f"TILL-{index}/0001",
                idempotency_key=f"race-{self.run_id}-{index}",
                channel="pos",
            )

        outcomes = self._race(redeem)
        winners = [o for o in outcomes if o[0] == "ok"]
        losers = [o[1] for o in outcomes if o[0] == "refused"]
        self.assertEqual(len(winners), 1, outcomes)
        self.assertEqual(set(losers), {"insufficient_points"}, outcomes)
        self.assertEqual(self._state(), (30, 1, []))

    def test_two_tills_holding_more_than_there_is_one_wins(self):
        """A hold writes no lot: only the account's lock keeps two tills from
        both reserving the same points."""

        def hold(env, index):
            card = env["vms.card"].browse(self.card_id)
            return env["vms.redemption"]._vms_points_hold_answer(
                card,
                points=70,
                order_ref=f"TILL-{index}/0002",
                idempotency_key=f"hold-{self.run_id}-{index}",
                channel="pos",
            )

        outcomes = self._race(hold)
        winners = [o for o in outcomes if o[0] == "ok"]
        self.assertEqual(len(winners), 1, outcomes)
        self.assertEqual({o[1] for o in outcomes if o[0] == "refused"}, {"insufficient_points"})
        with self.registry.cursor() as cr:
            account = self._env(cr)["vms.points.account"].browse(self.account_id)
            self.assertEqual((account.points_held, account.points_available), (70, 30))

    def test_tills_holding_and_channels_redeeming_share_the_points(self):
        """Four tills hold then confirm, four channels redeem in one call, 25
        points each from 100: four win, whichever they are."""

        def spend(env, index):
            card = env["vms.card"].browse(self.card_id)
            request = {
                "points": 25,
                "order_ref": f"MIXED-{index}/0001",
                "idempotency_key": f"mixed-{self.run_id}-{index}",
                "channel": "pos" if index % 2 else "api",
            }
            if index % 2:
                hold = env["vms.redemption"]._vms_points_hold(card, **request)
                return hold._vms_confirm(f"mixed-conf-{self.run_id}-{index}")._vms_result()
            return env["vms.redemption"]._vms_points_redeem_answer(card, **request)

        outcomes = self._race(spend, uid=self.env.ref("base.user_admin").id)
        winners = [o for o in outcomes if o[0] == "ok"]
        self.assertEqual(len(winners), 4, outcomes)
        self.assertEqual({o[1] for o in outcomes if o[0] == "refused"}, {"insufficient_points"})
        self.assertEqual(self._state(), (0, 4, []))

    def test_one_key_from_eight_threads_has_one_effect(self):
        def redeem(env, index):
            card = env["vms.card"].browse(self.card_id)
            return env["vms.redemption"]._vms_points_redeem_answer(
                card,
                points=10,
                order_ref="VENDING-7/0042",
                idempotency_key=f"vending-7-retry-{self.run_id}",
                channel="api",
            )

        outcomes = self._race(redeem)
        self.assertEqual({o[0] for o in outcomes}, {"ok"}, outcomes)
        self.assertEqual(len({repr(sorted(o[1].items())) for o in outcomes}), 1)
        self.assertEqual(self._state(), (90, 1, []))

    def test_one_order_earns_once_whichever_cards_race_for_it(self):
        """Two members' cards (and the same card twice) name one till order
        at the same moment, each with its own key: the order earns once."""
        order_ref = f"TILL-9/{self.run_id}"

        def earn(env, index):
            product = env["product.product"].browse(self.product_id)
            card = env["vms.card"].browse(self.card_id if index % 2 else self.other_ids[1])
            return env["vms.points.account"]._vms_earn_for_bill(
                card,
                [{"product": product, "qty": 1, "price_unit": 25.0}],
                [{"kind": "other", "amount": 25.0}],
                order_ref,
                idempotency_key=f"earn-{self.run_id}-{index}",
                channel="pos",
            )

        outcomes = self._race(earn)
        winners = [o for o in outcomes if o[0] == "ok"]
        self.assertEqual(len(winners), 1, outcomes)
        self.assertEqual({o[1] for o in outcomes if o[0] == "refused"}, {"already_earned"})
        with self.registry.cursor() as cr:
            env = self._env(cr)
            earned = env["vms.points.move"].search(
                [("order_ref", "=", order_ref), ("type", "=", "earn")]
            )
            # One member's lots only (one per expiry date), as the winner said.
            self.assertEqual(len(earned.account_id), 1)
            self.assertEqual(sum(earned.mapped("points")), winners[0][1]["points_earned"])
            self.assertGreaterEqual(sum(earned.mapped("points")), 25)
