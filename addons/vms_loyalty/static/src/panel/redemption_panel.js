import { Component, onWillStart, useRef, useState } from "@odoo/owl";
import { scanBarcode } from "@web/core/barcode/barcode_dialog";
import { isBarcodeScannerSupported } from "@web/core/barcode/barcode_video_scanner";
import { _t } from "@web/core/l10n/translation";
import { rpc } from "@web/core/network/rpc";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";

/** A key for one redemption or one press of Confirm (retries resend it). */
function newKey() {
    const bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * What the panel shows before a code is scanned: the state it starts with, and
 * the one "Next customer", "Back", a cancel or another store go back to (the
 * store, the points mode and today's records stay as they are).
 */
function scanScreen() {
    return {
        screen: "scan", // scan | found | otp | success | error
        text: "",
        pin: "",
        card: "",
        found: null,
        amount: "",
        points: "",
        remarks: "",
        rewardId: false,
        otp: null,
        otpCode: "",
        pending: null,
        result: null,
        error: null,
        chronology: [],
    };
}

/**
 * The redemption panel of a store user, on a tablet or a phone at a branch:
 * scan (camera), upload (photo or screenshot of a QR code) or type a code;
 * see what it is; confirm an amount, points or a reward with receipt
 * remarks (and the customer's OTP when asked); see the result and the
 * store's records. Every decision is the server's (the redemption engine).
 */
export class RedemptionPanel extends Component {
    static template = "vms_loyalty.RedemptionPanel";
    static props = ["*"];

    setup() {
        this.notification = useService("notification");
        this.fileInput = useRef("fileInput");
        this.cameraSupported = isBarcodeScannerSupported();
        this.state = useState({
            stores: [],
            storeId: false,
            busy: false,
            pointsMode: "amount",
            today: [],
            ...scanScreen(),
        });
        onWillStart(async () => {
            const answer = await rpc("/vms/panel/stores", {});
            if (answer.ok) {
                this.state.stores = answer.data.stores;
                const current = answer.data.stores.find((s) => s.id === answer.data.current);
                this.state.storeId = (current || answer.data.stores[0] || {}).id || false;
            }
            await this.loadToday();
        });
    }

    get storeName() {
        const store = this.state.stores.find((s) => s.id === this.state.storeId);
        return store ? store.name : "";
    }

    money(amount, found = this.state.found || {}) {
        const places = found.decimal_places ?? 2;
        const value = Number(amount || 0).toFixed(places);
        return found.currency ? `${value} ${found.currency}` : value;
    }

    async call(route, params) {
        this.state.busy = true;
        try {
            return await rpc(route, { store_id: this.state.storeId, ...params });
        } finally {
            this.state.busy = false;
        }
    }

    /** The error screen: the engine's reason, and what it is about if known. */
    showError(error, text = "", found = null) {
        this.state.found = found;
        this.state.error = { ...error, text };
        this.state.screen = "error";
    }

    onStoreChange(ev) {
        this.state.storeId = parseInt(ev.target.value);
        this.reset();
        this.loadToday();
    }

    // What was shown ---------------------------------------------------------

    async onScan() {
        let text;
        try {
            text = await scanBarcode(this.env);
        } catch (error) {
            this.notification.add(error.message || _t("The camera could not be opened."), {
                type: "danger",
            });
            return;
        }
        if (text) {
            this.state.text = text;
            await this.lookup();
        }
    }

    onUploadClick() {
        this.fileInput.el.click();
    }

    async onFileChange(ev) {
        const file = ev.target.files && ev.target.files[0];
        ev.target.value = "";
        if (!file) {
            return;
        }
        const data = await new Promise((resolve, reject) => {
            const reader = new FileReader();
            reader.onload = () => resolve(reader.result);
            reader.onerror = () => reject(reader.error);
            reader.readAsDataURL(file);
        });
        const answer = await this.call("/vms/panel/decode", { image: data });
        if (!answer.ok) {
            return this.showError(answer.error);
        }
        this.state.text = answer.data.text;
        await this.lookup();
    }

    async lookup() {
        const text = (this.state.text || "").trim();
        if (!text) {
            return;
        }
        const answer = await this.call("/vms/panel/lookup", {
            text,
            pin: this.state.pin || null,
            card: this.state.card || null,
        });
        if (!answer.ok) {
            return this.showError(answer.error, text);
        }
        const found = answer.data;
        this.state.found = found;
        if (found.refusal) {
            // Refused by the engine (expired, used, blocked ...): the error
            // screen, with what was found.
            return this.showError(found.refusal, text, found);
        }
        this.state.amount = found.type === "voucher" ? String(found.available) : "";
        this.state.points = "";
        this.state.rewardId = false;
        this.state.remarks = "";
        this.state.pending = null;
        this.state.screen = "found";
    }

    onTextKeydown(ev) {
        if (ev.key === "Enter") {
            this.lookup();
        }
    }

    // Confirming -------------------------------------------------------------

    requestValues(extra = {}) {
        const found = this.state.found;
        const values = { remarks: this.state.remarks, ...extra };
        if (found.type === "voucher") {
            Object.assign(values, {
                kind: "voucher",
                code: this.state.text.trim(),
                amount: this.state.amount,
                pin: this.state.pin || null,
                card: this.state.card || null,
            });
        } else if (found.type === "reward_code") {
            Object.assign(values, { kind: "reward_code", code: found.code });
        } else if (this.state.rewardId) {
            Object.assign(values, { kind: "reward", card: found.card, reward_id: this.state.rewardId });
        } else {
            Object.assign(values, { kind: "points", card: found.card });
            if (this.state.pointsMode === "points") {
                values.points = this.state.points;
            } else {
                values.amount = this.state.amount;
            }
        }
        return values;
    }

    async confirm() {
        if (!this.state.pending) {
            this.state.pending = { holdKey: newKey() };
        }
        const pending = this.state.pending;
        const otp = this.state.otp;
        const values = this.requestValues({
            hold_key: pending.holdKey,
            confirm_key: newKey(),
            otp_id: otp ? otp.otp_id : null,
            otp_code: otp && this.state.otpCode ? this.state.otpCode : null,
        });
        const answer = await this.call("/vms/panel/redeem", { values });
        if (!answer.ok) {
            if (this.state.screen === "otp" && answer.error.code.startsWith("otp_")) {
                // A wrong code: the customer may type it again (attempts are counted).
                this.notification.add(answer.error.message, { type: "danger" });
                this.state.otpCode = "";
                return;
            }
            return this.showError(answer.error, this.state.text, this.state.found);
        }
        if (answer.data.status === "otp_required") {
            Object.assign(pending, answer.data);
            this.state.otp = null;
            this.state.otpCode = "";
            this.state.screen = "otp";
            return;
        }
        this.state.result = answer.data;
        this.state.screen = "success";
        this.state.pending = null;
        this.state.otp = null;
        await Promise.all([this.loadChronology(), this.loadToday()]);
    }

    pickReward(reward) {
        this.state.rewardId = reward.id;
        this.confirm();
    }

    async generateOtp() {
        const pending = this.state.pending;
        const values =
            pending.otp_for === "hold"
                ? { hold_id: pending.hold_id }
                : {
                      hold_key: pending.holdKey,
                      confirm_key: newKey(),
                      card: this.state.found.card,
                      reward_id: this.state.rewardId,
                  };
        const answer = await this.call("/vms/panel/otp", { values });
        if (!answer.ok) {
            return this.notification.add(answer.error.message, { type: "danger" });
        }
        this.state.otp = answer.data;
    }

    async cancel() {
        const pending = this.state.pending;
        if (pending && pending.hold_id) {
            await this.call("/vms/panel/release", { hold_id: pending.hold_id });
        }
        this.reset();
    }

    // Records ----------------------------------------------------------------

    async loadChronology() {
        const result = this.state.result;
        this.state.chronology = [];
        if (result && result.kind === "voucher") {
            const answer = await this.call("/vms/panel/chronology", { code: result.reference });
            if (answer.ok) {
                this.state.chronology = answer.data;
            }
        }
    }

    async loadToday() {
        if (!this.state.storeId) {
            return;
        }
        const answer = await this.call("/vms/panel/today", {});
        this.state.today = answer.ok ? answer.data : [];
    }

    formatAmount(amount, currency) {
        return currency ? `${Number(amount || 0).toFixed(2)} ${currency}` : String(amount);
    }

    reset() {
        Object.assign(this.state, scanScreen());
    }
}

registry.category("actions").add("vms_loyalty.panel", RedemptionPanel);
