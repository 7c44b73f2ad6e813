import base64
import io
import re
from datetime import timedelta

import qrcode

from odoo.tests import new_test_user

from odoo.addons.sms.tests.common import MockSMS

from .common_points import PointsCase


def qr_png(text, box_size=8):
    """A real QR code of ``text`` as PNG bytes."""
    image = qrcode.make(text, box_size=box_size, border=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class PanelCase(PointsCase, MockSMS):
    """A retailer with two branches, a store user at each and one at both,
    vouchers (one accepted only at the first branch) and a member with points
    and a reward."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Company = cls.env["res.company"]
        # Branches keep the retailer's code format and clock.
        branch = {
            "parent_id": cls.company.id,
            "vms_code_prefix": "TST",
            "vms_tz": "Europe/Brussels",
        }
        cls.branch_1 = Company.create({"name": "Panel Branch North", **branch})
        cls.branch_2 = Company.create({"name": "Panel Branch South", **branch})
        cls.env.user.company_ids |= cls.branch_1 | cls.branch_2

        def store_user(login, stores):
            return new_test_user(
                cls.env,
                login=login,
                groups="base.group_user,vms_loyalty.group_vms_store_user",
                company_id=stores[0].id,
                company_ids=[store.id for store in stores],
            )

        cls.north = store_user("panel_north", [cls.branch_1])
        cls.south = store_user("panel_south", [cls.branch_2])
        cls.both = store_user("panel_both", [cls.branch_1, cls.branch_2])
        cls.north_only = cls.env["vms.campaign"].create(
            {
                "name": "North Opening",
                "code": "TNORTH",
                "company_id": cls.company.id,
                "state": "running",
                "store_ids": [(6, 0, cls.branch_1.ids)],
            }
        )
        cls.mug_product = cls.env["product.product"].create({"name": "Panel Mug"})
        cls.mug = cls.env["vms.reward"].create(
            {
                "name": "Panel Mug",
                "code": "PMUG",
                "company_id": cls.company.id,
                "reward_type": "product",
                "product_id": cls.mug_product.id,
                "points_cost": 300,
            }
        )

    def active_voucher(self, **vals):
        return self.new_voucher(state="active", **vals)

    def login(self, user):
        self.authenticate(user.login, user.login)

    def panel(self, route, store=None, **params):
        """Call a panel route as the logged-in user, at ``store``."""
        params["store_id"] = (store or self.branch_1).id if store is not False else None
        return self.make_jsonrpc_request(f"/vms/panel/{route}", params)

    def ok(self, answer):
        self.assertTrue(answer["ok"], answer.get("error"))
        return answer["data"]

    def refusal(self, answer, code):
        self.assertFalse(answer["ok"], answer)
        self.assertEqual(answer["error"]["code"], code, answer["error"])
        return answer["error"]

    def redeem_values(self, key, **values):
        return {"hold_key": f"hold-{key}", "confirm_key": f"confirm-{key}", **values}

    def uploaded(self, raw):
        return base64.b64encode(raw).decode()

    def sent_code(self):
        self.assertEqual(len(self._sms), 1)
        return re.search(r"(\d{6})", self._sms[0]["body"]).group(1)

    def yesterday(self):
        return self.company._vms_today() - timedelta(days=1)
