import { registry } from "@web/core/registry";

// Codes the tour tests create (see tests/test_panel_tour.py).
const PARTIAL = "TSTPANELTURPARE";
const EXPIRED = "TSTPANELTUREXPG";
const UPLOADED = "TSTPANELTURUPLZ";
const NORTH_ONLY = "TSTPANELTURNRTV";
const REWARD = "RWPANELTURREWRDF";

function typeCode(code) {
    return [
        {
            content: "The panel is ready to scan, upload or type",
            trigger: ".o_vms_panel_scan input[name='code']",
            run: `edit ${code}`,
        },
        {
            content: "Look the code up",
            trigger: ".o_vms_panel_lookup:enabled",
            run: "click",
        },
    ];
}

function nextCustomer() {
    return [
        {
            content: "Back to the scan screen",
            trigger: ".o_vms_panel_next",
            run: "click",
        },
        {
            content: "The scan screen is back",
            trigger: ".o_vms_panel_scan",
        },
    ];
}

// A store user types a code, redeems part of it with remarks, sees the new
// balance and the record of the day.
registry.category("web_tour.tours").add("vms_panel_partial", {
    steps: () => [
        ...typeCode(PARTIAL),
        {
            content: "The voucher shows its balance",
            trigger: ".o_vms_panel_found .o_vms_panel_balance:contains(50.00)",
        },
        {
            content: "Redeem a part of it",
            trigger: ".o_vms_panel_found input[name='amount']",
            run: "edit 12.50",
        },
        {
            content: "Type the receipt remarks",
            trigger: ".o_vms_panel_found input[name='remarks']",
            run: "edit Receipt 7731 service desk",
        },
        {
            content: "Confirm",
            trigger: ".o_vms_panel_confirm:enabled",
            run: "click",
        },
        {
            content: "The success screen shows the new balance",
            trigger: ".o_vms_panel_success .o_vms_panel_new_balance:contains(37.50)",
        },
        {
            content: "The voucher's chronology shows the use",
            trigger: ".o_vms_panel_chronology td:contains(Using)",
        },
        {
            content: "The store's day lists it with its remarks",
            trigger: ".o_vms_panel_today_remarks:contains(Receipt 7731 service desk)",
        },
        ...nextCustomer(),
        // An expired voucher: the error screen in the engine's words.
        ...typeCode(EXPIRED),
        {
            content: "The error screen gives the engine's reason",
            trigger: ".o_vms_panel_error .o_vms_panel_error_message:contains(expired on)",
        },
        {
            content: "with the voucher it is about",
            trigger: ".o_vms_panel_error .o_vms_panel_error_voucher:contains(TSTPANELTUREXPG)",
        },
        {
            content: "Back",
            trigger: ".o_vms_panel_next",
            run: "click",
        },
        {
            content: "A mistyped code goes to the error screen",
            trigger: ".o_vms_panel_scan input[name='code']",
            run: "edit TSTPANELTUREXPH",
        },
        {
            content: "Look it up",
            trigger: ".o_vms_panel_lookup:enabled",
            run: "click",
        },
        {
            content: "The error screen says why",
            trigger: ".o_vms_panel_error .o_vms_panel_error_message:contains(check character)",
        },
        ...nextCustomer(),
    ],
});

// A photo of the voucher's QR code is uploaded, decoded on the server and redeemed.
registry.category("web_tour.tours").add("vms_panel_upload", {
    steps: () => [
        {
            content: "Upload a photo of the QR code",
            trigger: ".o_vms_panel_scan .o_vms_panel_upload",
            async run() {
                const response = await fetch(`/report/barcode/QR/${UPLOADED}?width=300&height=300`);
                const blob = await response.blob();
                const file = new File([blob], "voucher.png", { type: "image/png" });
                const transfer = new DataTransfer();
                transfer.items.add(file);
                const input = document.querySelector(".o_vms_panel_file");
                input.files = transfer.files;
                input.dispatchEvent(new Event("change", { bubbles: true }));
            },
        },
        {
            content: "The decoded voucher is shown",
            trigger: `.o_vms_panel_found .o_vms_panel_title:contains(${UPLOADED})`,
        },
        {
            content: "Type the receipt remarks",
            trigger: ".o_vms_panel_found input[name='remarks']",
            run: "edit Uploaded by the customer",
        },
        {
            content: "Confirm the whole balance",
            trigger: ".o_vms_panel_confirm:enabled",
            run: "click",
        },
        {
            content: "Nothing is left",
            trigger: ".o_vms_panel_success .o_vms_panel_new_balance:contains(0.00)",
        },
        {
            content: "Uploading something that is not an image",
            trigger: ".o_vms_panel_next",
            run: "click",
        },
        {
            content: "A text file as the photo",
            trigger: ".o_vms_panel_scan .o_vms_panel_upload",
            async run() {
                const file = new File(["no image here"], "notes.txt", { type: "text/plain" });
                const transfer = new DataTransfer();
                transfer.items.add(file);
                const input = document.querySelector(".o_vms_panel_file");
                input.files = transfer.files;
                input.dispatchEvent(new Event("change", { bubbles: true }));
            },
        },
        {
            content: "The error screen says it is not an image",
            trigger: ".o_vms_panel_error .o_vms_panel_error_code:contains(not_an_image)",
        },
    ],
});

