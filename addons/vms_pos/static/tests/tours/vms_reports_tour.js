import { registry } from "@web/core/registry";

function openReport(name) {
    return [
        {
            content: "Open the Reporting menu",
            trigger: ".o_menu_sections button:contains(Reporting)",
            run: "click",
        },
        {
            content: `Open ${name}`,
            trigger: `.dropdown-item:contains(${name})`,
            run: "click",
        },
        {
            content: `${name} opens on its pivot`,
            trigger: `.o_breadcrumb:contains(${name})`,
        },
        {
            content: "with real figures (not the sample)",
            trigger: ".o_pivot_view:not(.o_view_sample_data) .o_pivot table .o_pivot_cell_value",
        },
        {
            content: "Switch to the graph",
            trigger: ".o_switch_view.o_graph",
            run: "click",
        },
        {
            content: "The graph is drawn",
            trigger: ".o_graph_view:not(.o_view_sample_data) .o_graph_renderer canvas",
        },
        {
            content: "Back to the pivot",
            trigger: ".o_switch_view.o_pivot",
            run: "click",
        },
        {
            content: "The pivot is back",
            trigger: ".o_pivot_view .o_pivot table .o_pivot_cell_value",
        },
    ];
}

// A VMS Manager opens every report, switches each between pivot and graph,
// prints the redemptions of a period as a PDF, and opens a report from the
// dashboard's figure.
registry.category("web_tour.tours").add("vms_reports", {
    steps: () => [
        ...openReport("Loyalty - Date/Customer Wise Summary"),
        ...openReport("Campaign Effect"),
        ...openReport("Basket Size with Vouchers"),
        ...openReport("Liability"),
        ...openReport("Operator Audit"),
        {
            content: "The detailed report lists every redemption",
            trigger: ".o_menu_sections button:contains(Reporting)",
            run: "click",
        },
        {
            content: "Open Loyalty - Customer Wise Detailed",
            trigger: ".dropdown-item:contains(Customer Wise Detailed)",
            run: "click",
        },
        {
            content: "Grouped by customer",
            trigger: ".o_list_view .o_group_header",
        },
        {
            content: "Open the print wizard",
            trigger: ".o_menu_sections button:contains(Reporting)",
            run: "click",
        },
        {
            content: "Print Redemptions (PDF)",
            trigger: ".dropdown-item:contains(Print Redemptions)",
            run: "click",
        },
        {
            content: "Print",
            trigger: ".modal button[name='action_print']",
            run: "click",
        },
        {
            content: "The report is made and the wizard closes",
            trigger: "body:not(:has(.modal))",
            timeout: 40000,
        },
        {
            content: "Open the dashboard",
            trigger: ".o_menu_sections button:contains(Reporting)",
            run: "click",
        },
        {
            content: "Dashboard",
            trigger: ".dropdown-item:contains(Dashboard)",
            run: "click",
        },
        {
            content: "Today's voucher payment is in this month's figure",
            trigger:
                ".o_vms_dashboard_figure[data-measure=redeemed_amount] .o_vms_dashboard_value:contains(30.00)",
        },
        {
            content: "What the retailer owes is on it too",
            trigger: ".o_vms_dashboard_figure[data-measure=promotional_outstanding]",
        },
        {
            content: "The figure opens its report",
            trigger: ".o_vms_dashboard_figure[data-measure=redeemed_amount]",
            run: "click",
        },
        {
            content: "The report of the figure opens",
            trigger: ".o_breadcrumb:contains(Redeemed this month)",
        },
        {
            content: "filtered as the figure, on real figures",
            trigger: ".o_pivot_view:not(.o_view_sample_data) .o_pivot_cell_value:contains(30.00)",
        },
    ],
});
