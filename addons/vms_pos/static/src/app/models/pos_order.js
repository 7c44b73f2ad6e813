import { patch } from "@web/core/utils/patch";
import { PosOrder } from "@point_of_sale/app/models/pos_order";

patch(PosOrder.prototype, {
    get vmsOtpPendingLines() {
        return this.payment_ids.filter((line) => line.vmsNeedsOtp);
    },

    /** Mark the voucher lines a verified OTP approves. */
    vmsApproveLines(paymentUuids) {
        for (const line of this.payment_ids) {
            if (line.isVmsLoyalty && paymentUuids.includes(line.uuid)) {
                line.vms_tender = {
                    ...line.vms_tender,
                    otp: { ...line.vms_tender.otp, verified: true },
                };
            }
        }
    },
});
