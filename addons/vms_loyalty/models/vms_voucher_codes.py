"""How a voucher is found: codes and barcodes drawn and parsed, and the one
query that reads a voucher as the rules see it."""

from odoo import _, api, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..exceptions import VmsInvalid
from ..tools import codes, rules

# The longest thing a scanner or a channel may present as a voucher (an
# external QR payload included).
MAX_PRESENTED = 128
# Columns a voucher is found by, per way of presenting it.
LOOKUP_COLUMNS = {"code": "code", "barcode": "barcode", "external": "external_qr_payload"}

# The voucher as the rules see it (``rules.Voucher``), with the amount other
# sales hold on it. ``%(where)s`` names it; ``%(lock)s`` is FOR UPDATE or nothing.
_FACTS = """
    SELECT v.id, v.code, v.company_id, v.campaign_id, v.state,
           v.valid_from, v.valid_to, v.value_type,
           COALESCE(v.nominal_amount, 0), COALESCE(v.spent_amount, 0),
           (SELECT COALESCE(SUM(r.amount), 0) FROM vms_redemption r
             WHERE r.voucher_id = v.id AND r.state = 'held'
               AND r.expires_at > now() at time zone 'UTC' AND r.id != %(exclude)s),
           COALESCE(v.discount_type, 'percent'), COALESCE(v.discount_value, 0),
           COALESCE(v.discount_scope, 'bill'), COALESCE(v.discount_product_id, 0),
           COALESCE(v.discount_category_id, 0), COALESCE(v.min_payment_amount, 0),
           COALESCE(v.partner_id, 0), COALESCE(v.card_id, 0),
           COALESCE((SELECT c.partner_id FROM vms_card c WHERE c.id = v.card_id), 0),
           COALESCE(v.card_bound, false), COALESCE(v.redeem_barcode, false),
           COALESCE(v.redeem_qr, false), COALESCE(v.redeem_external_qr, false),
           COALESCE(v.redeem_pin, false), v.pin_hash IS NOT NULL
      FROM vms_voucher v
     WHERE %(where)s
     %(lock)s
"""


