import { patch } from "@web/core/utils/patch";
import { PosPayment } from "@point_of_sale/app/models/pos_payment";
import { isVmsVoucherLine } from "@vms_pos/app/utils/payment/payment_vms_voucher";
import { isVmsPointsLine } from "@vms_pos/app/utils/payment/payment_vms_points";

patch(PosPayment.prototype, {
    get isVmsVoucher() {
        return isVmsVoucherLine(this);
    },

    get isVmsPoints() {
        return isVmsPointsLine(this);
    },

    /** Paid by a loyalty tender (a voucher or club points): a hold at the server. */
    get isVmsLoyalty() {
        return this.isVmsVoucher || this.isVmsPoints;
    },

    /**
     * The voucher's (or the points') holder must approve this payment with
     * the OTP first: the minimum is for all that the holder's loyalty tenders
     * pay on the order (the server decides which payments one code approves).
     */
    get vmsNeedsOtp() {
        const tender = this.vms_tender;
        if (!this.isVmsLoyalty || !tender?.holder_key || !tender.otp?.mandatory || this.amount <= 0) {
            return false;
        }
        if (tender.otp.verified) {
            return false;
        }
        const total = this.pos_order_id.payment_ids
            .filter(
                (line) =>
                    line.isVmsLoyalty &&
                    line.amount > 0 &&
                    line.vms_tender?.holder_key === tender.holder_key
            )
            .reduce((sum, line) => sum + line.amount, 0);
        return this.pos_order_id.currency.round(total - tender.otp.min_amount) >= 0;
    },

    get vmsOtpVerified() {
        return this.isVmsLoyalty && Boolean(this.vms_tender?.otp?.verified);
    },
});
