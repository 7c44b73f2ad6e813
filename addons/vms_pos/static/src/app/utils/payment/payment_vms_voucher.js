import { _t } from "@web/core/l10n/translation";
import { rpc, ConnectionLostError } from "@web/core/network/rpc";
import { AlertDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { PaymentInterface } from "@point_of_sale/app/utils/payment/payment_interface";
import { register_payment_method } from "@point_of_sale/app/services/pos_store";
import { makeAwaitable } from "@point_of_sale/app/utils/make_awaitable_dialog";
import { VmsVoucherPopup } from "@vms_pos/app/components/popups/vms_voucher_popup/vms_voucher_popup";

export const VMS_TERMINAL = "vms_voucher";

export function isVmsVoucherLine(line) {
    return line?.payment_method_id?.use_payment_terminal === VMS_TERMINAL;
}

/**
 * The Voucher tender on Odoo's payment-terminal pattern.
 *
 * sendPaymentRequest asks the server to hold the amount for this order (the
 * engine validates the voucher against the order's lines, bill, customer and
 * card and caps the line at what the voucher may pay); the hold's id goes on
 * the line's transaction_id. Cancelling and removing the line release it;
 * the order's sync confirms it. Vouchers are never loaded into the till:
 * every code is looked up on the server.
 */
export class PaymentVmsVoucher extends PaymentInterface {
    setup() {
        super.setup(...arguments);
        // A code scanned on the product or payment screen, for the next request.
        this.scannedCode = null;
    }

    get fastPayments() {
        return true;
    }

    async call(action, params) {
        try {
            return await rpc(`/vms_pos/tender/${action}`, {
                payment_method_id: this.payment_method_id.id,
                session_id: this.pos.session.id,
                ...params,
            });
        } catch (error) {
            if (error instanceof ConnectionLostError) {
                return {
                    ok: false,
                    offline: true,
                    error: {
                        code: "offline",
                        message: _t(
                            "The voucher server cannot be reached: vouchers are checked and held by the server. Try again, or pay otherwise."
                        ),
                    },
                };
            }
            throw error;
        }
    }

    orderPayload(order) {
        return {
            uuid: order.uuid,
            reference: order.pos_reference || order.uuid,
            amount_total: order.currency.round(order.priceIncl),
            partner_id: order.partner_id?.id || false,
            card_id: order.vms_card_id?.id || false,
            lines: order.lines.map((line) => ({
                product_id: line.product_id.id,
                qty: line.qty,
                price_subtotal_incl: line.priceIncl,
            })),
            refunded_line_ids: order.lines
                .map((line) => line.refunded_orderline_id?.id)
                .filter(Boolean),
        };
    }

    showError(error, title = _t("Voucher refused")) {
        this.env.services.dialog.add(AlertDialog, {
            title,
            body: error?.message || _t("The voucher server refused the request."),
        });
    }

    line(order, uuid) {
        return order.payment_ids.find((payment) => payment.uuid === uuid);
    }

    async sendPaymentRequest(uuid) {
        super.sendPaymentRequest(uuid);
        const order = this.pos.getOrder();
        const line = this.line(order, uuid);
        if (!line) {
            return false;
        }
        if (order.isRefund || line.amount < 0) {
            return await this.requestRefund(order, line);
        }
        let code = this.scannedCode;
        this.scannedCode = null;
        let pin = null;
        if (!code) {
            const input = await this.askCode({});
            if (!input) {
                return false;
            }
            ({ code, pin } = input);
        }
        return await this.requestHold(order, line, code, pin);
    }

    async askCode({ code = "", error = "", askPin = false }) {
        return await makeAwaitable(this.env.services.dialog, VmsVoucherPopup, {
            title: _t("Pay with a voucher"),
            code,
            error,
            askPin,
        });
    }

    async requestHold(order, line, code, pin) {
        const attempt = line.vms_tender?.next_attempt || 0;
        const response = await this.call("hold", {
            order: this.orderPayload(order),
            payment: { uuid: line.uuid, amount: line.amount, attempt },
            code,
            pin,
        });
        if (!response.ok) {
            if (!response.offline) {
                line.vms_tender = { next_attempt: attempt + 1 };
            }
            const errorCode = response.error?.code;
            if (["pin_required", "wrong_pin"].includes(errorCode)) {
                // An e-voucher: ask for its PIN with the code already there.
                const input = await this.askCode({
                    code,
                    askPin: true,
                    error: errorCode === "wrong_pin" ? response.error.message : "",
                });
                return input ? await this.requestHold(order, line, input.code, input.pin) : false;
            }
            this.showError(response.error);
            return false;
        }
        line.setAmount(response.amount);
        line.transaction_id = response.transaction_id;
        line.vms_tender = { ...response, ok: undefined, next_attempt: attempt + 1 };
        if (order.currency.round(response.requested - response.amount) > 0) {
            this.env.services.notification.add(
                _t("Voucher %(code)s pays %(amount)s; %(balance)s left on it after this sale.", {
                    code: response.code,
                    amount: this.env.utils.formatCurrency(response.amount),
                    balance: this.env.utils.formatCurrency(response.available),
                }),
                { type: "info" }
            );
        }
        return true;
    }

    async requestRefund(order, line) {
        const taken = order.payment_ids
            .filter((other) => other !== line && isVmsVoucherLine(other) && other.transaction_id)
            .map((other) => ({ transaction_id: other.transaction_id, amount: other.amount }));
        const response = await this.call("refund", {
            order: this.orderPayload(order),
            payment: { uuid: line.uuid, amount: line.amount },
            taken,
        });
        if (!response.ok) {
            this.showError(response.error, _t("No refund to a voucher"));
            return false;
        }
        line.setAmount(response.amount);
        line.transaction_id = response.transaction_id;
        line.vms_tender = { ...response, ok: undefined, refund: true };
        return true;
    }

    async sendPaymentCancel(order, uuid) {
        super.sendPaymentCancel(order, uuid);
        await this.release(order, uuid);
        return true;
    }

    /**
     * Free the holds of a payment line (or of the whole order): the server
     * releases by the order's and the line's uuids, so an answer lost on the
     * way does not leave a hold behind.
     */
    async release(order, paymentUuid = null) {
        const response = await this.call("release", {
            order_uuid: order.uuid,
            payment_uuid: paymentUuid,
        });
        if (!response.ok) {
            this.env.services.notification.add(
                response.offline
                    ? _t(
                          "The voucher server cannot be reached: the voucher stays reserved until its hold expires."
                      )
                    : response.error.message,
                { type: "warning" }
            );
            return false;
        }
        return true;
    }

    async requestOtp(order, line) {
        return await this.call("otp_request", { order_uuid: order.uuid, payment_uuid: line.uuid });
    }

    async verifyOtp(order, line, otpId, otpCode) {
        return await this.call("otp_verify", {
            order_uuid: order.uuid,
            payment_uuid: line.uuid,
            otp_id: otpId,
            otp_code: otpCode,
        });
    }
}

register_payment_method(VMS_TERMINAL, PaymentVmsVoucher);
