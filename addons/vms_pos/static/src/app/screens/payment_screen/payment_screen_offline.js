import { patch } from "@web/core/utils/patch";
import { PaymentScreen } from "@point_of_sale/app/screens/payment_screen/payment_screen";

patch(PaymentScreen.prototype, {
    /** A voucher line taken offline leaves the till's offline ledger with it. */
    deletePaymentLine(uuid) {
        const line = this.paymentLines.find((payment) => payment.uuid === uuid);
        if (line?.isVmsVoucher && line.vms_tender?.offline) {
            line.payment_method_id.payment_terminal?.vmsLedger.remove(uuid);
        }
        return super.deletePaymentLine(uuid);
    },
});
