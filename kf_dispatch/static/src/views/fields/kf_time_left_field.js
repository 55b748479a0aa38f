/** @odoo-module **/
import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { standardFieldProps } from "@web/views/fields/standard_field_props";

const { DateTime } = luxon;

/**
 * A deadline shown as the time left until it ("还剩 3小时20分钟"), or the time
 * it is overdue, in the user's language; the deadline itself is the tooltip.
 */
export class KfTimeLeftField extends Component {
    static template = "kf_dispatch.KfTimeLeftField";
    static props = { ...standardFieldProps };

    get info() {
        const deadline = this.props.record.data[this.props.name];
        if (!deadline) {
            return null;
        }
        const minutes = Math.round(deadline.diff(DateTime.now(), "minutes").minutes);
        const abs = Math.abs(minutes);
        const days = Math.floor(abs / 1440);
        const hours = Math.floor((abs % 1440) / 60);
        let span;
        if (days) {
            span = _t("%(days)s d %(hours)s h", { days, hours });
        } else if (hours) {
            span = _t("%(hours)s h %(minutes)s min", { hours, minutes: abs % 60 });
        } else {
            span = _t("%(minutes)s min", { minutes: abs });
        }
        return {
            late: minutes < 0,
            text: minutes < 0 ? _t("%(time)s overdue", { time: span }) : _t("%(time)s left", { time: span }),
            title: deadline.toLocaleString(DateTime.DATETIME_SHORT),
        };
    }
}

registry.category("fields").add("kf_time_left", {
    component: KfTimeLeftField,
    displayName: _t("Time left"),
    supportedTypes: ["datetime"],
});
