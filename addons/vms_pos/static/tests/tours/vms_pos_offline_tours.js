/* global posmodel */
import * as Chrome from "@point_of_sale/../tests/pos/tours/utils/chrome_util";
import * as Dialog from "@point_of_sale/../tests/generic_helpers/dialog_util";
import * as OfflineUtil from "@point_of_sale/../tests/generic_helpers/offline_util";
import * as PaymentScreen from "@point_of_sale/../tests/pos/tours/utils/payment_screen_util";
import * as ProductScreen from "@point_of_sale/../tests/pos/tours/utils/product_screen_util";
import * as ReceiptScreen from "@point_of_sale/../tests/pos/tours/utils/receipt_screen_util";
import { registry } from "@web/core/registry";

// Fixed codes of the vouchers the Python side creates (valid check characters).
export const OFFLINE_CODES = {
    small: "VMSTFFLNSMALL2F",
    big: "VMSTFFLNBGGR22B",
    plain: "VMSTFFLNPLAN222",
};

function openRegister() {
    return [Chrome.startPoS(), Dialog.confirm("Open Register")].flat();
}

function offlinePayments() {
    return posmodel.models["pos.payment"].filter((payment) => payment.vms_tender?.offline);
}

function typeInPopup(text, content) {
    return [
        {
            content,
            trigger: ".modal .vms-voucher-popup input[name=vms_voucher_code]",
            async run(helpers) {
                await helpers.edit(typeof text === "function" ? text() : text);
            },
        },
        {
            trigger: ".modal .vms-voucher-popup input[name=vms_voucher_code]",
            run: "press Enter",
        },
    ];
}

function refusedWith(text) {
    return [
        { content: `refused: ${text}`, trigger: `.modal .modal-body:contains("${text}")` },
        Dialog.confirm(),
    ];
}

registry.category("web_tour.tours").add("vms_pos_offline_voucher", {
    steps: () =>
        [
            openRegister(),
            {
                content: "the printed QR codes of the vouchers (signed by the server)",
                trigger: "body",
                async run() {
                    const rows = await posmodel.data.orm.searchRead(
                        "vms.voucher",
                        [["code", "in", Object.values(OFFLINE_CODES)]],
                        ["code", "qr_payload"]
                    );
                    window.vmsQr = Object.fromEntries(rows.map((r) => [r.code, r.qr_payload]));
                },
            },
            OfflineUtil.setOfflineMode(),
            ProductScreen.addOrderline("Desk Pad", "1", "25"),
            ProductScreen.clickPayButton(),
            // A typed code proves nothing offline.
            PaymentScreen.clickPaymentMethod("Voucher"),
            typeInPopup(OFFLINE_CODES.plain, "a plain code, typed"),
            refusedWith("A typed code cannot be checked"),
            PaymentScreen.clickPaymentlineDelButton("Voucher", "25.00"),
            // A signed voucher of 30.00 for 25.00: over the offline limit of 20.00.
            PaymentScreen.clickPaymentMethod("Voucher"),
            typeInPopup(() => window.vmsQr[OFFLINE_CODES.big], "the QR of a voucher of 30.00"),
            refusedWith("a voucher pays at most"),
            PaymentScreen.clickPaymentlineDelButton("Voucher", "25.00"),
            // A signed voucher of 15.00: accepted offline, pending.
            PaymentScreen.clickPaymentMethod("Voucher"),
            typeInPopup(() => window.vmsQr[OFFLINE_CODES.small], "the QR of a voucher of 15.00"),
            PaymentScreen.selectedPaymentlineHas("Voucher", "15.00"),
            {
                content: "the line says it is pending",
                trigger: `.vms-voucher-line:contains("${OFFLINE_CODES.small}") .vms-voucher-offline:contains("pending confirmation")`,
            },
            PaymentScreen.remainingIs("10.00"),
            // The same balance twice on this till: refused.
            PaymentScreen.clickPaymentMethod("Voucher"),
            typeInPopup(() => window.vmsQr[OFFLINE_CODES.small], "the same QR again"),
            refusedWith("already spent offline on this till"),
            PaymentScreen.clickPaymentlineDelButton("Voucher", "10.00"),
            PaymentScreen.clickPaymentMethod("Cash"),
            PaymentScreen.remainingIs("0.0"),
            PaymentScreen.clickValidate(),
            ReceiptScreen.receiptIsThere(),
            {
                content: "the receipt marks the payment as offline, subject to confirmation",
                trigger: `.pos-receipt .vms-receipt-offline:contains("${OFFLINE_CODES.small}"):contains("subject to confirmation")`,
            },
            {
                content: "the redemption travels with its order, not synced",
                trigger: "body",
                run() {
                    const payments = offlinePayments();
                    if (payments.length !== 1 || payments[0].pos_order_id.isSynced) {
                        throw new Error("the offline payment should wait with its order");
                    }
                },
            },
            // The till reloads while the server still answers errors.
            OfflineUtil.setOnlineMode(),
            {
                content: "reload the till",
                trigger: "body",
                run: () => window.location.reload(),
                expectUnloadPage: true,
            },
            {
                content: "the till is back, the redemption still pending with its order",
                trigger: ".pos .pos-content",
                async run() {
                    const payments = offlinePayments();
                    if (payments.length !== 1 || payments[0].vms_tender.state !== "pending") {
                        throw new Error("the offline redemption did not survive the reload");
                    }
                    // The connection is back: the order's sync replays it.
                    await posmodel.syncAllOrders({
                        orders: [payments[0].pos_order_id],
                        force: true,
                        context: { vms_test_connection_back: true },
                    });
                },
            },
            {
                content: "confirmed by the server",
                trigger: "body",
                run() {
                    const payments = offlinePayments();
                    if (payments.length !== 1 || payments[0].vms_tender.state !== "confirmed") {
                        throw new Error("the offline redemption is not confirmed");
                    }
                },
            },
        ].flat(),
});
