import { Component, onMounted, useRef, useState } from "@odoo/owl";
import { Dialog } from "@web/core/dialog/dialog";

/**
 * The code of a voucher, typed or scanned into the field, and the PIN of an
 * e-voucher. Enter confirms.
 */
export class VmsVoucherPopup extends Component {
    static template = "vms_pos.VmsVoucherPopup";
    static components = { Dialog };
    static props = {
        title: String,
        code: { type: String, optional: true },
        error: { type: String, optional: true },
        askPin: { type: Boolean, optional: true },
        getPayload: Function,
        close: Function,
    };
    static defaultProps = { code: "", error: "", askPin: false };

    setup() {
        this.state = useState({ code: this.props.code, pin: "", showPin: this.props.askPin });
        this.codeRef = useRef("code");
        this.pinRef = useRef("pin");
        onMounted(() => {
            const target = this.props.askPin && this.props.code ? this.pinRef : this.codeRef;
            target.el?.focus();
        });
    }

    get canConfirm() {
        return this.state.code.trim().length > 0 && (!this.state.showPin || this.state.pin.length);
    }

    confirm() {
        if (!this.canConfirm) {
            return;
        }
        this.props.getPayload({
            code: this.state.code.trim(),
            pin: this.state.showPin && this.state.pin ? this.state.pin : null,
        });
        this.props.close();
    }

    onKeydown(ev) {
        if (ev.key === "Enter") {
            ev.preventDefault();
            this.confirm();
        }
    }
}
