import { _t } from "@web/core/l10n/translation";
import { patch } from "@web/core/utils/patch";
import { AlertDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { PosStore } from "@point_of_sale/app/services/pos_store";
import { makeAwaitable } from "@point_of_sale/app/utils/make_awaitable_dialog";
import { NumberPopup } from "@point_of_sale/app/components/popups/number_popup/number_popup";
import { uuidv4 } from "@point_of_sale/utils";
import { VmsOtpPopup } from "@vms_pos/app/components/popups/vms_otp_popup/vms_otp_popup";
import {
    isVmsPointsLine,
    VMS_POINTS_TERMINAL,
} from "@vms_pos/app/utils/payment/payment_vms_points";

patch(PosStore.prototype, {
    get vmsPointsMethod() {
        return this.config.payment_method_ids.find(
            (method) => method.use_payment_terminal === VMS_POINTS_TERMINAL && method.payment_terminal
        );
    },

    /**
     * Points to a voucher on the cashier's request: the engine debits the
     * points and issues an active voucher in one transaction (with the
     * member's code when the rules ask for it); the voucher is printed on
     * this order's receipt.
     */
    async vmsConvertPoints() {
        const order = this.getOrder();
        const terminal = this.vmsPointsMethod?.payment_terminal;
        if (!order || !terminal) {
            return;
        }
        const info = await terminal.pointsInfo(order);
        if (!info) {
            return;
        }
        const decimals = info.points_decimals || 0;
        const value = await makeAwaitable(this.dialog, NumberPopup, {
            title: _t("Points to a voucher"),
            subtitle: _t("%(member)s: %(points)s points free, worth %(value)s", {
                member: info.member,
                points: (info.points_free || 0).toFixed(decimals),
                value: this.env.utils.formatCurrency(info.value_free || 0),
            }),
            startingValue: "",
            placeholder: _t("Points"),
        });
        const points = parseFloat(value);
        if (!value || !(points > 0)) {
            return;
        }
        const params = { order: terminal.orderPayload(order), points, request: uuidv4() };
        let response = await terminal.call("points_convert", params);
        if (!response.ok && response.error?.code === "otp_required") {
            // The member approves with the code sent to their mobile, as at the tender.
            const approval = {
                requestOtp: () => terminal.call("points_convert_otp", params),
                verifyOtp: (_order, _line, otpId, otpCode) =>
                    terminal.call("points_convert_verify", {
                        ...params,
                        otp_id: otpId,
                        otp_code: otpCode,
                    }),
            };
            const result = await makeAwaitable(this.dialog, VmsOtpPopup, {
                terminal: approval,
                order,
                line: {},
            });
            if (!result?.verified) {
                return;
            }
            response = await terminal.call("points_convert", { ...params, otp_id: result.otp_id });
        }
        if (!response.ok) {
            this.dialog.add(AlertDialog, {
                title: _t("No voucher for points"),
                body: response.error?.message || _t("The server refused the conversion."),
            });
            return;
        }
        order.uiState.vmsConverted = [...(order.uiState.vmsConverted || []), response];
        this.notification.add(
            _t("Voucher %(code)s of %(amount)s issued for %(points)s points: it is printed on this order's receipt.", {
                code: response.voucher_code,
                amount: this.env.utils.formatCurrency(response.voucher_amount),
                points: response.points,
            }),
            { type: "success" }
        );
    },

    /** Deleting an order releases what its points lines held too. */
    async _onBeforeDeleteOrder(order) {
        const held = order.payment_ids.filter(
            (line) => isVmsPointsLine(line) && line.transaction_id && line.amount > 0
        );
        if (held.length && !order.payment_ids.some((line) => line.isVmsVoucher && line.transaction_id)) {
            await held[0].payment_method_id.payment_terminal.release(order);
        }
        return await super._onBeforeDeleteOrder(order);
    },
});
