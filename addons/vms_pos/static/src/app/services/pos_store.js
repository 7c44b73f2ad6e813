import { _t } from "@web/core/l10n/translation";
import { patch } from "@web/core/utils/patch";
import { AlertDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { PosStore } from "@point_of_sale/app/services/pos_store";
import { makeAwaitable } from "@point_of_sale/app/utils/make_awaitable_dialog";
import { NumberPopup } from "@point_of_sale/app/components/popups/number_popup/number_popup";
import { VmsCardPopup } from "@vms_pos/app/components/popups/vms_card_popup/vms_card_popup";
import { isVmsVoucherLine, VMS_TERMINAL } from "@vms_pos/app/utils/payment/payment_vms_voucher";

patch(PosStore.prototype, {
    get vmsVoucherMethod() {
        return this.config.payment_method_ids.find(
            (method) => method.use_payment_terminal === VMS_TERMINAL && method.payment_terminal
        );
    },

    /**
     * A scanned voucher code starts the voucher tender; a scanned club card
     * number sets the card (and its holder as the customer). Digits-only
     * codes may be either: the server says which.
     */
    async vmsScan(code) {
        const order = this.getOrder();
        if (!order) {
            return;
        }
        if (/^\d+$/.test(code) && (await this.vmsLookupCard(code, { quiet: true }))) {
            return;
        }
        const method = this.vmsVoucherMethod;
        if (!method) {
            this.notification.add(_t("This till takes no vouchers."), { type: "warning" });
            return;
        }
        if (!order.lines.length) {
            this.notification.add(_t("Add the items first, then scan the voucher."), {
                type: "warning",
            });
            return;
        }
        method.payment_terminal.scannedCode = code;
        if (this.router.state.current === "PaymentScreen") {
            this.vmsPaymentScreen?.addNewPaymentLine(method);
        } else {
            this.navigate("PaymentScreen", { orderUuid: order.uuid });
        }
    },

    async vmsLookupCard(number, { quiet = false } = {}) {
        let result;
        try {
            result = await this.data.callRelated(
                "vms.card",
                "vms_pos_lookup",
                [number, this.config.id],
                {},
                false
            );
        } catch (error) {
            if (quiet) {
                return false;
            }
            throw error;
        }
        const card = result?.["vms.card"]?.[0];
        if (!card) {
            if (!quiet) {
                this.notification.add(_t("No club card with number %s.", number), {
                    type: "warning",
                });
            }
            return false;
        }
        this.vmsSetCard(this.getOrder(), card);
        return true;
    },

    vmsSetCard(order, card) {
        order.vms_card_id = card || false;
        if (card?.partner_id && order.getPartner() !== card.partner_id) {
            order.setPartner(card.partner_id);
        }
        if (card) {
            this.notification.add(
                card.partner_id
                    ? _t("Club card %(number)s of %(holder)s", {
                          number: card.number,
                          holder: card.partner_id.name,
                      })
                    : _t("Club card %s (no holder yet)", card.number),
                { type: "success" }
            );
        }
    },

    async vmsSelectCard() {
        const order = this.getOrder();
        const choice = await makeAwaitable(this.dialog, VmsCardPopup, { order });
        if (!choice) {
            return;
        }
        if (choice.remove) {
            order.vms_card_id = false;
        } else if (choice.card) {
            this.vmsSetCard(order, choice.card);
        } else if (choice.number) {
            await this.vmsLookupCard(choice.number);
        }
    },

    vmsSoldVoucherCount(order) {
        return order.lines
            .filter((line) => line.product_id.product_tmpl_id.vms_gift_voucher && line.qty > 0)
            .reduce((count, line) => count + line.qty, 0);
    },

    /** A gift voucher is sold for the amount the cashier enters. */
    async addLineToOrder(vals, order, opts = {}, configure = true) {
        let template = vals.product_tmpl_id;
        if (typeof template === "number") {
            template = this.data.models["product.template"].get(template);
        }
        if (template?.vms_gift_voucher && !("price_unit" in vals) && configure) {
            const limit = this.company.vms_max_vouchers_per_bill;
            if (limit && this.vmsSoldVoucherCount(order) >= limit) {
                this.dialog.add(AlertDialog, {
                    title: _t("Too many vouchers on one bill"),
                    body: _t(
                        "At most %s vouchers are printed on one bill: sell this one on another bill.",
                        limit
                    ),
                });
                return;
            }
            const value = await makeAwaitable(this.dialog, NumberPopup, {
                title: _t("Gift voucher amount"),
                startingValue: "",
                formatDisplayedValue: (x) => `${this.currency.symbol} ${x}`,
            });
            const amount = parseFloat(value);
            if (!value || !(amount > 0)) {
                return;
            }
            return await super.addLineToOrder(
                // Sold without tax: the tax is due when the voucher pays for goods.
                { ...vals, price_unit: amount, tax_ids: [] },
                order,
                opts,
                configure
            );
        }
        return await super.addLineToOrder(vals, order, opts, configure);
    },

    /** Deleting an order releases what its voucher lines held. */
    async _onBeforeDeleteOrder(order) {
        const held = order.payment_ids.filter(
            (line) => isVmsVoucherLine(line) && line.transaction_id && line.amount > 0
        );
        if (held.length) {
            await held[0].payment_method_id.payment_terminal.release(order);
        }
        return await super._onBeforeDeleteOrder(order);
    },

    /** What the sync had to say about the order's vouchers. */
    async postSyncAllOrders(orders) {
        await super.postSyncAllOrders(orders);
        for (const order of orders || []) {
            if (order.vms_note && order.state !== "draft" && !order.uiState?.vmsNoteShown) {
                order.uiState.vmsNoteShown = true;
                this.dialog.add(AlertDialog, {
                    title: _t("Vouchers"),
                    body: order.vms_note,
                });
            }
        }
    },
});
