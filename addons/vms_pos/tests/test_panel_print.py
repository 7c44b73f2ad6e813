import base64
import io
import json

from PIL import Image

from odoo.tests import new_test_user, tagged

from .common import VmsPosCase
from .test_print_at_store import qr_codes


@tagged("post_install", "-at_install")
class TestPanelPrintSlip(VmsPosCase):
    """The panel's "Print slip": the redemption's slip, and the remainder
    voucher it paid out, as print jobs for the store's till proxy."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.vms_barcode_format = "qr"
        cls.main_pos_config.write({"is_posbox": True, "vms_proxy_bus_secret": "store-1-bus"})
        cls.counter = new_test_user(
            cls.env,
            login="service_counter",
            groups="base.group_user,vms_loyalty.group_vms_store_user",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.elsewhere = cls.env["res.company"].create(
            {"name": "Another Branch", "parent_id": cls.company.id}
        )
        cls.other_counter = new_test_user(
            cls.env,
            login="other_counter",
            groups="base.group_user,vms_loyalty.group_vms_store_user",
            company_id=cls.elsewhere.id,
            company_ids=[cls.elsewhere.id],
        )

    def panel(self, route, store, **params):
        return self.make_jsonrpc_request(f"/vms/panel/{route}", {"store_id": store.id, **params})

    def redeem(self, voucher, amount, key):
        values = {
            "kind": "voucher",
            "code": voucher.code,
            "amount": amount,
            "remarks": "Counter 2",
            "hold_key": f"hold-{key}",
            "confirm_key": f"confirm-{key}",
        }
        answer = self.panel("redeem", self.company, values=values)
        self.assertTrue(answer["ok"], answer)
        return answer["data"]["result"]

    def jobs(self):
        return self.env["vms.hw.job"].search([("config_id", "=", self.main_pos_config.id)])

    def test_the_slip_and_the_remainder_voucher_print_at_the_store(self):
        self.campaign.remainder_as_voucher = True
        voucher = self.new_voucher(50.0)
        self.authenticate("service_counter", "service_counter")
        result = self.redeem(voucher, "20.00", "slip-1")
        before = self.jobs()
        answer = self.panel("print_slip", self.company, redemption_id=result["id"])
        self.assertEqual(
            answer, {"ok": True, "data": {"till": self.main_pos_config.name, "jobs": 2}}
        )
        slip, remainder_job = (self.jobs() - before).sorted("id")
        remainder = self.env["vms.redemption"].browse(result["id"]).remainder_voucher_id
        self.assertEqual(remainder.balance, 30.0)
        self.assertEqual(
            (slip.name, slip.kind, slip.state, remainder_job.name),
            (voucher.code, "image", "waiting", remainder.code),
        )
        # The slip: eight lines of text for the paper's width, no code to scan.
        codes, width = qr_codes(base64.b64decode(slip.payload))
        self.assertEqual((codes, width), ([], 512))
        with Image.open(io.BytesIO(base64.b64decode(slip.payload))) as image:
            self.assertEqual(image.height, 16 + 24 * 8 + 16)
        # The remainder voucher scans as itself: its code, signed with what is
        # left on it.
        (scanned,), width = qr_codes(base64.b64decode(remainder_job.payload))
        code, body, _signature = scanned.split(".")
        signed = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        self.assertEqual(
            (code, signed["c"], signed["b"], width), (remainder.code,) * 2 + (30.0, 512)
        )

    def test_only_a_slip_of_the_store_prints_and_only_where_it_can(self):
        voucher = self.new_voucher(50.0)
        self.authenticate("service_counter", "service_counter")
        result = self.redeem(voucher, "5.00", "slip-2")
        before = self.jobs()
        # Not a redemption of the panel, nor an id at all.
        for wrong in (result["id"] + 1000, "1", None, True, [result["id"]]):
            with self.subTest(redemption_id=wrong):
                answer = self.panel("print_slip", self.company, redemption_id=wrong)
                self.assertEqual(answer["ok"], False, answer)
                self.assertEqual(answer["error"]["code"], "refused")
        # Another branch's store user neither prints it at its store nor at ours.
        self.authenticate("other_counter", "other_counter")
        answer = self.panel("print_slip", self.elsewhere, redemption_id=result["id"])
        self.assertEqual(answer["error"]["code"], "refused", answer)
        answer = self.panel("print_slip", self.company, redemption_id=result["id"])
        self.assertEqual(answer["error"]["code"], "store_not_allowed", answer)
        # A store whose tills have no proxy on the bus says so.
        self.authenticate("service_counter", "service_counter")
        self.main_pos_config.vms_proxy_bus_secret = False
        answer = self.panel("print_slip", self.company, redemption_id=result["id"])
        self.assertIn("hardware proxy on Odoo's bus", answer["error"]["message"])
        self.assertEqual(self.jobs(), before)

    def test_print_slip_from_the_panel(self):
        voucher = self.new_voucher(50.0, code="VMSPANELSLPPRTE")
        before = self.jobs()
        self.start_tour(
            "/odoo/action-vms_loyalty.action_vms_panel",
            "vms_panel_print_slip",
            login="service_counter",
        )
        slip = self.jobs() - before
        self.assertEqual((slip.name, slip.kind, slip.state), (voucher.code, "image", "waiting"))
