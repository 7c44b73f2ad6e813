import { _t } from "@web/core/l10n/translation";
import { Component, onMounted, onWillUnmount, useRef, useState } from "@odoo/owl";
import { Dialog } from "@web/core/dialog/dialog";

/**
 * Seed 003 at the tender: the code goes by SMS to the voucher holder's mobile
 * from the customer master; the customer reads it out and the cashier types
 * it. The server checks it at once (attempts counted); the payment lines of
 * that holder are then approved for the order's sync.
 */
export class VmsOtpPopup extends Component {
    static template = "vms_pos.VmsOtpPopup";
    static components = { Dialog };
    static props = {
        terminal: Object,
        order: Object,
        line: Object,
        getPayload: Function,
        close: Function,
    };

    setup() {
        this.state = useState({
            sending: true,
            otpId: null,
            phone: "",
            amount: 0,
            code: "",
            error: "",
            resendIn: 0,
            expiresIn: 0,
            checking: false,
        });
        this.codeRef = useRef("code");
        this.timer = setInterval(() => this.tick(), 1000);
        onMounted(() => this.send());
        onWillUnmount(() => clearInterval(this.timer));
    }

    tick() {
        if (this.state.resendIn > 0) {
            this.state.resendIn -= 1;
        }
        if (this.state.expiresIn > 0) {
            this.state.expiresIn -= 1;
        }
    }

    get expiry() {
        const minutes = Math.floor(this.state.expiresIn / 60);
        const seconds = `${this.state.expiresIn % 60}`.padStart(2, "0");
        return `${minutes}:${seconds}`;
    }

    async send() {
        this.state.sending = true;
        this.state.error = "";
        const response = await this.props.terminal.requestOtp(this.props.order, this.props.line);
        this.state.sending = false;
        if (!response.ok) {
            this.state.error = response.error.message;
            this.state.resendIn = response.error.retry_after || 0;
            return;
        }
        Object.assign(this.state, {
            otpId: response.otp_id,
            phone: response.phone,
            amount: response.amount,
            resendIn: response.resend_in,
            expiresIn: response.expires_in,
            code: "",
        });
        this.codeRef.el?.focus();
    }

    async verify() {
        if (!this.state.otpId || !this.state.code.trim() || this.state.checking) {
            return;
        }
        if (this.state.expiresIn <= 0) {
            this.state.error = _t("This code has expired; send a new one.");
            return;
        }
        this.state.checking = true;
        const response = await this.props.terminal.verifyOtp(
            this.props.order,
            this.props.line,
            this.state.otpId,
            this.state.code.trim()
        );
        this.state.checking = false;
        if (!response.ok) {
            this.state.error = response.error.message;
            this.state.code = "";
            this.codeRef.el?.focus();
            return;
        }
        this.props.getPayload(response);
        this.props.close();
    }

    onKeydown(ev) {
        if (ev.key === "Enter") {
            ev.preventDefault();
            this.verify();
        }
    }
}
