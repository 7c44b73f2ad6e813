import io
import json
from datetime import timedelta

import qrcode
from PIL import Image
from pyzbar import pyzbar
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged

from ..models.pos_config import bus_channel
from ..tools.pdf_raster import pdftoppm_available

SECRET = "store-7-bus-secret"


def qr_png(text, size=300):
    image = Image.new("L", (size, size + 80), 255)
    code = qrcode.make(text, border=2, box_size=6).convert("L")
    image.paste(code, ((size - code.width) // 2, 10))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def qr_pdf(texts):
    """A voucher-like PDF (A6 pages), one QR code per page."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(298, 420))
    for text in texts:
        pdf.drawString(30, 390, f"Gift voucher {text}")
        pdf.drawImage(ImageReader(io.BytesIO(qr_png(text))), 49, 100, 200, 253)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def codes(png_bytes):
    with Image.open(io.BytesIO(png_bytes)) as image:
        return [symbol.data.decode() for symbol in pyzbar.decode(image.convert("L"))], image.size


@tagged("post_install", "-at_install")
class TestPrintJobs(HttpCase):
    """The print API other addons call, and the routes the proxy uses for its jobs."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.config = cls.env["pos.config"].create(
            {"name": "Store 7 till", "is_posbox": True, "vms_proxy_bus_secret": SECRET}
        )
        cls.other = cls.env["pos.config"].create(
            {"name": "Store 8 till", "is_posbox": True, "vms_proxy_bus_secret": "store-8-secret"}
        )

    def _proxy(self, route, body, secret=SECRET):
        return self.url_open(
            f"/vms_hw_proxy/job/{route}",
            data=json.dumps(body),
            headers={"Content-Type": "application/json", "X-VMS-Proxy-Secret": secret},
        )

    def _offers(self, channel):
        self.env.cr.precommit.run()  # the bus rows are written just before commit
        notifications = self.env["bus.bus"].sudo().search([("channel", "like", channel)])
        return [json.loads(n.message) for n in notifications]

    def test_image_job_end_to_end(self):
        """Print, the proxy fetches the image and reports done; the code reads back."""
        job = self.config._vms_hw_print_image(qr_png("VMS-JOB-IMAGE-1"), name="Voucher 1")
        self.assertEqual(
            (job.state, job.kind, job.name, job.offers), ("waiting", "image", "Voucher 1", 1)
        )
        self.assertGreater(job.expires_at, fields.Datetime.now() + timedelta(minutes=9))
        (offer,) = self._offers(bus_channel(SECRET))
        self.assertEqual(offer["type"], "vms_hw_proxy/job")
        self.assertEqual(offer["payload"]["job_id"], job.id)

        response = self._proxy("payload", {"job_id": job.id})
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.headers["Content-Type"], "image/png")
        self.assertEqual(codes(response.content)[0], ["VMS-JOB-IMAGE-1"])
        job.invalidate_recordset()
        self.assertEqual(job.state, "waiting")  # fetching changes nothing ...
        response = self._proxy("result", {"job_id": job.id, "state": "sent"})
        self.assertEqual(response.json(), {"ok": True, "state": "sent"}, response.text)
        job.invalidate_recordset()
        self.assertEqual(job.state, "sent")  # ... the proxy says it has the image
        self.assertTrue(job.sent_at)

        response = self._proxy("result", {"job_id": job.id, "state": "done"})
        self.assertEqual(response.json(), {"ok": True, "state": "done"}, response.text)
        job.invalidate_recordset()
        self.assertEqual(job.state, "done")
        self.assertTrue(job.done_at)
        # A repeated done (the proxy's report retried) is fine; a late failure is not.
        self.assertEqual(
            self._proxy("result", {"job_id": job.id, "state": "done"}).status_code, 200
        )
        response = self._proxy("result", {"job_id": job.id, "state": "failed", "message": "x"})
        self.assertEqual(response.status_code, 409)
        self.assertEqual(self._proxy("payload", {"job_id": job.id}).status_code, 409)
        job.invalidate_recordset()
        self.assertEqual(job.state, "done")

    def _bus_notices(self):
        self.env.cr.precommit.run()
        return self.env["bus.bus"].sudo().search_count([("message", "like", "vms_hw_proxy/status")])

    def test_results_of_several_jobs_in_one_report(self):
        """The proxy's batched report: each result taken or refused on its own, one
        notice to the back office; a malformed batch is refused whole."""
        printed, failed, finished, foreign = (
            self.config._vms_hw_print_image(qr_png(f"VMS-BATCH-{n}")) for n in range(4)
        )
        finished._vms_mark_result(True)
        foreign.sudo().config_id = self.other
        notices = self._bus_notices()
        response = self._proxy(
            "result",
            {
                "results": [
                    {"job_id": printed.id, "state": "done"},
                    {"job_id": failed.id, "state": "failed", "message": "paper out"},
                    {"job_id": finished.id, "state": "failed", "message": "late"},
                    {"job_id": foreign.id, "state": "done"},
                ]
            },
        )
        self.assertEqual(response.status_code, 200, response.text)
        answers = response.json()["results"]
        self.assertEqual(
            [
                (a["job_id"], a["ok"], a.get("state"), a.get("error", {}).get("code"))
                for a in answers
            ],
            [
                (printed.id, True, "done", None),
                (failed.id, True, "failed", None),
                (finished.id, False, None, "finished"),
                (foreign.id, False, None, "unknown_job"),
            ],
        )
        (printed | failed | finished | foreign).invalidate_recordset()
        self.assertEqual(printed.state, "done")
        # Reported done without a "sent" first (the proxy printed it at once): sent too.
        self.assertTrue(printed.sent_at)
        self.assertEqual(printed.sent_at, printed.done_at)
        self.assertEqual((failed.state, failed.message), ("failed", "paper out"))
        self.assertFalse(failed.sent_at)
        self.assertEqual((finished.state, foreign.state), ("done", "waiting"))
        self.assertEqual(self._bus_notices(), notices + 1)

        # Malformed: refused whole, nothing changes.
        waiting = self.config._vms_hw_print_image(qr_png("VMS-BATCH-WAIT"))
        good = {"job_id": waiting.id, "state": "done"}
        for body in (
            {"results": []},
            {"results": {"job_id": waiting.id}},
            {"results": [good] * 101},
            {"results": [good, {"job_id": waiting.id, "state": "printed"}]},
            {"results": [good, {"job_id": "1", "state": "done"}]},
            {"results": [good, "done"]},
            {"results": [good, {"job_id": waiting.id, "state": "failed", "message": 7}]},
        ):
            with self.subTest(body=str(body)[:60]):
                response = self._proxy("result", body)
                self.assertEqual(response.status_code, 422, response.text)
        waiting.invalidate_recordset()
        self.assertEqual(waiting.state, "waiting")
        # Another proxy's secret gets nothing done, in a batch either.
        response = self._proxy("result", {"results": [good]}, secret="store-8-secret")
        self.assertEqual(response.json()["results"][0]["error"]["code"], "unknown_job")
        self.assertEqual(self._proxy("result", {"results": [good]}, "nope").status_code, 403)
        waiting.invalidate_recordset()
        self.assertEqual(waiting.state, "waiting")

    def test_payload_of_a_job_stored_in_the_database(self):
        """The lean fetch reads the image where ir.attachment keeps it: the filestore
        by default, the database when ir_attachment.location says so."""
        self.env["ir.config_parameter"].sudo().set_param("ir_attachment.location", "db")
        job = self.config._vms_hw_print_image(qr_png("VMS-IN-DB"))
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT store_fname, octet_length(db_datas) FROM ir_attachment"
            " WHERE res_model = 'vms.hw.job' AND res_field = 'payload' AND res_id = %s",
            (job.id,),
        )
        ((store_fname, stored_bytes),) = self.env.cr.fetchall()
        self.assertFalse(store_fname)
        self.assertGreater(stored_bytes, 100)
        response = self._proxy("payload", {"job_id": job.id})
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(codes(response.content)[0], ["VMS-IN-DB"])

    def test_pdf_page_is_rasterised_at_the_printer_width(self):
        if not pdftoppm_available():
            self.skipTest("pdftoppm (poppler-utils) is not installed")
        self.config.sudo().vms_proxy_printer_width = 576
        job = self.config._vms_hw_print_pdf(
            qr_pdf(["VMS-PAGE-0", "VMS-PAGE-1"]), name="Batch", page=1
        )
        self.assertEqual((job.kind, job.pdf_page), ("pdf", 1))
        response = self._proxy("payload", {"job_id": job.id})
        found, size = codes(response.content)
        self.assertEqual(found, ["VMS-PAGE-1"])
        self.assertEqual(size[0], 576)
        self.assertEqual(size[1], round(576 * 420 / 298))
        with self.assertRaisesRegex(UserError, "has no page 2"):
            self.config._vms_hw_print_pdf(qr_pdf(["A", "B"]), page=2)
        with self.assertRaisesRegex(UserError, "not a PDF"):
            self.config._vms_hw_print_pdf(b"hello", page=0)
        with self.assertRaisesRegex(UserError, "page number"):
            self.config._vms_hw_print_pdf(qr_pdf(["A"]), page=-1)

    def test_bad_input_and_wrong_callers_change_nothing(self):
        jobs = self.env["vms.hw.job"].search_count([])
        for bad in (b"", b"not an image", b"GIF89a" + b"\0" * 20, "a string"):
            with self.subTest(bad=bad[:10]), self.assertRaises(UserError):
                self.config._vms_hw_print_image(bad)
        with self.assertRaisesRegex(UserError, "no hardware proxy on Odoo's bus"):
            self.env["pos.config"].create({"name": "No proxy"})._vms_hw_print_image(qr_png("X"))
        with self.assertRaises(UserError):
            self.config._vms_hw_print_image(qr_png("X"), ttl=0)
        clerk = new_test_user(self.env, login="vms_hw_clerk", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.config.with_user(clerk)._vms_hw_print_image(qr_png("X"))
        self.assertEqual(self.env["vms.hw.job"].search_count([]), jobs)

    def test_a_store_user_prints_and_follows_only_their_jobs(self):
        cashier = new_test_user(
            self.env, login="vms_hw_cashier", groups="point_of_sale.group_pos_user"
        )
        job = self.config.with_user(cashier)._vms_hw_print_image(qr_png("VMS-CASHIER"))
        self.assertEqual(job.env.user, cashier)
        self.assertEqual(job.state, "waiting")  # readable by its sender
        self.assertEqual(job.user_id, cashier)
        with self.assertRaises(AccessError):
            self.config.with_user(cashier).vms_proxy_bus_secret  # noqa: B018

    def test_another_proxy_never_gets_the_job(self):
        job = self.config._vms_hw_print_image(qr_png("VMS-NOT-YOURS"))
        self.assertFalse(self._offers(bus_channel("store-8-secret")))
        for secret, status in (("store-8-secret", 404), ("nope", 403), ("", 403)):
            with self.subTest(secret=secret):
                self.assertEqual(
                    self._proxy("payload", {"job_id": job.id}, secret).status_code, status
                )
                response = self._proxy("result", {"job_id": job.id, "state": "done"}, secret)
                self.assertEqual(response.status_code, status)
        for body in ({"job_id": "1"}, {"job_id": True}, {"job_id": 2**40}, {"job_id": -1}, {}):
            with self.subTest(body=body):
                self.assertEqual(self._proxy("payload", body).status_code, 422)
        self.assertEqual(self._proxy("payload", {"job_id": job.id + 10**6}).status_code, 404)
        response = self._proxy("result", {"job_id": job.id, "state": "printed"})
        self.assertEqual(response.status_code, 422)
        job.invalidate_recordset()
        self.assertEqual(job.state, "waiting")

    def test_open_jobs_are_offered_again_on_subscription_and_expire(self):
        waiting = self.config._vms_hw_print_image(qr_png("VMS-WAIT"))
        sent = self.config._vms_hw_print_image(qr_png("VMS-SENT"))
        done = self.config._vms_hw_print_image(qr_png("VMS-DONE"))
        self._proxy("result", {"job_id": sent.id, "state": "sent"})
        done._vms_mark_result(True)
        old = self.config._vms_hw_print_image(qr_png("VMS-OLD"), ttl=1)
        old.sudo().expires_at = fields.Datetime.now() - timedelta(seconds=1)
        # What ir.websocket._after_subscribe_data does for a subscription naming the
        # proxy's channel (the real subscription is tested with a proxy, in tests/hw_proxy).
        self.env["vms.hw.job"]._vms_offer_open_jobs([bus_channel(SECRET), "other"])
        (waiting | sent | done | old).invalidate_recordset()
        self.assertEqual((waiting.offers, sent.offers, done.offers, old.offers), (2, 2, 1, 1))
        # The expired one is refused to the proxy at once, and the cron says why.
        self.assertEqual(self._proxy("payload", {"job_id": old.id}).status_code, 410)
        sent.sudo().expires_at = fields.Datetime.now() - timedelta(seconds=1)
        self.assertEqual(self.env["vms.hw.job"]._cron_vms_expire(), 2)
        (old | sent).invalidate_recordset()
        self.assertEqual((old.state, sent.state), ("expired", "expired"))
        self.assertIn("No proxy was connected", old.message)
        self.assertIn("never confirmed", sent.message)
        # A done report that comes late still counts: the paper is out.
        self.assertEqual(
            self._proxy("result", {"job_id": sent.id, "state": "done"}).status_code, 200
        )

    def test_hostile_bodies_are_4xx(self):
        job = self.config._vms_hw_print_image(qr_png("VMS-HOSTILE"))
        for body in (
            "[" * 50000,
            '{"job_id": ' + "[" * 30 + "]" * 30 + "}",
            '{"job_id": 1e999}',
            '{"job_id": ' + "9" * 5000 + "}",
            '{"job_id": %d, "state": "failed", "message": "a\\u0000b"}' % job.id,
            '{"job_id": %d, "state": "failed", "message": 5}' % job.id,
            "\x00",
        ):
            with self.subTest(body=body[:40]):
                response = self.url_open(
                    "/vms_hw_proxy/job/result",
                    data=body,
                    headers={"Content-Type": "application/json", "X-VMS-Proxy-Secret": SECRET},
                )
                self.assertTrue(400 <= response.status_code < 500, response.text)
                self.assertIn("error", response.json())
        job.invalidate_recordset()
        self.assertEqual(job.state, "waiting")
