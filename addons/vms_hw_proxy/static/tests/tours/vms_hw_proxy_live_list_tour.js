import { registry } from "@web/core/registry";

/**
 * The back office's Hardware Proxies list, open in the browser, follows what a
 * proxy reports without a reload: its printer going away, then a scan.
 *
 * The test serves a small endpoint on 127.0.0.1 (port in the cookie
 * vms_hw_tour_reports) that posts each report to Odoo's proxy routes the way
 * vms-hw-proxy posts them, with the proxy's bus secret and no session. Each
 * step below asks for a report, notes the time, and the next one fails unless
 * the row shows it within LIMIT_MS.
 */
const LIMIT_MS = 1000;
const ROW = ".o_list_view .o_data_row:has(td[name=name]:contains(Tour Store Till))";

function reportsEndpoint(path) {
    const port = document.cookie.match(/(?:^|;\s*)vms_hw_tour_reports=(\d+)/)?.[1];
    if (!port) {
        throw new Error("no vms_hw_tour_reports cookie: the test did not start its endpoint");
    }
    return `http://127.0.0.1:${port}${path}`;
}

function proxyReports(what, content) {
    return {
        content,
        trigger: ROW,
        run: async () => {
            window.vmsHwReportedAt = performance.now();
            const response = await fetch(reportsEndpoint(`/report/${what}`));
            const answer = await response.json();
            if (!response.ok) {
                throw new Error(`Odoo refused the proxy's ${what} report: ${answer.status}`);
            }
        },
    };
}

function shownWithinLimit(content, trigger, what) {
    return {
        content,
        trigger,
        run: () => {
            const elapsed = Math.round(performance.now() - window.vmsHwReportedAt);
            if (!window.vmsHwSamePage) {
                throw new Error("the page was reloaded: the list did not update live");
            }
            if (elapsed > LIMIT_MS) {
                throw new Error(`the ${what} appeared ${elapsed} ms after the report`);
            }
            console.info(`vms_hw_proxy live list: ${what} shown ${elapsed} ms after the report`);
        },
    };
}

registry.category("web_tour.tours").add("vms_hw_proxy_live_list", {
    steps: () => [
        {
            content: "the till's proxy is listed with its printer connected",
            trigger: `${ROW} td[name=vms_proxy_devices_summary]:contains(printer: connected)`,
            run: () => {
                window.vmsHwSamePage = true; // gone if anything reloads the page
            },
        },
        proxyReports("status", "the proxy reports that its printer went away"),
        shownWithinLimit(
            "the row shows the printer disconnected",
            `${ROW}:has(td[name=vms_proxy_status]:contains(Disconnected)) td[name=vms_proxy_devices_summary]:contains(printer: disconnected)`,
            "status change"
        ),
        proxyReports("scan", "the proxy reports a scan"),
        shownWithinLimit(
            "the row shows the scanned barcode",
            `${ROW} td[name=vms_proxy_last_scan]:contains(4006381333931)`,
            "scan"
        ),
    ],
});
