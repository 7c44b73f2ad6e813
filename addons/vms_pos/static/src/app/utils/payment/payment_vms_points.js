import { _t } from "@web/core/l10n/translation";
import { register_payment_method } from "@point_of_sale/app/services/pos_store";
import { makeAwaitable } from "@point_of_sale/app/utils/make_awaitable_dialog";
import { PaymentVmsVoucher } from "@vms_pos/app/utils/payment/payment_vms_voucher";
import { VmsPointsPopup } from "@vms_pos/app/components/popups/vms_points_popup/vms_points_popup";

export const VMS_POINTS_TERMINAL = "vms_points";

export function isVmsPointsLine(line) {
    return line?.payment_method_id?.use_payment_terminal === VMS_POINTS_TERMINAL;
}

/**
 * The Loyalty Points tender (seed 003's "Loyalty Redemption"), on the
 * Voucher tender's mechanics: its routes, release on cancel or removal, the
 * OTP at the tender and the confirmation at the order's sync are the
 * voucher tender's own. With the order's customer or club card, the popup
 * shows the member's points and what they are worth; the request holds the
 * points paying the chosen amount (never more than the bill, no change).
 */
export class PaymentVmsPoints extends PaymentVmsVoucher {
    orderPayload(order) {
        const payload = super.orderPayload(order);
        // A refund says which line of the refunded order each of its lines gives back.
        payload.lines = payload.lines.map((line, index) => ({
            ...line,
            refunded_line_id: order.lines[index].refunded_orderline_id?.id || false,
        }));
        return payload;
    }

    async sendPaymentRequest(uuid) {
        const order = this.pos.getOrder();
        const line = this.line(order, uuid);
        if (!line) {
            return false;
        }
        if (order.isRefund || line.amount < 0) {
            return await this.requestPointsRefund(order, line);
        }
        const info = await this.pointsInfo(order);
        if (!info) {
            return false;
        }
        const choice = await makeAwaitable(this.env.services.dialog, VmsPointsPopup, {
            info,
            due: line.amount,
        });
        if (!choice) {
            return false;
        }
        return await this.requestPointsHold(order, line, choice.amount);
    }

    async pointsInfo(order) {
        const info = await this.call("points_info", { order: this.orderPayload(order) });
        if (!info.ok) {
            this.showError(info.error, _t("No points to pay with"));
            return false;
        }
        return info;
    }

    async requestPointsHold(order, line, amount) {
        const attempt = line.vms_tender?.next_attempt || 0;
        const response = await this.call("points_hold", {
            order: this.orderPayload(order),
            payment: { uuid: line.uuid, amount, attempt },
        });
        if (!response.ok) {
            if (!response.offline) {
                line.vms_tender = { next_attempt: attempt + 1 };
            }
            this.showError(response.error, _t("Points refused"));
            return false;
        }
        line.setAmount(response.amount);
        line.transaction_id = response.transaction_id;
        line.vms_tender = { ...response, ok: undefined, next_attempt: attempt + 1 };
        return true;
    }

    async requestPointsRefund(order, line) {
        const response = await this.call("points_refund", {
            order: this.orderPayload(order),
            payment: { uuid: line.uuid, amount: line.amount },
        });
        if (!response.ok) {
            this.showError(response.error, _t("No refund to points"));
            return false;
        }
        line.setAmount(response.amount);
        line.vms_tender = { ...response, ok: undefined };
        return true;
    }
}

register_payment_method(VMS_POINTS_TERMINAL, PaymentVmsPoints);
