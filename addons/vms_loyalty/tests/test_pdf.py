import base64
import io

from PIL import Image
from pyzbar.pyzbar import decode
from reportlab.pdfgen import canvas

from odoo.tests import tagged
from odoo.tools.pdf import PdfReader

from .common import VmsCase


def page_images(page):
    """The images embedded in a PDF page, decoded to PIL (barcodes and QR codes
    are embedded as images, so no rasteriser is needed to read them back)."""
    images = []
    xobjects = page["/Resources"].get("/XObject") or {}
    for name in xobjects:
        obj = xobjects[name].get_object()
        if obj.get("/Subtype") != "/Image":
            continue
        mode = {"/DeviceRGB": "RGB", "/DeviceGray": "L"}[obj["/ColorSpace"]]
        images.append(Image.frombytes(mode, (obj["/Width"], obj["/Height"]), obj.get_data()))
    return images


def decoded(page):
    """The symbols of a page; a QR code as the voucher code it carries (its
    payload is signed, see vms.signing.key: the signature is checked in
    test_the_qr_code_carries_the_signed_payload)."""
    return {
        (symbol.type, symbol.data.decode().split(".")[0])
        for image in page_images(page)
        for symbol in decode(image)
    }


def decoded_raw(page):
    return {
        (symbol.type, symbol.data.decode())
        for image in page_images(page)
        for symbol in decode(image)
    }


@tagged("post_install", "-at_install")
class TestVoucherPdf(VmsCase):
    """PDFs are read back: text extracted, barcodes and QR codes decoded."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.campaign.bill_text = "Spring voucher – vielen Dank"
        cls.template = cls.env["vms.voucher.template"].create(
            {"name": "Test Template", "company_id": cls.company.id}
        )

    def test_default_layout_page_per_voucher(self):
        vouchers = self.new_voucher(partner_id=self.partner.id, valid_to=self.days(30))
        vouchers |= self.new_voucher(nominal_amount=25.0)
        vouchers.sudo().write({"template_id": self.template.id})
        action = vouchers.action_download_pdf()["params"]["next"]
        self.assertEqual(action["type"], "ir.actions.act_url")
        attachment_id = int(action["url"].split("/")[3].split("?")[0])
        attachment = self.env["ir.attachment"].browse(attachment_id)
        self.assertEqual(attachment.mimetype, "application/pdf")
        reader = PdfReader(io.BytesIO(attachment.raw))
        self.assertEqual(len(reader.pages), 2)
        for page, voucher in zip(reader.pages, vouchers, strict=True):
            text = page.extract_text()
            self.assertIn(voucher.code, text)
            self.assertIn("Spring voucher – vielen Dank", text)
            self.assertIn({("QRCODE", voucher.code), ("CODE128", voucher.code)}, [decoded(page)])
        first = reader.pages[0].extract_text()
        self.assertIn(self.partner.name, first)  # full Unicode name
        self.assertIn("50.00", first)
        self.assertIn("Valid until", first)

    def test_background_pdf_is_kept_under_the_overlay(self):
        stream = io.BytesIO()
        pdf = canvas.Canvas(stream, pagesize=(420, 300))
        pdf.drawString(200, 280, "DESIGNER BACKGROUND")
        pdf.showPage()
        pdf.save()
        self.template.write(
            {"background": base64.b64encode(stream.getvalue()), "background_filename": "bg.pdf"}
        )
        voucher = self.new_voucher(template_id=self.template.id)
        reader = PdfReader(io.BytesIO(voucher._vms_render_pdf()))
        self.assertEqual(len(reader.pages), 1)
        self.assertEqual(float(reader.pages[0].mediabox.width), 420)
        text = reader.pages[0].extract_text()
        self.assertIn("DESIGNER BACKGROUND", text)
        self.assertIn(voucher.code, text)
        self.assertIn(("QRCODE", voucher.code), decoded(reader.pages[0]))

    def test_the_qr_code_carries_the_signed_payload(self):
        voucher = self.new_voucher(template_id=self.template.id, redeem_barcode=False)
        page = PdfReader(io.BytesIO(voucher._vms_render_pdf())).pages[0]
        [(kind, text)] = decoded_raw(page)
        self.assertEqual(kind, "QRCODE")
        claims = self.env["vms.signing.key"]._vms_verify(text)
        self.assertEqual((claims["c"], claims["b"]), (voucher.code, voucher.balance))

    def test_ean13_vouchers_print_an_ean13(self):
        self.company.vms_barcode_format = "ean13"
        voucher = self.new_voucher(template_id=self.template.id)
        page = PdfReader(io.BytesIO(voucher._vms_render_pdf())).pages[0]
        self.assertIn(("EAN13", voucher.barcode), decoded(page))

    def test_only_the_symbols_a_voucher_is_redeemed_by_are_printed(self):
        self.company.vms_barcode_format = "ean13"
        qr_only = self.new_voucher(template_id=self.template.id, redeem_barcode=False)
        page = PdfReader(io.BytesIO(qr_only._vms_render_pdf())).pages[0]
        self.assertEqual(decoded(page), {("QRCODE", qr_only.code)})
        self.assertIn(qr_only.code, page.extract_text(), "the code itself is always printed")
        barcode_only = self.new_voucher(template_id=self.template.id, redeem_qr=False)
        page = PdfReader(io.BytesIO(barcode_only._vms_render_pdf())).pages[0]
        self.assertEqual(decoded(page), {("EAN13", barcode_only.barcode)})

    def test_background_must_be_a_pdf(self):
        with self.refused("must be a PDF"):
            self.template.background = base64.b64encode(b"GIF89a not a pdf")

    def test_preview(self):
        self.new_voucher(template_id=self.template.id)
        self.template.invalidate_recordset()
        preview = base64.b64decode(self.template.preview)
        self.assertTrue(preview.startswith(b"%PDF-"))
        self.assertEqual(self.template.action_preview()["type"], "ir.actions.act_url")

    def test_personalised_vouchers_are_mailed_with_their_pdf(self):
        self.campaign.kind = "personalised"
        voucher = self.new_voucher(partner_id=self.partner.id, template_id=self.template.id)
        self.new_voucher()  # no holder: not mailed
        self.campaign.with_user(self.manager).action_send_personalised()
        message = voucher.message_ids.filtered(lambda m: m.message_type == "comment")
        self.assertEqual(len(message), 1)
        self.assertIn(voucher.code, message.body)
        self.assertEqual(message.partner_ids, self.partner)
        self.assertEqual(message.attachment_ids.mimetype, "application/pdf")
        pdf = PdfReader(io.BytesIO(message.attachment_ids.raw))
        self.assertIn(voucher.code, pdf.pages[0].extract_text())
