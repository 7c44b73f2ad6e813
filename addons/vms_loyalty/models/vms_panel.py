"""The redemption panel's entry points: what a store user at a branch scans,
uploads or types, recognised and shown; and the redemption they confirm.

Every decision is the engine's (``vms.redemption``): this model only finds
out what a code is, calls the engine with the panel's channel, shapes the
answers for the screen, and keeps the panel's record of each redemption
(``vms.panel.redemption``: the receipt remarks). The controller
(``controllers/panel.py``) runs each method in the store the user chose,
among their own (``env.company``).
"""

import base64
import binascii
import io
import re
import warnings
from datetime import datetime, time, timedelta

import pytz
from PIL import Image, UnidentifiedImageError

from odoo import _, api, fields, models
from odoo.exceptions import AccessError

from ..exceptions import VmsError, VmsInvalid, VmsNotFound
from ..tools import codes, rules
from .vms_reward_claim import CODE_LENGTH as CLAIM_CODE_LENGTH
from .vms_reward_claim import CODE_PREFIX as CLAIM_CODE_PREFIX

STORE_GROUP = "vms_loyalty.group_vms_store_user"
CHANNEL = "panel"
# A phone photo is a few MB; a screenshot far less.
MAX_UPLOAD_BYTES = 8 * 1024 * 1024
# Pixels decoded at most: a small file may unpack into gigabytes (a
# "decompression bomb"); 40 megapixels covers every phone camera in use.
MAX_IMAGE_PIXELS = 40_000_000
MAX_PRESENTED = 512
MAX_REMARKS = 200
KEY_RE = re.compile(r"^[A-Za-z0-9-]{8,64}$")


def mask_name(name):
    """A holder's name as the store user sees it: each word's first letter."""
    return " ".join(word[0] + "*" * (len(word) - 1) for word in (name or "").split()) or None