// A member shows a reward code; the store user hands the reward over.
registry.category("web_tour.tours").add("vms_panel_reward", {
    steps: () => [
        ...typeCode(REWARD),
        {
            content: "The reward and its state are shown",
            trigger: ".o_vms_panel_found .o_vms_panel_reward_state:contains(Claimed)",
        },
        {
            content: "Type the receipt remarks",
            trigger: ".o_vms_panel_found input[name='remarks']",
            run: "edit Mug handed over",
        },
        {
            content: "Hand the reward over",
            trigger: ".o_vms_panel_confirm:enabled:contains(Hand over)",
            run: "click",
        },
        {
            content: "Success",
            trigger: ".o_vms_panel_success .o_vms_panel_spent:contains(300)",
        },
        {
            content: "The day lists it",
            trigger: ".o_vms_panel_today_remarks:contains(Mug handed over)",
        },
    ],
});

// A store user of another branch: the voucher of the north branch is refused,
// and nothing of the north's records shows.
registry.category("web_tour.tours").add("vms_panel_other_branch", {
    steps: () => [
        {
            content: "The south branch has no redemption today",
            trigger: ".o_vms_panel_today:contains(No redemption yet today)",
        },
        ...typeCode(NORTH_ONLY),
        {
            content: "The error screen: not accepted at this branch",
            trigger: ".o_vms_panel_error .o_vms_panel_error_code:contains(wrong_store)",
        },
        {
            content: "Nothing of the voucher shows",
            trigger: ".o_vms_panel_error:not(:has(.o_vms_panel_balance))",
        },
        {
            content: "and the north's remarks do not appear",
            trigger: ".o_vms_panel:not(:contains(North receipt))",
        },
    ],
});

// The screens the README shows (tests/test_panel_screenshots.py): each tour
// ends on its screen.
registry.category("web_tour.tours").add("vms_panel_shot_panel", {
    steps: () => [
        ...typeCode(NORTH_ONLY),
        {
            content: "The voucher is shown",
            trigger: ".o_vms_panel_found .o_vms_panel_balance",
        },
        {
            content: "Part of it",
            trigger: ".o_vms_panel_found input[name='amount']",
            run: "edit 20.00",
        },
        {
            content: "Receipt remarks",
            trigger: ".o_vms_panel_found input[name='remarks']",
            run: "edit Receipt 1042, gift wrapping",
        },
        {
            content: "Ready to confirm",
            trigger: ".o_vms_panel_confirm:enabled",
        },
    ],
});

registry.category("web_tour.tours").add("vms_panel_shot_success", {
    steps: () => [
        ...typeCode(PARTIAL),
        {
            content: "Part of it",
            trigger: ".o_vms_panel_found input[name='amount']",
            run: "edit 12.50",
        },
        {
            content: "Receipt remarks",
            trigger: ".o_vms_panel_found input[name='remarks']",
            run: "edit Receipt 1043, service desk",
        },
        {
            content: "Confirm",
            trigger: ".o_vms_panel_confirm:enabled",
            run: "click",
        },
        {
            content: "The success screen with its records",
            trigger: ".o_vms_panel_success .o_vms_panel_chronology td:contains(Using)",
        },
    ],
});

registry.category("web_tour.tours").add("vms_panel_shot_error", {
    steps: () => [
        ...typeCode(EXPIRED),
        {
            content: "The error screen",
            trigger: ".o_vms_panel_error .o_vms_panel_error_voucher",
        },
    ],
});
