import { patch } from "@web/core/utils/patch";
import { PosPayment } from "@point_of_sale/app/models/pos_payment";
import { isVmsVoucherLine } from "@vms_pos/app/utils/payment/payment_vms_voucher";

patch(PosPayment.prototype, {
    get isVmsVoucher() {
        return isVmsVoucherLine(this);
    },

    /** The voucher's holder must approve this payment with the OTP first. */
    get vmsNeedsOtp() {
        const tender = this.vms_tender;
        if (!this.isVmsVoucher || !tender?.holder_key || !tender.otp?.mandatory || this.amount <= 0) {
            return false;
        }
        // The minimum applies to all that this holder's vouchers pay on the order.
        const lines = this.pos_order_id.payment_ids.filter(
            (line) =>
                line.isVmsVoucher && line.amount > 0 && line.vms_tender?.holder_key === tender.holder_key
        );
        const total = lines.reduce((sum, line) => sum + line.amount, 0);
        const currency = this.pos_order_id.currency;
        if (currency.round(total - tender.otp.min_amount) < 0) {
            return false;
        }
        const covered = Math.max(...lines.map((line) => line.vms_tender?.otp?.covered || 0));
        return currency.round(total - covered) > 0;
    },

    get vmsOtpVerified() {
        return this.isVmsVoucher && Boolean(this.vms_tender?.otp?.covered) && !this.vmsNeedsOtp;
    },
});
