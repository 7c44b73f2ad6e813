import { patch } from "@web/core/utils/patch";
import { ProductScreen } from "@point_of_sale/app/screens/product_screen/product_screen";
import { useBarcodeReader } from "@point_of_sale/app/hooks/barcode_reader_hook";

patch(ProductScreen.prototype, {
    setup() {
        super.setup(...arguments);
        useBarcodeReader({ vms_voucher: this._vmsOnScan });
    },

    async _vmsOnScan(parsed) {
        await this.pos.vmsScan(parsed.code);
    },
});
