/* global posmodel */
import * as Chrome from "@point_of_sale/../tests/pos/tours/utils/chrome_util";
import * as Dialog from "@point_of_sale/../tests/generic_helpers/dialog_util";
import * as PaymentScreen from "@point_of_sale/../tests/pos/tours/utils/payment_screen_util";
import * as ProductScreen from "@point_of_sale/../tests/pos/tours/utils/product_screen_util";
import * as ReceiptScreen from "@point_of_sale/../tests/pos/tours/utils/receipt_screen_util";
import { inLeftSide } from "@point_of_sale/../tests/pos/tours/utils/common";
import { registry } from "@web/core/registry";

/**
 * Press the trigger of the simulated scanner of the till's vms-hw-proxy. The
 * barcode then travels the way a real scan does: the proxy queues it and the
 * POS's own long poll on /hw_proxy/scanner picks it up.
 */
function scanOnProxyScanner(barcode) {
    return {
        content: `scan ${barcode} on the proxy's simulated scanner`,
        trigger: ".pos .product-screen",
        run: async () => {
            const response = await fetch(`${posmodel.hardwareProxy.host}/vms/sim/scan`, {
                method: "POST",
                headers: { "Content-Type": "application/json" },
                body: JSON.stringify({ barcode }),
            });
            if (!response.ok) {
                throw new Error(`the proxy refused the simulated scan: ${response.status}`);
            }
        },
    };
}

registry.category("web_tour.tours").add("vms_hw_proxy_print_drawer_scan", {
    steps: () =>
        [
            Chrome.startPoS(),
            Dialog.confirm("Open Register"),
            Chrome.clickMenuButton(),
            {
                content: "the till is connected to its proxy, printer and scanner online",
                trigger: ".js_proxy .js_connected",
            },
            Chrome.clickMenuButton(),
            scanOnProxyScanner("5901234123457"),
            inLeftSide(ProductScreen.orderLineHas("Proxy Scan Mug", "1")),
            ProductScreen.totalAmountIs("4.20"),
            ProductScreen.clickPayButton(),
            PaymentScreen.clickPaymentMethod("Cash"),
            PaymentScreen.remainingIs("0.0"),
            PaymentScreen.clickValidate(),
            ReceiptScreen.receiptIsThere(),
            {
                content: "print the receipt on the proxy's printer",
                trigger: ".receipt-screen .button.print:contains(Print Full Receipt)",
                run: "click",
            },
            {
                content: "the proxy accepted the receipt (no printing error shown)",
                trigger:
                    ".receipt-screen .button.print:contains(Print Full Receipt) .fa-print",
            },
            Dialog.isNot(),
            ReceiptScreen.clickNextOrder(),
            ProductScreen.isShown(),
        ].flat(),
});
