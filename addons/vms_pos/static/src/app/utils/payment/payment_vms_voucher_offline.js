import { _t } from "@web/core/l10n/translation";
import { patch } from "@web/core/utils/patch";
import { PaymentVmsVoucher } from "@vms_pos/app/utils/payment/payment_vms_voucher";
import {
    checkCharacterValid,
    OfflineLedger,
    parseSigned,
    storeToday,
    verifySignature,
    webCryptoAvailable,
} from "@vms_pos/app/utils/offline/vms_offline";

/** The server did not answer a hold: the tender tries to accept offline. */
class VmsServerUnreachable extends Error {}

class OfflineRefusal extends Error {}

/**
 * The Voucher tender while the server is unreachable.
 *
 * Online, a signed QR is sent as its plain code (the server knows the
 * voucher). Offline, the tender accepts a voucher only on the proof its
 * signed payload carries: check character, signature (WebCrypto), dates,
 * company, card, no PIN, no holder (whose vouchers may need an OTP), bill
 * scope or an item on the bill, minimum bill; and only up to the balance at
 * signing less what this till already accepted offline, within the limits
 * per voucher and per till session. The payment line keeps the payload
 * (`vms_tender.offline`), so it travels with its order in the POS's own
 * IndexedDB storage and is replayed by the order's sync.
 */
