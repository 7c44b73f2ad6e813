from datetime import timedelta

from .common import VmsCase


class PointsCase(VmsCase):
    """A retailer with a points programme (a point is worth one cent, whole
    points, a year's lifetime), a base rule of one point per unit, a
    points-to-voucher campaign, and a member with a club card."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.vms_tz = "Europe/Brussels"
        cls.points_campaign = cls.env["vms.campaign"].create(
            {
                "name": "Points to Voucher",
                "code": "TPOINTS",
                "kind": "points",
                "company_id": cls.company.id,
                "state": "running",
                "max_vouchers_per_holder": 0,
            }
        )
        cls.program = cls.env["vms.points.program"].create(
            {
                "company_id": cls.company.id,
                "point_value": 0.01,
                "digits": 0,
                "lifetime_days": 365,
                "campaign_id": cls.points_campaign.id,
                "voucher_validity_days": 90,
                "claim_days": 14,
            }
        )
        cls.base_rule = cls.env["vms.points.rule"].create(
            {"name": "One point per euro", "program_id": cls.program.id, "points_per_unit": 1.0}
        )
        cls.Account = cls.env["vms.points.account"]
        cls.Engine = cls.env["vms.redemption"].with_user(cls.store_user)
        cls.partner.phone = "+32 470 12 34 56"
        # The programme's clock decides expiry, not the user's.
        cls.today = cls.company._vms_today()

    def account(self, holder=None, create=True):
        account, _card = self.Account._vms_account_for(holder or self.card, create=create)
        return account

    def give(self, points, days=365, account=None, order_ref=None):
        """A lot of ``points`` expiring in ``days`` days (None: never)."""
        account = account or self.account()
        account._vms_lock()
        expires_on = self.today + timedelta(days=days) if days is not None else None
        move = account._vms_credit(
            points, "earn", expires_on, order_ref=order_ref or f"TEST/{points}/{days}"
        )
        return move.lot_ids

    def assert_ledger(self, account=None):
        """Every lot, move and debt agrees with the draws (the stored total is
        recomputed)."""
        account = account or self.account()
        self.assertEqual(account._vms_check_ledger(), [])

    def balance(self, account=None):
        account = account or self.account()
        account.invalidate_recordset()
        return account.points_balance

    def available(self, account=None):
        account = account or self.account()
        account.invalidate_recordset()
        return account.points_available

    def moves(self, account=None, move_type=None):
        account = account or self.account()
        domain = [("account_id", "=", account.id)]
        if move_type:
            domain.append(("type", "=", move_type))
        return self.env["vms.points.move"].sudo().search(domain, order="id")

    def draws(self, move):
        move.invalidate_recordset()
        return [(draw.lot_id, draw.points) for draw in move.draw_ids.sorted("id")]
