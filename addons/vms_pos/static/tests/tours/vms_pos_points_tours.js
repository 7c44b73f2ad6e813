import * as Chrome from "@point_of_sale/../tests/pos/tours/utils/chrome_util";
import * as Dialog from "@point_of_sale/../tests/generic_helpers/dialog_util";
import * as NumberPopup from "@point_of_sale/../tests/generic_helpers/number_popup_util";
import * as PaymentScreen from "@point_of_sale/../tests/pos/tours/utils/payment_screen_util";
import * as ProductScreen from "@point_of_sale/../tests/pos/tours/utils/product_screen_util";
import * as ReceiptScreen from "@point_of_sale/../tests/pos/tours/utils/receipt_screen_util";
import { scan_barcode } from "@point_of_sale/../tests/generic_helpers/utils";
import { registry } from "@web/core/registry";

const HOLDER_CARD = "2900000020023";

function openRegister() {
    return [Chrome.startPoS(), Dialog.confirm("Open Register")].flat();
}

/** Ask the test (VMS_SCREENSHOTS set) to photograph the till as it is now. */
function screenshot(name) {
    return [
        {
            content: `screenshot ${name}`,
            trigger: "body",
            run() {
                console.log(`vms-screenshot ${name}`);
            },
        },
        {
            content: "let the screenshot be taken",
            trigger: "body",
            async run() {
                await new Promise((resolve) => setTimeout(resolve, 600));
            },
        },
    ];
}

/** The receipt, once the order's sync answered (a loaded machine may take a while). */
function receiptShown() {
    return {
        content: "the receipt, after the sync",
        trigger: ".receipt-screen .pos-receipt",
        timeout: 30000,
    };
}

function scanCard() {
    return [
        scan_barcode(HOLDER_CARD),
        {
            content: "the card is on the order",
            trigger: `.vms-card-button:contains("${HOLDER_CARD}")`,
        },
    ].flat();
}

registry.category("web_tour.tours").add("vms_pos_points_and_cash_otp", {
    steps: () =>
        [
            openRegister(),
            ProductScreen.addOrderline("Desk Pad", "8", "10"),
            scanCard(),
            ProductScreen.clickPayButton(),
            PaymentScreen.clickPaymentMethod("Loyalty Points"),
            {
                content: "the popup shows the member's points and their value",
                trigger: ".modal .vms-points-popup .vms-points-balance:contains('500')",
            },
            {
                trigger: ".modal .vms-points-popup .vms-points-value:contains('50.00')",
            },
            {
                content: "pay 40.00 of the 80.00 with points",
                trigger: ".modal .vms-points-popup input[name=vms_points_amount]",
                run: "edit 40",
            },
            {
                content: "that is 400 points",
                trigger: ".modal .vms-points-popup .vms-points-spent:contains('400')",
            },
            screenshot("pos_points_tender_popup"),
            {
                trigger: ".modal .vms-points-popup input[name=vms_points_amount]",
                run: "press Enter",
            },
            PaymentScreen.selectedPaymentlineHas("Loyalty Points", "40.00"),
            {
                content: "the line says what is left",
                trigger: ".vms-points-line .vms-points-left:contains('100 points')",
            },
            PaymentScreen.remainingIs("40.00"),
            {
                content: "40.00 of points needs the member's code",
                trigger: ".vms-points-line .vms-generate-otp",
            },
            PaymentScreen.clickPaymentMethod("Cash"),
            PaymentScreen.remainingIs("0.0"),
            PaymentScreen.clickValidate(),
            {
                content: "no validation without the code",
                trigger: '.modal .modal-body:contains("Generate OTP")',
            },
            Dialog.confirm(),
            {
                content: "Generate OTP",
                trigger: ".vms-points-line .vms-generate-otp",
                run: "click",
            },
            {
                content: "the code went to the member's mobile",
                trigger: ".modal .vms-otp-popup .vms-otp-phone:contains('+14')",
            },
            {
                trigger: ".modal input[name=vms_otp_code]",
                run: "edit 424242",
            },
            {
                trigger: ".modal .vms-otp-confirm:not([disabled])",
                run: "click",
            },
            {
                content: "the points line is approved",
                trigger: ".vms-points-line .vms-otp-verified",
            },
            PaymentScreen.clickValidate(),
            receiptShown(),
            ReceiptScreen.paymentLineContains("Loyalty Points", "40.00"),
            ReceiptScreen.paymentLineContains("Cash", "40.00"),
            {
                content: "the receipt says the points paid",
                trigger: ".pos-receipt .vms-receipt-points-paid:contains('400')",
            },
            {
                content: "the points earned on the cash part",
                trigger: ".pos-receipt .vms-receipt-points-earned:contains('40')",
            },
            {
                content: "and the new balance: 500 - 400 + 40",
                trigger: ".pos-receipt .vms-receipt-points-balance:contains('140')",
            },
            {
                content: "and the next expiry",
                trigger: ".pos-receipt .vms-receipt-points-expiry",
            },
            screenshot("pos_receipt_points"),
            ReceiptScreen.clickNextOrder(),
        ].flat(),
});

registry.category("web_tour.tours").add("vms_pos_points_convert", {
    steps: () =>
        [
            openRegister(),
            ProductScreen.addOrderline("Desk Pad", "2", "10"),
            scanCard(),
            {
                content: "points to a voucher, on the cashier's request",
                trigger: ".vms-convert-points-button",
                run: "click",
            },
            {
                content: "the popup says the points free",
                trigger: ".modal:contains('500 points free')",
            },
            NumberPopup.enterValue("200"),
            Dialog.confirm(),
            {
                content: "the voucher is issued",
                trigger: ".o_notification:contains('issued for 200 points')",
                timeout: 20000,
            },
            ProductScreen.clickPayButton(),
            PaymentScreen.clickPaymentMethod("Cash"),
            PaymentScreen.clickValidate(),
            receiptShown(),
            {
                content: "the voucher bought with points is printed with its barcode",
                trigger:
                    ".pos-receipt .vms-receipt-voucher:contains('Points to Voucher'):contains('20.00') img.vms-voucher-symbol",
            },
            {
                content: "the balance after the conversion and the bill's points: 500 - 200 + 20",
                trigger: ".pos-receipt .vms-receipt-points-balance:contains('320')",
            },
            ReceiptScreen.clickNextOrder(),
        ].flat(),
});
