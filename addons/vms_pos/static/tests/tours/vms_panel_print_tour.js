import { registry } from "@web/core/registry";

// The voucher the tour test creates (see tests/test_panel_print.py).
const CODE = "VMSPANELSLPPRTE";

// A store user at a service counter redeems part of a voucher in the panel
// and prints the slip on the store's receipt printer.
registry.category("web_tour.tours").add("vms_panel_print_slip", {
    steps: () => [
        {
            content: "Type the voucher's code",
            trigger: ".o_vms_panel_scan input[name='code']",
            run: `edit ${CODE}`,
        },
        {
            content: "Look the code up",
            trigger: ".o_vms_panel_lookup:enabled",
            run: "click",
        },
        {
            content: "Redeem a part of it",
            trigger: ".o_vms_panel_found input[name='amount']",
            run: "edit 20.00",
        },
        {
            content: "Confirm",
            trigger: ".o_vms_panel_confirm:enabled",
            run: "click",
        },
        {
            content: "The success screen shows the new balance",
            trigger: ".o_vms_panel_success .o_vms_panel_new_balance:contains(30.00)",
        },
        {
            content: "Print the slip",
            trigger: ".o_vms_panel_success .o_vms_panel_print_slip:enabled",
            run: "click",
        },
        {
            content: "The slip went to the store's printer",
            trigger: ".o_notification:contains(Slip sent to the printer of)",
        },
    ],
});
