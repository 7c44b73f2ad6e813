from uuid import uuid4

from odoo import Command

from .common import VmsPosCase


class VmsPosPointsCase(VmsPosCase):
    """The test shop with the Loyalty Points tender: a points programme (a
    point is worth 0.10, whole points, one point per unit of a bill), a
    points-to-voucher campaign, and 500 points (50.00) on the holder's card."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        root = cls.company.root_id
        cls.points_campaign = cls.env["vms.campaign"].create(
            {
                "name": "Points to Voucher",
                "code": "TILLPTS",
                "kind": "points",
                "company_id": root.id,
                "state": "running",
                "max_vouchers_per_holder": 0,
            }
        )
        cls.program = cls.env["vms.points.program"].create(
            {
                "company_id": root.id,
                "point_value": 0.1,
                "digits": 0,
                "lifetime_days": 365,
                "campaign_id": cls.points_campaign.id,
                "voucher_validity_days": 90,
            }
        )
        cls.env["vms.points.rule"].create(
            {"name": "A point per unit", "program_id": cls.program.id, "points_per_unit": 1.0}
        )
        cls.points_method = cls.env["pos.payment.method"]._vms_pos_setup_points_tender(cls.company)
        cls.main_pos_config.write({"payment_method_ids": [Command.link(cls.points_method.id)]})
        cls.account, _card = cls.env["vms.points.account"]._vms_account_for(
            cls.card, company=cls.company, create=True
        )
        cls.account._vms_adjust(500, "opening balance")

    def points(self):
        self.account.invalidate_recordset()
        return self.account.points_balance, self.account.points_available

    def points_hold(
        self, session, data, amount, *, payment_uuid=None, user=None, attempt=0, method=None
    ):
        payment_uuid = payment_uuid or str(uuid4())
        method = method or self.points_method.with_user(user or self.pos_user)
        result = method._vms_pos_points_hold(
            {
                "session_id": session.id,
                "order": self.sale_payload(data),
                "payment": {"uuid": payment_uuid, "amount": amount, "attempt": attempt},
            }
        )
        return payment_uuid, result

    def moves(self, move_type):
        return (
            self.env["vms.points.move"]
            .sudo()
            .search([("account_id", "=", self.account.id), ("type", "=", move_type)], order="id")
        )
