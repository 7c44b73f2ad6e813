import base64
import io

from PIL import Image
from pyzbar import pyzbar

from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import VmsPosCase


def qr_codes(png_bytes):
    with Image.open(io.BytesIO(png_bytes)) as image:
        return [symbol.data.decode() for symbol in pyzbar.decode(image.convert("L"))], image.width


@tagged("post_install", "-at_install")
class TestPrintAtStore(VmsPosCase):
    """ "Print at Store" on the voucher form: the voucher's own PDF, rasterised for
    the till's receipt printer, as a print job for its proxy on Odoo's bus."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.vms_barcode_format = "qr"
        cls.main_pos_config.write({"is_posbox": True, "vms_proxy_bus_secret": "store-1-bus"})

    def _print(self, vouchers, config):
        wizard_form = Form(
            self.env["vms.voucher.print.store"].with_context(
                active_model="vms.voucher", active_ids=vouchers.ids
            )
        )
        wizard_form.config_id = config
        wizard = wizard_form.save()
        action = wizard.action_print()
        return wizard, action

    def test_each_voucher_is_a_job_that_reads_back_as_its_code(self):
        vouchers = self.new_voucher(25.0) | self.new_voucher(40.0)
        wizard, action = self._print(vouchers, self.main_pos_config)
        self.assertEqual(action["params"]["type"], "success")
        jobs = wizard.job_ids.sorted("name")
        vouchers = vouchers.sorted("code")
        self.assertEqual(jobs.mapped("name"), vouchers.mapped("code"))
        self.assertEqual(set(jobs.mapped("state")), {"waiting"})
        self.assertEqual(set(jobs.mapped("kind")), {"image"})
        self.assertEqual(jobs.config_id, self.main_pos_config)
        for job, voucher in zip(jobs, vouchers, strict=True):
            codes, width = qr_codes(base64.b64decode(job.payload))
            self.assertEqual(width, 512)  # the proxy's printer width, dot for dot
            self.assertEqual(codes, [voucher.qr_payload])
            self.assertTrue(voucher.qr_payload.startswith(voucher.code))

    def test_a_partly_spent_voucher_prints_what_is_left(self):
        voucher = self.new_voucher(50.0)
        Print = self.env["vms.voucher.print.store"]
        self.assertEqual(
            Print._vms_voucher_slip_lines(voucher)[:3],
            ["Till Vouchers", "$\N{NO-BREAK SPACE}50.00", voucher.code],
        )
        session = self.open_session()
        data = self.order_data(session, [(self.desk_pad, 2, 10.0)], [])
        payment_uuid, info = self.hold(session, data, voucher.code, 20.0)
        self.sync(
            self.order_data(
                session,
                [(self.desk_pad, 2, 10.0)],
                [(self.voucher_method, info["amount"], payment_uuid, info["transaction_id"])],
                uuid=data["uuid"],
                pos_reference=data["pos_reference"],
            )
        )
        voucher.invalidate_recordset()
        self.assertEqual(
            Print._vms_voucher_slip_lines(voucher)[1],
            "$\N{NO-BREAK SPACE}30.00 left of $\N{NO-BREAK SPACE}50.00",
        )

    def test_a_till_without_a_bus_proxy_is_refused_and_nothing_is_queued(self):
        other = self.main_pos_config.copy({"name": "No proxy till", "is_posbox": True})
        with self.assertRaisesRegex(UserError, "no hardware proxy on Odoo's bus"):
            self._print(self.new_voucher(10.0), other)
        self.assertFalse(self.env["vms.hw.job"].search([("config_id", "=", other.id)]))

    def test_the_button_is_on_the_voucher_form(self):
        arch = self.env["vms.voucher"].get_view(view_type="form")["arch"]
        self.assertIn("Print at Store", arch)
