import { registry } from "@web/core/registry";

function selectRows(from, to) {
    const steps = [];
    for (let row = from; row <= to; row++) {
        steps.push({
            content: `Select voucher row ${row}`,
            trigger: `.o_list_view .o_data_row:nth-child(${row}) .o_list_record_selector input`,
            run: "click",
        });
    }
    return steps;
}

function backToCampaignVouchers() {
    return [
        {
            content: "Back to the campaign",
            trigger: ".o_breadcrumb .breadcrumb-item a:contains(Tour Campaign)",
            run: "click",
        },
        {
            content: "Open its vouchers with the smart button",
            trigger: ".o_form_view button[name='action_view_vouchers']",
            run: "click",
        },
        {
            content: "The 50 vouchers are listed, nothing selected",
            trigger: ".o_list_view .o_data_row:nth-child(50):not(:has(.o_list_record_selector input:checked))",
        },
    ];
}

// A manager creates a campaign, generates 50 vouchers, group-blocks 10,
// changes the validity of 5 and downloads the PDF of the campaign's vouchers.
registry.category("web_tour.tours").add("vms_loyalty_voucher_backoffice", {
    steps: () => [
        {
            content: "Create a campaign",
            trigger: ".o_control_panel .o-kanban-button-new, .o_control_panel .o_list_button_add",
            run: "click",
        },
        {
            content: "Name it",
            trigger: ".o_form_view .o_field_widget[name='name'] input",
            run: "edit Tour Campaign",
        },
        {
            content: "Give it a code",
            trigger: ".o_form_view .o_field_widget[name='code'] input",
            run: "edit TOUR1",
        },
        {
            content: "Start it",
            trigger: ".o_form_view button[name='action_start']",
            run: "click",
        },
        {
            content: "The campaign runs",
            trigger: ".o_statusbar_status button.o_arrow_button_current[data-value='running']",
        },
        {
            content: "Open the generation wizard",
            trigger: ".o_form_view button[name='action_open_generate_wizard']",
            run: "click",
        },
        {
            content: "50 vouchers",
            trigger: ".modal .o_field_widget[name='quantity'] input",
            run: "edit 50",
        },
        {
            content: "worth 25 each",
            trigger: ".modal .o_field_widget[name='nominal_amount'] input",
            run: "edit 25",
        },
        {
            content: "Generate",
            trigger: ".modal button[name='action_generate']",
            run: "click",
        },
        {
            content: "The 50 generated vouchers are listed",
            trigger: ".o_list_view .o_data_row:nth-child(50)",
        },
        ...selectRows(1, 10),
        {
            content: "Group-block the 10 selected vouchers",
            trigger: ".o_control_panel button[name='action_open_group_block']",
            run: "click",
        },
        {
            content: "Say why",
            trigger: ".modal .o_field_widget[name='reason'] input",
            run: "edit Stolen stock",
        },
        {
            content: "Confirm",
            trigger: ".modal button[name='action_confirm']",
            run: "click",
        },
        {
            content: "The wizard is closed",
            trigger: "body:not(:has(.modal))",
        },
        ...backToCampaignVouchers(),
        {
            content: "The first ten are blocked",
            trigger: ".o_data_row:nth-child(10) td[name='state']:contains(Blocked)",
        },
        ...selectRows(11, 15),
        {
            content: "Change the validity of the 5 selected vouchers",
            trigger: ".o_control_panel button[name='action_open_change_validity']",
            run: "click",
        },
        {
            content: "New end of validity",
            trigger: ".modal .o_field_widget[name='valid_to'] input",
            run: "edit 12/31/2030",
        },
        {
            content: "Reason",
            trigger: ".modal .o_field_widget[name='reason'] input",
            run: "edit Extended for the fair",
        },
        {
            content: "Change",
            trigger: ".modal button[name='action_confirm']",
            run: "click",
        },
        {
            content: "The wizard is closed",
            trigger: "body:not(:has(.modal))",
        },
        ...backToCampaignVouchers(),
        {
            content: "Select every voucher of the campaign",
            trigger: ".o_list_view thead .o_list_record_selector input",
            run: "click",
        },
        {
            content: "Download their PDF",
            trigger: ".o_control_panel button[name='action_download_pdf']",
            run: "click",
        },
        {
            content: "The PDF is ready",
            trigger: ".o_notification:contains(PDF of 50 vouchers ready)",
        },
    ],
});
