import { onMounted, onWillUnmount } from "@odoo/owl";
import { patch } from "@web/core/utils/patch";
import { PaymentScreen } from "@point_of_sale/app/screens/payment_screen/payment_screen";
import { useBarcodeReader } from "@point_of_sale/app/hooks/barcode_reader_hook";

patch(PaymentScreen.prototype, {
    setup() {
        super.setup(...arguments);
        useBarcodeReader({ vms_voucher: this._vmsOnScan });
        onMounted(() => {
            this.pos.vmsPaymentScreen = this;
            const method = this.pos.vmsVoucherMethod;
            if (method?.payment_terminal.scannedCode && !this.isRefundOrder) {
                this.addNewPaymentLine(method);
            }
        });
        onWillUnmount(() => {
            if (this.pos.vmsPaymentScreen === this) {
                this.pos.vmsPaymentScreen = null;
            }
        });
    },

    /**
     * As Odoo's, but an order whose voucher payment still waits on the
     * customer's code is not validated automatically when it is paid.
     */
    async sendPaymentRequest(line) {
        if (!line.isVmsLoyalty) {
            return await super.sendPaymentRequest(line);
        }
        this.pos.paymentTerminalInProgress = true;
        this.numberBuffer.capture();
        this.paymentLines.forEach((payment) => (payment.can_be_reversed = false));
        const isPaymentSuccessful = await line.pay();
        this.pos.paymentTerminalInProgress = false;
        const order = line.pos_order_id;
        if (
            isPaymentSuccessful &&
            order.isPaid() &&
            this.pos.config.auto_validate_terminal_payment &&
            !order.isRefundInProcess() &&
            !order.vmsOtpPendingLines.length
        ) {
            this.validateOrder(false);
        }
    },

    async _vmsOnScan(parsed) {
        await this.pos.vmsScan(parsed.code);
    },

    /**
     * Odoo cancels only lines still waiting on the terminal; a voucher line
     * already done holds part of the voucher, which removing it must free.
     */
    deletePaymentLine(uuid) {
        const line = this.paymentLines.find((payment) => payment.uuid === uuid);
        if (
            line?.isVmsLoyalty &&
            line.getPaymentStatus() === "done" &&
            line.transaction_id &&
            line.amount > 0
        ) {
            line.payment_method_id.payment_terminal
                .release(this.currentOrder, line.uuid)
                .then(() => {
                    this.currentOrder.removePaymentline(line);
                    this.numberBuffer.reset();
                });
            return;
        }
        if (line?.isVmsLoyalty && line.getPaymentStatus() === "done") {
            this.currentOrder.removePaymentline(line);
            this.numberBuffer.reset();
            return;
        }
        return super.deletePaymentLine(uuid);
    },
});
