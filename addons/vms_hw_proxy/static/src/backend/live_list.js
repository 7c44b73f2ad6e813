import { listView } from "@web/views/list/list_view";
import { ListController } from "@web/views/list/list_controller";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { onWillStart, onWillUnmount } from "@odoo/owl";

/**
 * Hardware Proxies and Proxy Print Jobs, kept live: Odoo sends
 * "vms_hw_proxy/status" on the bus whenever a proxy reports a status or a
 * scan or a print job changes state, and the open list reloads at once.
 */
export class VmsHwProxyLiveListController extends ListController {
    setup() {
        super.setup();
        this.busService = useService("bus_service");
        this.onProxyChange = () => {
            if (!this.model.root.editedRecord) {
                this.model.load();
            }
        };
        onWillStart(() => {
            this.busService.subscribe("vms_hw_proxy/status", this.onProxyChange);
            this.busService.start();
        });
        onWillUnmount(() => this.busService.unsubscribe("vms_hw_proxy/status", this.onProxyChange));
    }
}

registry.category("views").add("vms_hw_proxy_live_list", {
    ...listView,
    Controller: VmsHwProxyLiveListController,
});
