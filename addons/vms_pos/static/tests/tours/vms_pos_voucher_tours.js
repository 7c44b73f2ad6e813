/* global posmodel */
import * as Chrome from "@point_of_sale/../tests/pos/tours/utils/chrome_util";
import * as Dialog from "@point_of_sale/../tests/generic_helpers/dialog_util";
import * as NumberPopup from "@point_of_sale/../tests/generic_helpers/number_popup_util";
import * as PaymentScreen from "@point_of_sale/../tests/pos/tours/utils/payment_screen_util";
import * as ProductScreen from "@point_of_sale/../tests/pos/tours/utils/product_screen_util";
import * as ReceiptScreen from "@point_of_sale/../tests/pos/tours/utils/receipt_screen_util";
import { scan_barcode } from "@point_of_sale/../tests/generic_helpers/utils";
import { registry } from "@web/core/registry";

// Fixed codes of the vouchers the Python side creates (valid check characters).
export const CODES = {
    cash: "VMSTVRPAYCASH26",
    blocked: "VMSTVRBLKD2222G",
    expired: "VMSTVREXPRD222F",
    store: "VMSTVRSTRE2222B",
    holder: "VMSTVRHLDR2222P",
};
const HOLDER_CARD = "2900000020023";

function typeVoucher(code) {
    return [
        {
            content: "the voucher popup asks for the code",
            trigger: ".modal .vms-voucher-popup input[name=vms_voucher_code]",
            run: `edit ${code}`,
        },
        {
            content: "Enter confirms",
            trigger: ".modal .vms-voucher-popup input[name=vms_voucher_code]",
            run: "press Enter",
        },
    ];
}

function refusedWith(text) {
    return [
        {
            content: `refused: ${text}`,
            trigger: `.modal .modal-body:contains("${text}")`,
        },
        Dialog.confirm(),
    ];
}

function voucherLineHas(code, left) {
    return [
        {
            content: `voucher ${code} on the payment line`,
            trigger: `.vms-voucher-line .vms-voucher-code:contains("${code}")`,
        },
        {
            content: `${left} left on it`,
            trigger: `.vms-voucher-line .vms-voucher-balance:contains("${left}")`,
        },
    ];
}

function openRegister() {
    return [Chrome.startPoS(), Dialog.confirm("Open Register")].flat();
}

registry.category("web_tour.tours").add("vms_pos_voucher_and_cash", {
    steps: () =>
        [
            openRegister(),
            ProductScreen.addOrderline("Desk Pad", "5", "10"),
            ProductScreen.totalAmountIs("50.00"),
            // Scanned on the product screen: the voucher tender starts, the
            // line is capped at the voucher's 30.00.
            scan_barcode(CODES.cash),
            PaymentScreen.isShown(),
            PaymentScreen.selectedPaymentlineHas("Voucher", "30.00"),
            voucherLineHas(CODES.cash, "0.00"),
            PaymentScreen.remainingIs("20.00"),
            // Removing the done voucher line frees what it held ...
            PaymentScreen.clickPaymentlineDelButton("Voucher", "30.00"),
            PaymentScreen.emptyPaymentlines("50.00"),
            // ... so scanning it again on the payment screen gets all 30.00 again.
            scan_barcode(CODES.cash),
            PaymentScreen.selectedPaymentlineHas("Voucher", "30.00"),
            PaymentScreen.clickPaymentMethod("Cash"),
            PaymentScreen.remainingIs("0.0"),
            PaymentScreen.clickValidate(),
            ReceiptScreen.receiptIsThere(),
            ReceiptScreen.paymentLineContains("Voucher", "30.00"),
            ReceiptScreen.paymentLineContains("Cash", "20.00"),
            {
                content: "the receipt says what is left on the voucher",
                trigger: `.pos-receipt .vms-receipt-payments:contains("${CODES.cash}"):contains("0.00")`,
            },
            ReceiptScreen.clickNextOrder(),
        ].flat(),
});

registry.category("web_tour.tours").add("vms_pos_voucher_refusals", {
    steps: () =>
        [
            openRegister(),
            ProductScreen.addOrderline("Desk Pad", "1", "20"),
            ProductScreen.clickPayButton(),
            PaymentScreen.clickPaymentMethod("Voucher"),
            typeVoucher(CODES.blocked),
            refusedWith("is Blocked"),
            PaymentScreen.clickPaymentlineDelButton("Voucher", "20.00"),
            PaymentScreen.clickPaymentMethod("Voucher"),
            typeVoucher(CODES.expired),
            refusedWith("expired on"),
            PaymentScreen.clickPaymentlineDelButton("Voucher", "20.00"),
            PaymentScreen.clickPaymentMethod("Voucher"),
            typeVoucher(CODES.store),
            refusedWith("No voucher with code"),
            PaymentScreen.clickPaymentlineDelButton("Voucher", "20.00"),
            PaymentScreen.clickPaymentMethod("Cash"),
            PaymentScreen.clickValidate(),
            ReceiptScreen.receiptIsThere(),
        ].flat(),
});

