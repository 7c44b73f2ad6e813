import { patch } from "@web/core/utils/patch";
import { PaymentScreenPaymentLines } from "@point_of_sale/app/screens/payment_screen/payment_lines/payment_lines";
import { makeAwaitable } from "@point_of_sale/app/utils/make_awaitable_dialog";
import { VmsOtpPopup } from "@vms_pos/app/components/popups/vms_otp_popup/vms_otp_popup";

patch(PaymentScreenPaymentLines.prototype, {
    vmsRemovable(line) {
        return line.isVmsLoyalty && line.payment_status === "done";
    },

    async vmsGenerateOtp(line) {
        const order = line.pos_order_id;
        const result = await makeAwaitable(this.dialog, VmsOtpPopup, {
            terminal: line.payment_method_id.payment_terminal,
            order,
            line,
        });
        if (result?.verified) {
            order.vmsApproveLines(result.payment_uuids);
        }
    },
});
