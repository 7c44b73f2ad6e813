import { Component, onMounted, useRef, useState } from "@odoo/owl";
import { Dialog } from "@web/core/dialog/dialog";

/**
 * The member's points at the tender: balance, what the free points are
 * worth, the next expiry, and the amount to pay with them (at most what is
 * due and what they are worth). Enter confirms.
 */
export class VmsPointsPopup extends Component {
    static template = "vms_pos.VmsPointsPopup";
    static components = { Dialog };
    static props = {
        info: Object,
        due: Number,
        getPayload: Function,
        close: Function,
    };

    setup() {
        const max = this.max;
        this.state = useState({ amount: max > 0 ? `${max}` : "" });
        this.amountRef = useRef("amount");
        onMounted(() => this.amountRef.el?.select());
    }

    get max() {
        const value = this.props.info.value_free || 0;
        return Math.max(0, Math.min(this.props.due, value));
    }

    get amount() {
        const amount = parseFloat(`${this.state.amount}`.replace(",", "."));
        return Number.isFinite(amount) ? amount : 0;
    }

    get points() {
        const info = this.props.info;
        const factor = 10 ** (info.points_decimals || 0);
        return Math.ceil((this.amount / info.point_value) * factor - 1e-6) / factor;
    }

    formatPoints(points) {
        return (points || 0).toFixed(this.props.info.points_decimals || 0);
    }

    get canConfirm() {
        return this.amount > 0 && this.amount <= this.max + 1e-9;
    }

    confirm() {
        if (!this.canConfirm) {
            return;
        }
        this.props.getPayload({ amount: this.amount });
        this.props.close();
    }

    onKeydown(ev) {
        if (ev.key === "Enter") {
            ev.preventDefault();
            this.confirm();
        }
    }
}
