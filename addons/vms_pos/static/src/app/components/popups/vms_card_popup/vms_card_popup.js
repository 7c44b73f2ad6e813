import { Component, onMounted, useRef, useState } from "@odoo/owl";
import { Dialog } from "@web/core/dialog/dialog";
import { usePos } from "@point_of_sale/app/hooks/pos_hook";

/**
 * Scan or type a club card number, or pick one of the customer's cards.
 * Cards are never loaded in bulk: the customer's own are asked for here.
 */
export class VmsCardPopup extends Component {
    static template = "vms_pos.VmsCardPopup";
    static components = { Dialog };
    static props = {
        order: Object,
        getPayload: Function,
        close: Function,
    };

    setup() {
        this.pos = usePos();
        this.state = useState({ number: "", cards: [] });
        this.inputRef = useRef("number");
        onMounted(async () => {
            this.inputRef.el?.focus();
            const partner = this.props.order.getPartner();
            if (partner) {
                const result = await this.pos.data.callRelated(
                    "vms.card",
                    "vms_pos_cards_of",
                    [partner.id, this.pos.config.id],
                    {},
                    false
                );
                this.state.cards = result?.["vms.card"] || [];
            }
        });
    }

    pick(card) {
        this.props.getPayload({ card });
        this.props.close();
    }

    confirm() {
        const number = this.state.number.trim();
        if (number) {
            this.props.getPayload({ number });
            this.props.close();
        }
    }

    remove() {
        this.props.getPayload({ remove: true });
        this.props.close();
    }

    onKeydown(ev) {
        if (ev.key === "Enter") {
            ev.preventDefault();
            this.confirm();
        }
    }
}