class VmsPanel(models.AbstractModel):
    """The redemption panel of store users (a tablet or phone at a branch)."""

    _name = "vms.panel"
    _description = "Redemption Panel"

    # ------------------------------------------------------------------
    # Who and where
    # ------------------------------------------------------------------

    @api.model
    def _vms_panel_check_user(self):
        if not self.env.user.has_group(STORE_GROUP):
            raise AccessError(_("Only store users work in the redemption panel."))

    @api.model
    def _vms_panel_stores(self):
        """The stores (companies and branches) the user may redeem at."""
        self._vms_panel_check_user()
        # sudo: a store user reads the names of its own companies only.
        companies = self.env.user.sudo().company_ids
        return [{"id": company.id, "name": company.name} for company in companies]

    @api.model
    def _vms_panel_store(self):
        """The store the request works at (the controller checked it is the user's)."""
        return self.env["res.company"]._vms_current()

    # ------------------------------------------------------------------
    # Recognising what was shown
    # ------------------------------------------------------------------

    @api.model
    def _vms_panel_lookup(self, text, pin=None, card=None):
        """What ``text`` (typed, scanned or decoded from an image) names: a
        reward code, a member's club card or a voucher, with what the store
        user needs to see of it. ``card`` is a member card number shown with a
        personal voucher (its proof)."""
        self._vms_panel_check_user()
        if not isinstance(text, str) or not text.strip():
            raise VmsInvalid("code_required", _("Scan, upload or type a code."))
        text = text.strip()
        if len(text) > MAX_PRESENTED or not text.isprintable():
            raise VmsInvalid("invalid_code", _("This is not a code: too long or unprintable."))
        cleaned = codes.normalize(text)
        if (
            cleaned.startswith(CLAIM_CODE_PREFIX)
            and len(cleaned) == len(CLAIM_CODE_PREFIX) + CLAIM_CODE_LENGTH
        ):
            return self._vms_panel_reward_code(cleaned)
        if cleaned.isdigit():
            member_card = self._vms_panel_find_card(cleaned)
            if member_card:
                return self._vms_panel_member(member_card)
        return self._vms_panel_voucher(text, pin=pin, card=card)

    @api.model
    def _vms_panel_find_card(self, number):
        """The club card ``number`` of this retailer (any of its branches when
        it runs a points programme, else of this store or its parents), or None."""
        store = self._vms_panel_store()
        if self.env["vms.points.program"]._vms_for_company(store, required=False):
            try:
                return self.env["vms.points.account"]._vms_card_by_number(number, store)
            except VmsNotFound:
                return None
        self.env["vms.card"].flush_model(["number", "company_id"])
        self.env.cr.execute(
            "SELECT id FROM vms_card WHERE number = %s AND company_id = ANY(%s)",
            [number, list(store._vms_store().company_ids)],
        )
        row = self.env.cr.fetchone()
        # sudo: a card of this store's retailer, found by the number shown.
        return self.env["vms.card"].sudo().browse(row[0]) if row else None

    @api.model
    def _vms_panel_proof(self, card_number):
        """The sale facts a shown member card proves: the card and its holder."""
        if not card_number:
            return {}
        card = self._vms_panel_find_card(codes.normalize(str(card_number))[:64])
        if not card:
            raise VmsNotFound("card_not_found", _("No club card %(number)s.", number=card_number))
        return {"card": card, "partner": card.partner_id or None}

    @api.model
    def _vms_panel_voucher(self, text, *, pin=None, card=None):
        """A voucher as the store user sees it, and the engine's verdict on
        spending it here now. A voucher this store may not take (another
        retailer's, another branch's) is refused outright: nothing of it shows."""
        Redemption = self.env["vms.redemption"]
        store, facts, _method = Redemption._vms_find_facts(text, pin=pin)
        campaign = self.env["vms.campaign"]._vms_campaign_terms(facts.campaign_id)
        rules.check_store(self.env, facts, campaign, store)
        # sudo: the engine found the voucher within this store's retailer and branch.
        voucher = self.env["vms.voucher"].sudo().browse(facts.id)
        money = voucher.company_id._vms_store().money
        available = money.round(facts.balance - facts.held)
        refusal = None
        proof = self._vms_panel_proof(card)
        try:
            Redemption._vms_validate(text, max(available, money.rounding), pin=pin, **proof)
        except VmsError as error:
            refusal = {"code": error.code, "message": error.args[0]}
        holder = voucher._vms_holder()
        voucher_store = voucher.company_id._vms_store()
        return {
            "type": "voucher",
            "code": voucher.code,
            "presented": text,
            "state": voucher.state,
            "state_label": voucher._vms_state_label(facts.state),
            "campaign": voucher.campaign_id.name,
            "holder": mask_name(holder.name) if holder else None,
            "card": voucher.card_id.number if voucher.card_bound else None,
            "balance": money.round(facts.balance),
            "available": available,
            "currency": money.name,
            "decimal_places": money.decimal_places,
            "rounding": money.rounding,
            "valid_from": fields.Date.to_string(facts.valid_from) or None,
            "valid_to": fields.Date.to_string(facts.valid_to) or None,
            "terms": self._vms_panel_terms(voucher, money),
            "needs_pin": bool(facts.redeem_pin and facts.has_pin),
            "otp_from": money.round(voucher_store.otp_min_amount)
            if holder and voucher_store.otp_mandatory
            else None,
            "refusal": refusal,
        }

    @api.model
    def _vms_panel_terms(self, voucher, money):
        """The voucher's terms in a few short lines for the store user."""
        terms = []
        if voucher.value_type != "nominal":
            terms.append(_("Discount voucher: %(label)s", label=voucher.display_name))
        if voucher.min_payment_amount:
            terms.append(
                _("Bill of at least %(amount)s", amount=money.text(voucher.min_payment_amount))
            )
        if voucher.card_bound:
            terms.append(_("Only with the holder's club card"))
        elif voucher.partner_id:
            terms.append(_("Personal: only for its holder"))
        if voucher.campaign_id.store_ids:
            terms.append(
                _(
                    "Only at: %(stores)s",
                    stores=", ".join(voucher.campaign_id.store_ids.mapped("name")),
                )
            )
        if voucher.campaign_id.bill_text:
            terms.append(voucher.campaign_id.bill_text)
        return terms

    @api.model
    def _vms_panel_reward_code(self, code):
        """A reward code: the reward, the member and the claim's state."""
        claim = self.env["vms.reward.claim"]._vms_find(code, self._vms_panel_store())
        refusal = None
        try:
            claim._vms_check_redeemable()
        except VmsError as error:
            refusal = {"code": error.code, "message": error.args[0]}
        state = dict(claim._fields["state"]._description_selection(self.env))[claim.state]
        return {
            "type": "reward_code",
            "code": claim.code,
            "reward": claim.reward_id.name,
            "reward_type": claim.reward_id.reward_type,
            "member": mask_name(claim.partner_id.name),
            "points": claim.points,
            "state": claim.state,
            "state_label": state,
            "expires_at": fields.Datetime.to_string(claim.expires_at),
            "refusal": refusal,
        }

    @api.model
    def _vms_panel_member(self, card):
        """A member's card: points, their value and the rewards they can claim."""
        account, card = self.env["vms.points.account"]._vms_account_for(
            card, company=self._vms_panel_store()
        )
        summary = account._vms_summary()
        program = self.env["vms.points.program"]._vms_for_company(self._vms_panel_store())
        # sudo: the catalogue of this retailer, as the till shows it.
        rewards = (
            self.env["vms.reward"]
            .sudo()
            .search(
                [("company_id", "=", program.company_id), ("active", "=", True)],
                order="sequence, points_cost, id",
            )
        )
        refusal = None
        if card.state != "active":
            refusal = {
                "code": "card_not_active",
                "message": _("Club card %(number)s is not active yet.", number=card.number),
            }
        return {
            "type": "member",
            "card": card.number,
            "card_state": card.state,
            "member": mask_name(card.partner_id.name),
            "points_balance": summary["points_balance"],
            "points_available": summary["points_available"],
            "value": summary["value"],
            "currency": summary["currency"],
            "decimal_places": summary["decimal_places"],
            "points_decimals": summary["points_decimals"],
            "rewards": [
                {
                    "id": reward.id,
                    "name": reward.name,
                    "points": reward.points_cost,
                    "claimable": reward.points_cost <= summary["points_available"],
                }
                for reward in rewards
            ],
            "refusal": refusal,
        }

    # ------------------------------------------------------------------
    # An uploaded photo or screenshot of a QR code
    # ------------------------------------------------------------------

    @api.model
    def _vms_panel_decode(self, data):
        """The text of the first code in an uploaded image (base64), or a
        clear refusal: too large, not an image, a decompression bomb, no code."""
        self._vms_panel_check_user()
        if not isinstance(data, str) or not data:
            raise VmsInvalid("image_required", _("Choose a photo or a screenshot of the code."))
        if "," in data[:100] and data.startswith("data:"):
            data = data.split(",", 1)[1]  # a data URL as the browser reads a file
        if len(data) > MAX_UPLOAD_BYTES * 4 // 3 + 4:
            raise VmsInvalid(
                "image_too_large",
                _("The image is larger than %(size)s MB.", size=MAX_UPLOAD_BYTES // 2**20),
            )
        try:
            raw = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise VmsInvalid("not_an_image", _("The file sent is not an image.")) from None
        return {"text": self._vms_panel_decode_image(raw)}

    @api.model
    def _vms_panel_decode_image(self, raw):
        from pyzbar import pyzbar  # noqa: PLC0415 - libzbar is loaded on first use only

        not_image = VmsInvalid("not_an_image", _("The file sent is not an image."))
        bomb = VmsInvalid(
            "image_too_large",
            _(
                "The image has too many pixels (at most %(pixels)s million).",
                pixels=MAX_IMAGE_PIXELS // 1_000_000,
            ),
        )
        try:
            with warnings.catch_warnings():
                # PIL warns above its own limit and raises at twice it; ours is checked first.
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                image = Image.open(io.BytesIO(raw))
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise bomb
                image.load()
                grey = image.convert("L")
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise bomb from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            raise not_image from None
        for symbol in pyzbar.decode(grey):
            try:
                text = symbol.data.decode("utf-8").strip()
            except UnicodeDecodeError:
                continue
            if text:
                return text
        raise VmsNotFound(
            "no_code_found",
            _("No QR code or barcode was found in the image: take it again, closer and sharper."),
        )

    # ------------------------------------------------------------------
    # Redeeming
    # ------------------------------------------------------------------

    @api.model
    def _vms_panel_keys(self, values):
        hold_key, confirm_key = values.get("hold_key"), values.get("confirm_key")
        for key in (hold_key, confirm_key):
            if not isinstance(key, str) or not KEY_RE.match(key):
                raise VmsInvalid(
                    "invalid_idempotency_key", _("Each request carries a key of 8 to 64 letters.")
                )
        return hold_key, confirm_key

    @api.model
    def _vms_panel_remarks(self, values):
        remarks = values.get("remarks") or ""
        if not isinstance(remarks, str) or len(remarks) > MAX_REMARKS:
            raise VmsInvalid(
                "invalid_remarks",
                _("Receipt remarks are text of at most %(count)s characters.", count=MAX_REMARKS),
            )
        return " ".join(remarks.split()) or False

    @api.model
    def _vms_panel_redeem(self, values):
        """Redeem what the store user confirmed: ``kind`` "voucher" (``code``,
        ``amount``, ``pin``, ``card``), "points" (``card``, ``amount`` or
        ``points``), "reward" (``card``, ``reward_id``: claimed and handed over
        at once) or "reward_code" (``code``: handed over). ``hold_key`` names
        the redemption, ``confirm_key`` this press of Confirm; ``otp_id`` and
        ``otp_code`` when the engine asks for the customer's code.

        Returns ``{"status": "done", ...}`` or ``{"status": "otp_required",
        ...}`` (then :meth:`_vms_panel_otp` sends the code)."""
        self._vms_panel_check_user()
        if not isinstance(values, dict):
            raise VmsInvalid("invalid_request", _("The request is malformed."))
        kind = values.get("kind")
        hold_key, confirm_key = self._vms_panel_keys(values)
        remarks = self._vms_panel_remarks(values)
        order_ref = f"Panel {hold_key}"
        otp = {"otp_id": values.get("otp_id"), "otp_code": values.get("otp_code")}
        if otp["otp_id"] is not None and not isinstance(otp["otp_id"], int):
            raise VmsInvalid("invalid_otp", _("The OTP reference is malformed."))
        if otp["otp_code"] is not None and not isinstance(otp["otp_code"], str):
            raise VmsInvalid("invalid_otp", _("The OTP code is malformed."))
        Redemption = self.env["vms.redemption"]
        if kind == "reward_code":
            code = values.get("code")
            hold = Redemption._vms_reward_redeem(
                code, idempotency_key=f"panel:{confirm_key}:reward", channel=CHANNEL
            )
            return self._vms_panel_done(hold, "reward", hold.reward_claim_id.code, remarks)
        if kind == "reward":
            return self._vms_panel_reward_now(values, order_ref, hold_key, remarks, otp)
        if kind == "voucher":
            hold = Redemption._vms_hold(
                values.get("code"),
                values.get("amount"),
                order_ref=order_ref,
                idempotency_key=f"panel:{hold_key}:hold",
                channel=CHANNEL,
                pin=values.get("pin") or None,
                **self._vms_panel_proof(values.get("card")),
            )
            reference = hold.sudo().voucher_id.code
        elif kind == "points":
            card = self._vms_panel_proof(values.get("card")).get("card")
            if not card:
                raise VmsInvalid("card_required", _("Points are redeemed with the member's card."))
            hold = Redemption._vms_points_hold(
                card,
                amount=values.get("amount"),
                points=values.get("points"),
                order_ref=order_ref,
                idempotency_key=f"panel:{hold_key}:hold",
                channel=CHANNEL,
            )
            reference = card.number
        else:
            raise VmsInvalid("invalid_kind", _("Nothing of this kind is redeemed here."))
        hold = self._vms_panel_own_hold(hold.id)
        if (
            hold.sudo().state == "held"
            and hold.sudo()._vms_otp_required()
            and not (otp["otp_id"] and otp["otp_code"])
        ):
            return self._vms_panel_otp_required(hold)
        hold._vms_confirm(f"panel:{confirm_key}:confirm", **otp)
        return self._vms_panel_done(hold, kind, reference, remarks)

    @api.model
    def _vms_panel_reward_now(self, values, order_ref, hold_key, remarks, otp):
        """A reward claimed for the member's points and handed over at once."""
        Redemption = self.env["vms.redemption"]
        card = self._vms_panel_proof(values.get("card")).get("card")
        reward = self._vms_panel_reward(card, values.get("reward_id"))
        try:
            with self.env.cr.savepoint():
                hold = Redemption._vms_reward_claim(
                    card,
                    reward,
                    idempotency_key=f"panel:{hold_key}:claim",
                    channel=CHANNEL,
                    order_ref=order_ref,
                    **otp,
                )
        except VmsError as error:
            if error.code != "otp_required":
                raise
            return {"status": "otp_required", "otp_for": "reward", "message": error.args[0]}
        claim = hold.sudo().reward_claim_id
        hold = Redemption._vms_reward_redeem(
            claim.code, idempotency_key=f"panel:{hold_key}:reward", channel=CHANNEL
        )
        return self._vms_panel_done(hold, "reward", claim.code, remarks)

    @api.model
    def _vms_panel_reward(self, card, reward_id):
        """An active reward of this store's retailer for the member's card, or a refusal."""
        if not card or not isinstance(reward_id, int) or isinstance(reward_id, bool):
            raise VmsInvalid("reward_required", _("Choose a reward for the member's card."))
        program = self.env["vms.points.program"]._vms_for_company(self._vms_panel_store())
        # sudo: the catalogue of this retailer, as the till shows it.
        reward = self.env["vms.reward"].sudo().browse(reward_id).exists()
        if not reward or not reward.active or reward.company_id.id != program.company_id:
            raise VmsNotFound("reward_not_found", _("No such reward."))
        return reward

    @api.model
    def _vms_panel_own_hold(self, hold_id):
        """A panel hold of this store user (the engine checks the store)."""
        if not isinstance(hold_id, int) or isinstance(hold_id, bool):
            raise VmsInvalid("invalid_request", _("The request is malformed."))
        hold = self.env["vms.redemption"]._vms_get(hold_id)
        # sudo: owner fields read to decide; the engine checked the store.
        if hold.sudo().user_id != self.env.user or hold.sudo().channel != CHANNEL:
            raise VmsNotFound("redemption_not_found", _("No redemption %(id)s.", id=hold_id))
        return hold

    @api.model
    def _vms_panel_otp_required(self, hold):
        store = hold.sudo().company_id._vms_store()
        return {
            "status": "otp_required",
            "otp_for": "hold",
            "hold_id": hold.id,
            "message": _(
                "Redemptions of %(minimum)s or more need the code sent to the customer's mobile.",
                minimum=store.money.text(store.otp_min_amount),
            ),
        }

    @api.model
    def _vms_panel_otp(self, values):
        """Generate OTP: send the holder a code for this hold (the engine's
        flow, as at the till), or for a reward claimed at once (``card`` and
        ``reward_id``)."""
        self._vms_panel_check_user()
        if not isinstance(values, dict):
            raise VmsInvalid("invalid_request", _("The request is malformed."))
        if values.get("hold_id"):
            otp = self._vms_panel_own_hold(values["hold_id"])._vms_request_otp()
        else:
            hold_key, _confirm = self._vms_panel_keys(values)
            card = self._vms_panel_proof(values.get("card")).get("card")
            reward = self._vms_panel_reward(card, values.get("reward_id"))
            account, card = self.env["vms.points.account"]._vms_account_for(
                card, company=self._vms_panel_store(), spend=True
            )
            program = account._vms_program()
            otp = self.env["vms.otp"]._vms_request(
                account._vms_holder(),
                program.to_money(reward.points_cost),
                f"Panel {hold_key}",
                "points_redemption",
                currency=account.currency_id,
                company=account.company_id,
            )
        return {
            "otp_id": otp.id,
            "masked_phone": otp._vms_masked_phone(),
            "expires_at": fields.Datetime.to_string(otp.expires_at),
        }

    @api.model
    def _vms_panel_release(self, hold_id):
        """The store user gave up: the held amount is free again."""
        self._vms_panel_check_user()
        self._vms_panel_own_hold(hold_id)._vms_release()
        return {"status": "released"}

    @api.model
    def _vms_panel_done(self, hold, kind, reference, remarks):
        """The success answer, and the panel's record of the redemption (once:
        a retried confirmation finds the first one)."""
        answer = hold._vms_result()
        # sudo: the engine confirmed the redemption for this user at this store.
        Records = self.env["vms.panel.redemption"].sudo()
        record = Records.search([("redemption_id", "=", hold.id)], limit=1)
        if not record:
            record = Records.create(
                {
                    "redemption_id": hold.id,
                    "kind": kind,
                    "reference": reference,
                    "store_id": self._vms_panel_store().id,
                    "user_id": self.env.uid,
                    "amount": answer.get("amount") or 0.0,
                    "points": answer.get("points") or 0.0,
                    "balance": answer.get("balance") or 0.0,
                    "remarks": remarks,
                }
            )
        return {
            "status": "done",
            "kind": kind,
            "reference": reference,
            "remarks": record.remarks or None,
            "result": answer,
        }

    # ------------------------------------------------------------------
    # Records
    # ------------------------------------------------------------------

    @api.model
    def _vms_panel_today(self):
        """The panel redemptions of the day at the current store, newest first."""
        self._vms_panel_check_user()
        store = self._vms_panel_store()
        zone = pytz.timezone(store._vms_store().tz or "UTC")
        today = store._vms_today()
        start = zone.localize(datetime.combine(today, time.min)).astimezone(pytz.utc)
        start = start.replace(tzinfo=None)
        # sudo: the records of the user's own current store only.
        records = (
            self.env["vms.panel.redemption"]
            .sudo()
            .search(
                [
                    ("store_id", "=", store.id),
                    ("date", ">=", start),
                    ("date", "<", start + timedelta(days=1)),
                ],
                limit=200,
            )
        )
        return [
            {
                "id": record.id,
                "time": pytz.utc.localize(record.date).astimezone(zone).strftime("%H:%M"),
                "kind": record.kind,
                "reference": record.reference,
                "amount": record.amount,
                "points": record.points,
                "currency": record.currency_id.name,
                "remarks": record.remarks or "",
                "user": record.user_id.name,
            }
            for record in records
        ]

    @api.model
    def _vms_panel_chronology(self, code):
        """The chronology of a voucher this store may take (as the lookup)."""
        self._vms_panel_check_user()
        if not isinstance(code, str):
            raise VmsInvalid("code_required", _("Scan, upload or type a code."))
        store, facts, _method = self.env["vms.redemption"]._vms_find_facts(code)
        campaign = self.env["vms.campaign"]._vms_campaign_terms(facts.campaign_id)
        rules.check_store(self.env, facts, campaign, store)
        # sudo: the engine found the voucher within this store's retailer and branch.
        voucher = self.env["vms.voucher"].sudo().browse(facts.id)
        types = dict(self.env["vms.voucher.transaction"]._fields["type"].selection)
        own = set(self.env.user.sudo().company_ids.ids)
        zone = pytz.timezone(store.tz or "UTC")
        return [
            {
                "id": row.id,
                "date": pytz.utc.localize(row.date).astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                "type": types.get(row.type, row.type),
                "amount": row.amount,
                "store": row.store_id.name or "",
                # Who worked elsewhere is not the store user's business.
                "user": row.user_id.name if row.store_id.id in own else "",
                "bill": row.bill_ref or "",
            }
            for row in voucher.transaction_ids.sorted("id", reverse=True)[:50]
        ]