registry.category("web_tour.tours").add("vms_pos_voucher_otp", {
    steps: () =>
        [
            openRegister(),
            ProductScreen.addOrderline("Desk Pad", "8", "10"),
            // The holder's club card sets the customer.
            scan_barcode(HOLDER_CARD),
            {
                content: "the card is on the order",
                trigger: `.vms-card-button:contains("${HOLDER_CARD}")`,
            },
            ProductScreen.clickPayButton(),
            PaymentScreen.clickPaymentMethod("Voucher"),
            typeVoucher(CODES.holder),
            PaymentScreen.selectedPaymentlineHas("Voucher", "80.00"),
            {
                content: "the payment line waits on the customer's code",
                trigger: ".vms-voucher-line .vms-generate-otp",
            },
            PaymentScreen.clickValidate(),
            {
                content: "no validation without the code",
                trigger: '.modal .modal-body:contains("Generate OTP")',
            },
            Dialog.confirm(),
            {
                content: "Generate OTP",
                trigger: ".vms-voucher-line .vms-generate-otp",
                run: "click",
            },
            {
                content: "the code went to the holder's mobile",
                trigger: ".modal .vms-otp-popup .vms-otp-phone:contains('+14')",
            },
            {
                content: "a resend countdown runs",
                trigger: ".modal .vms-otp-resend:contains('Resend in')",
            },
            {
                content: "a wrong code",
                trigger: ".modal input[name=vms_otp_code]",
                run: "edit 000000",
            },
            {
                trigger: ".modal input[name=vms_otp_code]",
                run: "press Enter",
            },
            {
                content: "is refused with the attempts left",
                trigger: ".modal .vms-otp-error:contains('Wrong code')",
            },
            {
                content: "the right code",
                trigger: ".modal input[name=vms_otp_code]",
                run: "edit 424242",
            },
            {
                trigger: ".modal .vms-otp-confirm:not([disabled])",
                run: "click",
            },
            {
                content: "the line is approved",
                trigger: ".vms-voucher-line .vms-otp-verified",
            },
            PaymentScreen.clickValidate(),
            ReceiptScreen.receiptIsThere(),
            ReceiptScreen.clickNextOrder(),
        ].flat(),
});

registry.category("web_tour.tours").add("vms_pos_gift_vouchers", {
    steps: () =>
        [
            openRegister(),
            // Sell a gift voucher for the amount the cashier enters.
            ProductScreen.clickDisplayedProduct("Gift Voucher"),
            NumberPopup.enterValue("40"),
            Dialog.confirm(),
            ProductScreen.totalAmountIs("40.00"),
            ProductScreen.clickPayButton(),
            PaymentScreen.clickPaymentMethod("Cash"),
            PaymentScreen.clickValidate(),
            ReceiptScreen.receiptIsThere(),
            {
                content: "the sold voucher is printed on the receipt with its barcode",
                trigger: ".pos-receipt .vms-receipt-voucher:contains('GIFT VOUCHER') img.vms-voucher-symbol",
            },
            {
                content: "with its nominal and validity",
                trigger: ".pos-receipt .vms-receipt-voucher:contains('40.00'):contains('until')",
                run() {
                    const code = document.querySelector(".pos-receipt .vms-receipt-voucher .vms-voucher-code");
                    window.vmsSoldCode = code.textContent.trim();
                },
            },
            ReceiptScreen.clickNextOrder(),
            // The next customer pays with it.
            ProductScreen.addOrderline("Desk Pad", "3", "10"),
            ProductScreen.clickPayButton(),
            PaymentScreen.clickPaymentMethod("Voucher"),
            {
                content: "type the code printed on the last receipt",
                trigger: ".modal .vms-voucher-popup input[name=vms_voucher_code]",
                async run(helpers) {
                    await helpers.edit(window.vmsSoldCode);
                },
            },
            {
                trigger: ".modal .vms-voucher-popup input[name=vms_voucher_code]",
                run: "press Enter",
            },
            // The voucher pays it all: the tender validates the order at once.
            ReceiptScreen.receiptIsThere(),
            ReceiptScreen.paymentLineContains("Voucher", "30.00"),
            {
                content: "10.00 left on the sold voucher",
                trigger: ".pos-receipt .vms-receipt-payments:contains('10.00')",
            },
            ReceiptScreen.clickNextOrder(),
            // A bill over the threshold earns a gift voucher, printed on its receipt.
            ProductScreen.addOrderline("Desk Pad", "12", "10"),
            ProductScreen.clickPayButton(),
            PaymentScreen.clickPaymentMethod("Cash"),
            PaymentScreen.clickValidate(),
            ReceiptScreen.receiptIsThere(),
            {
                content: "the earned voucher with the campaign's bill text",
                trigger:
                    ".pos-receipt .vms-receipt-voucher:contains('Your voucher for the next visit'):contains('10.00') img.vms-voucher-symbol",
            },
            {
                content: "the session knows the order",
                trigger: "body",
                run() {
                    if (!posmodel.getOrder()) {
                        throw new Error("no current order");
                    }
                },
            },
            ReceiptScreen.clickNextOrder(),
        ].flat(),
});