patch(PaymentVmsVoucher.prototype, {
    async call(action, params) {
        const response = await super.call(action, params);
        if (action === "hold" && response?.offline && this.vmsOfflineCandidate) {
            throw new VmsServerUnreachable();
        }
        return response;
    },

    get vmsLedger() {
        return new OfflineLedger(`${this.pos.config.id}:${this.pos.session.id}`);
    },

    async requestHold(order, line, code, pin) {
        const signed = parseSigned(code);
        this.vmsOfflineCandidate = { signed, text: code, pin };
        try {
            if (this.pos.data.network.offline) {
                throw new VmsServerUnreachable();
            }
            return await super.requestHold(order, line, signed ? signed.code : code, pin);
        } catch (error) {
            if (!(error instanceof VmsServerUnreachable)) {
                throw error;
            }
            return await this.vmsAcceptOffline(order, line, signed, pin);
        } finally {
            this.vmsOfflineCandidate = null;
        }
    },

    async vmsAcceptOffline(order, line, signed, pin) {
        try {
            const accepted = await this.vmsCheckOffline(order, line, signed, pin);
            line.setAmount(accepted.amount);
            line.transaction_id = false;
            line.vms_tender = accepted.tender;
            this.vmsLedger.add(line.uuid, accepted.tender.code, accepted.amount);
            this.env.services.notification.add(
                _t(
                    "The server cannot be reached: voucher %(code)s accepted offline for %(amount)s, subject to confirmation.",
                    {
                        code: accepted.tender.code,
                        amount: this.env.utils.formatCurrency(accepted.amount),
                    }
                ),
                { type: "warning" }
            );
            return true;
        } catch (error) {
            if (!(error instanceof OfflineRefusal)) {
                throw error;
            }
            this.showError({ message: error.message }, _t("Voucher refused offline"));
            return false;
        }
    },

    async vmsCheckOffline(order, line, signed, pin) {
        const refuse = (message) => {
            throw new OfflineRefusal(message);
        };
        const terms = this.pos.company.vms_offline_terms || {};
        const money = (amount) => this.env.utils.formatCurrency(amount);
        const round = (amount) => order.currency.round(amount);
        if (!terms.enabled) {
            refuse(
                _t(
                    "The voucher server cannot be reached and this shop takes no vouchers offline. Pay otherwise."
                )
            );
        }
        if (!signed) {
            refuse(
                _t(
                    "The voucher server cannot be reached: offline, a voucher is accepted only from its printed QR code, which the server signed. A typed code cannot be checked. Scan the QR code, or pay otherwise."
                )
            );
        }
        const claims = signed.claims;
        const code = signed.code;
        if (!checkCharacterValid(code, terms.prefix, terms.length)) {
            refuse(_t("%s has a wrong check character: the code was misread.", code));
        }
        if (!webCryptoAvailable()) {
            refuse(
                _t(
                    "This till cannot check signed vouchers: it must reach Odoo over HTTPS (or localhost). Pay otherwise."
                )
            );
        }
        const key = this.pos.models["vms.signing.key"]
            .getAll()
            .find((candidate) => candidate.kid === claims.kid);
        if (!key || key.state === "retired") {
            refuse(_t("Voucher %s is signed with a key this till does not know: reprint it.", code));
        }
        let valid = false;
        try {
            valid = claims.c === code && (await verifySignature(signed, key));
        } catch {
            valid = false;
        }
        if (!valid) {
            refuse(_t("The QR code of voucher %s does not verify: it was altered.", code));
        }
        const today = storeToday(terms.tz);
        if (!(terms.company_ids || []).includes(claims.co) || claims.cur !== order.currency.name) {
            refuse(_t("Voucher %s is not a voucher of this shop.", code));
        }
        if (claims.f && claims.f > today) {
            refuse(_t("Voucher %(code)s is valid from %(date)s.", { code, date: claims.f }));
        }
        if (claims.t && claims.t < today) {
            refuse(_t("Voucher %(code)s expired on %(date)s.", { code, date: claims.t }));
        }
        if (claims.vt !== "nominal") {
            refuse(_t("Discount voucher %s cannot be taken offline.", code));
        }
        if (claims.pin || pin) {
            refuse(_t("E-voucher %s needs its PIN checked by the server: not offline.", code));
        }
        if (claims.h) {
            refuse(
                _t(
                    "Voucher %s belongs to a customer, whose code (OTP) and identity only the server checks: not offline.",
                    code
                )
            );
        }
        if (claims.cb || claims.card) {
            const card = order.vms_card_id?.number;
            if (!card || card !== claims.card) {
                refuse(_t("Voucher %s is accepted only with its own club card.", code));
            }
        }
        let eligible = round(order.priceIncl);
        if (claims.sc === "item") {
            const products = claims.sp || [];
            eligible = round(
                order.lines
                    .filter((l) => products.includes(l.product_id.id))
                    .reduce((sum, l) => sum + l.priceIncl, 0)
            );
            if (eligible <= 0) {
                refuse(_t("Voucher %s pays for an item that is not on this bill.", code));
            }
        } else if (claims.sc && claims.sc !== "bill") {
            refuse(_t("Voucher %s pays for an item group, which only the server checks.", code));
        }
        if (claims.mb && round(order.priceIncl - claims.mb) < 0) {
            refuse(
                _t("Voucher %(code)s pays only bills of %(min)s or more.", {
                    code,
                    min: money(claims.mb),
                })
            );
        }
        const ledger = this.vmsLedger;
        const left = round(claims.b - ledger.spentOn(code, line.uuid));
        if (left <= 0) {
            refuse(
                _t(
                    "Voucher %s was already spent offline on this till: its balance is confirmed only when the server is back.",
                    code
                )
            );
        }
        const amount = round(Math.min(line.amount, eligible, left));
        if (amount <= 0) {
            refuse(_t("Nothing to pay with voucher %s.", code));
        }
        if (terms.otp_mandatory && claims.h && round(amount - terms.otp_min_amount) >= 0) {
            refuse(_t("This amount needs the customer's code (OTP): not offline."));
        }
        if (round(amount - (terms.max_voucher || 0)) > 0) {
            refuse(
                _t(
                    "Offline, a voucher pays at most %(max)s: enter at most %(max)s on the voucher line and send it again, or pay the rest otherwise.",
                    { max: money(terms.max_voucher || 0) }
                )
            );
        }
        const sessionLeft = round((terms.max_session || 0) - ledger.total(line.uuid));
        if (round(amount - sessionLeft) > 0) {
            refuse(
                _t(
                    "This till may take %(left)s more in vouchers offline this session (limit %(max)s). Pay otherwise.",
                    { left: money(Math.max(sessionLeft, 0)), max: money(terms.max_session || 0) }
                )
            );
        }
        return {
            amount,
            tender: {
                offline: true,
                pending: true,
                state: "pending",
                code,
                payload: signed.text,
                kid: claims.kid,
                amount,
                balance: claims.b,
                available: round(left - amount),
                accepted_at: new Date().toISOString(),
                next_attempt: (line.vms_tender?.next_attempt || 0) + 1,
            },
        };
    },

    async sendPaymentCancel(order, uuid) {
        const line = this.line(order, uuid);
        if (line?.vms_tender?.offline) {
            // Nothing is held on the server for it: only the till's ledger.
            this.vmsLedger.remove(uuid);
            return true;
        }
        return await super.sendPaymentCancel(...arguments);
    },
});