class VmsVoucherCodes(models.AbstractModel):
    """Codes and barcodes of vouchers: drawn, parsed, looked up."""

    _name = "vms.voucher.codes"
    _description = "Voucher Codes and Lookups"

    # Drawing -----------------------------------------------------------------

    @api.model
    def _vms_new_codes(self, company, count):
        """``count`` codes free in the database (the unique index is the judge)."""
        prefix, length = company.vms_code_prefix or "", company.vms_code_length
        found = []
        for _attempt in range(10):
            candidates = codes.random_codes(count - len(found), prefix, length)
            self.env.cr.execute("SELECT code FROM vms_voucher WHERE code = ANY(%s)", [candidates])
            taken = {row[0] for row in self.env.cr.fetchall()}
            found += [code for code in candidates if code not in taken and code not in found]
            if len(found) >= count:
                return found[:count]
        raise UserError(_("No free voucher code found; make the codes longer in the settings."))

    @api.model
    def _vms_new_barcodes(self, count):
        """``count`` EAN-13 numbers drawn at random and free in the database."""
        found = []
        for _attempt in range(10):
            candidates = codes.random_ean13s(count - len(found))
            self.env.cr.execute(
                "SELECT barcode FROM vms_voucher WHERE barcode = ANY(%s)", [candidates]
            )
            taken = {row[0] for row in self.env.cr.fetchall()}
            found += [
                number for number in candidates if number not in taken and number not in found
            ]
            if len(found) >= count:
                return found[:count]
        raise UserError(_("No free voucher barcode found; try again."))

    # Parsing -----------------------------------------------------------------

    @api.model
    def _vms_parse_code(self, code, company=None):
        """Normalised code, or a clear refusal for a code that cannot be ours."""
        store = (company or self.env["res.company"]._vms_current())._vms_store()
        prefix, length = store.code_prefix, store.code_length
        try:
            return codes.parse(code, prefix, length)
        except codes.CodeError as error:
            messages = {
                "empty": _("No voucher code was given."),
                "prefix": _(
                    "%(code)s is not a voucher code of %(company)s: codes start with %(prefix)s.",
                    code=error.code,
                    company=store.name,
                    prefix=prefix,
                ),
                "length": _(
                    "%(code)s is not a voucher code: %(length)s characters are expected "
                    "after the prefix.",
                    code=error.code,
                    length=length,
                ),
                "alphabet": _(
                    "%(code)s is not a voucher code: it holds characters vouchers never use.",
                    code=error.code,
                ),
                "check": _(
                    "%(code)s has a wrong check character: the code was mistyped or misread.",
                    code=error.code,
                ),
            }
            raise VmsInvalid("invalid_code", messages[error.reason], reason=error.reason) from None

    @api.model
    def _vms_presentation(self, presented, company=None):
        """How a scanned or typed string names a voucher: ``(method, value)``.

        ``method`` is ``"code"`` (typed, or a Code 128 or QR symbol, which both
        carry the code), ``"barcode"`` (its EAN-13) or ``"external"`` (a third
        party's QR payload). A string shaped like one of our codes (the prefix
        and length of the settings) has its check character verified here, so
        a mistyped code never reaches the database.
        """
        company = company or self.env["res.company"]._vms_current()
        if not isinstance(presented, str) or not presented.strip():
            raise VmsInvalid("code_required", _("A voucher code is required."))
        raw = presented.strip()
        if len(raw) > MAX_PRESENTED or not raw.isprintable():
            raise VmsInvalid(
                "invalid_code", _("This is not a voucher code: too long or unprintable.")
            )
        cleaned = codes.normalize(raw)
        store = company._vms_store()
        prefix, length = store.code_prefix, store.code_length
        if cleaned.isdigit() and len(cleaned) == 13:
            if not codes.ean13_valid(cleaned):
                raise VmsInvalid(
                    "invalid_code", _("%(code)s has a wrong EAN-13 check digit.", code=cleaned)
                )
            return "barcode", cleaned
        if cleaned.startswith(prefix) and len(cleaned) == len(prefix) + length:
            return "code", self._vms_parse_code(cleaned, company)
        return "external", raw

    @api.model
    def _vms_refuse_unknown(self, method, presented, company=None):
        """The refusal for a string that named no voucher: why it cannot be a
        code of ours, or simply unknown (a well-formed code of another
        retailer's prefix tells nothing more)."""
        company = company or self.env["res.company"]._vms_current()
        cleaned = codes.normalize(presented)
        length = company._vms_store().code_length
        if method == "external" and not (
            len(cleaned) > length and codes.luhn_mod_n_valid(cleaned[-length:])
        ):
            self._vms_parse_code(presented, company)  # raises the reason
        return rules.not_found(self.env, cleaned or presented)

    # Finding -----------------------------------------------------------------

    @api.model
    def _vms_find_by_code(self, code, company=None):
        """The voucher (record) behind a code, barcode or external payload,
        within the user's record rules; for the back office and the panel."""
        return self._vms_find_presented(code, company)[0]

    @api.model
    def _vms_find_presented(self, code, company=None):
        """The voucher behind a presented string and how it was presented, or a
        refusal (``invalid_code``, ``voucher_not_found``)."""
        method, value = self._vms_presentation(code, company)
        voucher = self.search([(LOOKUP_COLUMNS[method], "=", value)], limit=1)
        if not voucher:
            raise self._vms_refuse_unknown(method, code, company)
        return voucher, method

    @api.model
    def _vms_facts_presented(self, method, value, presented, *, lock=False, exclude=None):
        """The facts of the voucher a presented string names, or its refusal.
        Unknown barcodes and external payloads are counted per caller (their
        numbers are guessable), see ``vms.voucher.lookup.failure``."""
        Failures = self.env["vms.voucher.lookup.failure"].sudo()
        guessable = method in ("barcode", "external")
        if guessable:
            Failures._vms_check()
        facts = self._vms_facts(method, value, lock=lock, exclude=exclude)
        if facts is None:
            if guessable:
                Failures._vms_count()
            raise self._vms_refuse_unknown(method, presented)
        return facts

    @api.model
    def _vms_facts(self, method=None, value=None, *, voucher_id=None, lock=False, exclude=None):
        """The voucher as the rules see it (``rules.Voucher``), read in one
        statement whatever the user's rights (the engine checks the store
        itself), or None. ``lock`` takes its row for the rest of the
        transaction; ``exclude`` leaves a hold out of the amount held."""
        if voucher_id:
            where = SQL("v.id = %s", voucher_id)
        else:
            where = SQL("%s = %s", SQL.identifier("v", LOOKUP_COLUMNS[method]), value)
        self.env.flush_all()  # the query reads what the ORM may not have written yet
        self.env.cr.execute(
            SQL(
                _FACTS,
                where=where,
                exclude=exclude or 0,
                lock=SQL("FOR UPDATE OF v") if lock else SQL(),
            ),
            # A concurrent spend since this transaction's snapshot is a
            # serialization failure: expected, Odoo retries the request.
            log_exceptions=False,
        )
        row = self.env.cr.fetchone()
        # No cache to drop after the lock: in Odoo's REPEATABLE READ a row that
        # changed since this transaction's snapshot cannot be locked (the
        # request fails and is retried), so what the ORM read of it is current.
        return rules.Voucher(*row) if row else None
