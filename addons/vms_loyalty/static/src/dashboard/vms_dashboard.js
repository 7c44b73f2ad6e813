import { Component, onWillStart, useState } from "@odoo/owl";
import { formatCurrency } from "@web/core/currency";
import { formatInteger } from "@web/views/fields/formatters";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";

/**
 * The VMS Manager's dashboard: the key figures of each store selected in
 * the company switcher; a click on a figure opens the report it comes from,
 * filtered as the figure. The figures and the filters are the server's
 * (vms.dashboard), read with the user's own rights.
 */
export class VmsDashboard extends Component {
    static template = "vms_loyalty.Dashboard";
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.state = useState({ measures: [], stores: [] });
        onWillStart(async () => {
            Object.assign(this.state, await this.orm.call("vms.dashboard", "get_dashboard_data"));
        });
    }

    format(store, measure) {
        const value = store.values[measure.key] || 0;
        return measure.monetary
            ? formatCurrency(value, store.currency_id)
            : formatInteger(value);
    }

    async open(store, measure) {
        const action = await this.orm.call("vms.dashboard", "action_open_measure", [
            measure.key,
            store.id,
        ]);
        await this.action.doAction(action);
    }
}

registry.category("actions").add("vms_loyalty.dashboard", VmsDashboard);
