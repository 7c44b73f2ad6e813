import { patch } from "@web/core/utils/patch";
import { PosOrder } from "@point_of_sale/app/models/pos_order";

patch(PosOrder.prototype, {
    get vmsOtpPendingLines() {
        return this.payment_ids.filter((line) => line.vmsNeedsOtp);
    },

    /** Mark the holder's voucher lines approved by a verified OTP. */
    vmsApproveHolder(holderKey, covered) {
        for (const line of this.payment_ids) {
            if (line.isVmsVoucher && line.vms_tender?.holder_key === holderKey) {
                line.vms_tender = {
                    ...line.vms_tender,
                    otp: { ...line.vms_tender.otp, covered },
                };
            }
        }
    },
});
