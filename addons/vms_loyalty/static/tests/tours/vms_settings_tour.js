import { registry } from "@web/core/registry";

// A manager turns OTP on, sets its minimum value, saves, and finds both after a reload.
registry.category("web_tour.tours").add("vms_loyalty_otp_settings", {
    steps: () => [
        {
            content: "The Vouchers & Loyalty section is shown",
            trigger: ".app_settings_block[data-key='vms_loyalty'], [data-key='vms_loyalty']",
        },
        {
            content: "Turn on mandatory OTP",
            trigger: "#vms_otp_mandatory input[type='checkbox']",
            run: "click",
        },
        {
            content: "Set the minimum value of an OTP-based redemption",
            trigger: "#vms_otp_mandatory .o_field_widget[name='vms_otp_min_amount'] input",
            run: "edit 75.00",
        },
        {
            content: "Save",
            trigger: ".o_form_button_save",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "After the reload OTP is still on",
            trigger: "#vms_otp_mandatory input[type='checkbox']:checked",
        },
        {
            content: "and the minimum value stuck",
            trigger: "#vms_otp_mandatory .o_field_widget[name='vms_otp_min_amount'] input:value(75.00)",
        },
    ],
});
