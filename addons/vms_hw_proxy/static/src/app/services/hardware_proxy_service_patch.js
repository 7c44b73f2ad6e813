import { HardwareProxy } from "@point_of_sale/app/services/hardware_proxy_service";
import { deduceUrl } from "@point_of_sale/utils";
import { patch } from "@web/core/utils/patch";
import { effect } from "@web/core/utils/reactive";

/**
 * The base URL the till uses for its vms-hw-proxy. The POS builds every proxy
 * request (hello, handshake, status, printing, scanner) from this base, so a
 * token carried as a path prefix reaches the proxy on all of them without a
 * custom header (which the POS's rpc() cannot send).
 */
export function vmsProxyBaseUrl(address, token) {
    const url = deduceUrl(address);
    return token ? `${url}/vms-token/${encodeURIComponent(token)}` : url;
}

patch(HardwareProxy.prototype, {
    setup() {
        super.setup(...arguments);
        this.vmsLastStatusReport = "";
        effect((info) => this.vmsReportStatus(info), [this.connectionInfo]);
    },

    async autoConnect(options) {
        const token = this.pos?.config?.vms_proxy_token;
        if (!token || !options?.force_ip) {
            return super.autoConnect(options);
        }
        this.setConnectionInfo({ status: "connecting", drivers: {} });
        const url = vmsProxyBaseUrl(options.force_ip, token);
        if (await this.checkProxyAvailability(url)) {
            this.host = url;
            return this.connect(url);
        }
    },

    /** Tell the back office when the proxy's status changes (not on every poll). */
    vmsReportStatus(info) {
        // Read the reactive values first, whatever happens next: the effect only
        // runs again for the values this call read.
        const status = info.status;
        const devices = {};
        for (const [name, driver] of Object.entries(info.drivers || {})) {
            devices[name] = { status: driver?.status || "unknown" };
        }
        const config = this.pos?.config;
        if (!config?.is_posbox || !["connected", "disconnected"].includes(status)) {
            return;
        }
        const report = JSON.stringify(devices);
        if (report === this.vmsLastStatusReport) {
            return;
        }
        this.vmsLastStatusReport = report;
        this.pos.data
            .call("pos.config", "vms_report_proxy_status", [[config.id], devices])
            .catch(() => {
                // Offline or no access: the next change reports again.
                this.vmsLastStatusReport = "";
            });
    },
});
