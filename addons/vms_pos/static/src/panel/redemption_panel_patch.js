import { _t } from "@web/core/l10n/translation";
import { patch } from "@web/core/utils/patch";
import { RedemptionPanel } from "@vms_loyalty/panel/redemption_panel";

patch(RedemptionPanel.prototype, {
    /** Print the slip of the redemption just made on the store's receipt printer. */
    async printSlip() {
        const answer = await this.call("/vms/panel/print_slip", {
            redemption_id: this.state.result.result.id,
        });
        if (!answer.ok) {
            return this.notification.add(answer.error.message, { type: "danger" });
        }
        this.notification.add(
            _t("Slip sent to the printer of %(till)s.", { till: answer.data.till }),
            { type: "success" }
        );
    },
});
