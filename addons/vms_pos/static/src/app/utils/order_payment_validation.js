import { _t } from "@web/core/l10n/translation";
import { patch } from "@web/core/utils/patch";
import { AlertDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import OrderPaymentValidation from "@point_of_sale/app/utils/order_payment_validation";

patch(OrderPaymentValidation.prototype, {
    /** An order with a voucher payment its holder did not approve yet is not valid. */
    async isOrderValid(isForceValidate) {
        if (this.order.vmsOtpPendingLines.length) {
            this.pos.dialog.add(AlertDialog, {
                title: _t("Customer's code needed"),
                body: _t(
                    "A voucher payment needs the code sent to the holder's mobile: use Generate OTP on the voucher line first."
                ),
            });
            return false;
        }
        return await super.isOrderValid(isForceValidate);
    },
});
