import subprocess
from datetime import date, datetime, timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from ..exceptions import VmsError
from ..models.vms_voucher_lookup_failure import UNKNOWN_LIMIT
from ..tools import codes
from .common_points import PointsCase


class ReportCase(PointsCase):
    """Known redemptions, through the engine, on known days:

    - 5 March 2026, store: voucher A (holder Žofia, 50.00) pays 30.00 of bill
      POS/A (80.00); voucher B (bearer, 20.00) pays 20.00 of POS/B (25.00).
    - 2 April: 10.00 of A's payment is reversed ("returned a mug").
    - 3 April: 600 points (6.00) pay POS/P; 0.60 of it (60 points) is reversed.
    - 3 April, the other retailer: its voucher pays 7.00 (store isolation).
    - Voucher C is generated (5 March) and handed over (6 March), never spent.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_store_user = new_test_user(
            cls.env,
            login="vms_other_store",
            groups="base.group_user,vms_loyalty.group_vms_store_user",
            company_id=cls.other_company.id,
            company_ids=[cls.other_company.id],
        )
        Engine = cls.env["vms.redemption"].with_user(cls.store_user)
        Voucher = cls.env["vms.voucher"].with_user(cls.manager)
        base = {"campaign_id": cls.campaign.id, "company_id": cls.company.id}
        with freeze_time("2026-03-05 09:00:00"):
            cls.voucher_a = Voucher.create(
                {**base, "nominal_amount": 50.0, "state": "active", "partner_id": cls.partner.id}
            )
            cls.voucher_b = Voucher.create({**base, "nominal_amount": 20.0, "state": "active"})
            cls.voucher_c = Voucher.create({**base, "nominal_amount": 15.0})
            cls.hold_a = Engine._vms_hold(
                cls.voucher_a.code,
                30.0,
                order_ref="POS/A",
                idempotency_key="report-hold-a",
                channel="pos",
                partner=cls.partner,
                bill_amount=80.0,
            )._vms_confirm("report-conf-a", bill_amount=80.0)
            Engine._vms_hold(
                cls.voucher_b.code,
                20.0,
                order_ref="POS/B",
                idempotency_key="report-hold-b",
                channel="pos",
                bill_amount=25.0,
            )._vms_confirm("report-conf-b", bill_amount=25.0)
        with freeze_time("2026-03-06 09:00:00"):
            cls.voucher_c.action_hand_over(partner=cls.partner_2)
        with freeze_time("2026-04-02 09:00:00"):
            cls.hold_a.with_user(cls.manager)._vms_reverse(
                "report-rev-a", amount=10.0, reason="returned a mug"
            )
        with freeze_time("2026-04-03 09:00:00"):
            cls.today = date(2026, 4, 3)
            account, _card = cls.Account._vms_account_for(cls.card, create=True)
            account._vms_lock()
            account._vms_credit(1000, "earn", date(2027, 1, 1), order_ref="EARN/1")
            hold_p = Engine._vms_points_hold(
                cls.card,
                points=600,
                order_ref="POS/P",
                idempotency_key="report-hold-p",
                channel="pos",
            )._vms_confirm("report-conf-p", bill_amount=40.0)
            hold_p.with_user(cls.manager)._vms_reverse(
                "report-rev-p", amount="0.60", reason="returned a cup"
            )
            other_campaign = (
                cls.env["vms.campaign"]
                .sudo()
                .create(
                    {
                        "name": "Elsewhere",
                        "code": "ELSE",
                        "company_id": cls.other_company.id,
                        "state": "running",
                    }
                )
            )
            cls.other_voucher = (
                cls.env["vms.voucher"]
                .sudo()
                .create(
                    {
                        "campaign_id": other_campaign.id,
                        "company_id": cls.other_company.id,
                        "nominal_amount": 10.0,
                        "state": "active",
                    }
                )
            )
            cls.env["vms.redemption"].with_user(cls.other_store_user).with_context(
                allowed_company_ids=[cls.other_company.id]
            )._vms_hold(
                cls.other_voucher.code,
                7.0,
                order_ref="POS/O",
                idempotency_key="report-hold-o",
                channel="pos",
                bill_amount=9.0,
            )._vms_confirm("report-conf-o", bill_amount=9.0)

    def refusals(self, user, count, when="2026-05-10 10:00:00", store=None):
        self.env.cr.execute(
            "INSERT INTO vms_refusal (date, code, user_id, store_id) "
            "SELECT %s, 'voucher_blocked', %s, %s FROM generate_series(1, %s)",
            [when, user.id, (store or self.company).id, count],
        )

    def grouped(self, model, groupby, aggregates, user=None, domain=None):
        """``{group key: (aggregates...)}``, the key a value or a tuple of them."""
        records = self.env[model].with_user(user or self.manager).with_context(tz="UTC")
        result = {}
        for row in records._read_group(domain or [], groupby, aggregates):
            key = row[0] if len(groupby) == 1 else tuple(row[: len(groupby)])
            result[key] = tuple(row[len(groupby) :])
        return result


@tagged("post_install", "-at_install")
class TestReportRedemption(ReportCase):
    """The date/customer wise summary and the detailed report."""

    MEASURES = ["redemption_count:sum", "reversal_count:sum", "amount:sum", "points:sum"]

    def test_summary_by_month_and_kind(self):
        by_month = self.grouped("vms.report.redemption", ["date:month"], self.MEASURES)
        self.assertEqual(
            by_month,
            {
                datetime(2026, 3, 1): (2, 0, 50.0, 0.0),
                datetime(2026, 4, 1): (1, 2, -4.6, 540.0),
            },
        )
        by_kind = self.grouped("vms.report.redemption", ["kind"], self.MEASURES)
        self.assertEqual(by_kind, {"voucher": (2, 1, 40.0, 0.0), "points": (1, 1, 5.4, 540.0)})

    def test_summary_by_customer_store_operator_channel_campaign(self):
        by_customer = self.grouped("vms.report.redemption", ["partner_id"], self.MEASURES)
        self.assertEqual(
            by_customer,
            {
                self.partner: (2, 2, 25.4, 540.0),
                self.env["res.partner"]: (1, 0, 20.0, 0.0),
            },
        )
        by_operator = self.grouped(
            "vms.report.redemption", ["user_id", "channel"], ["redemption_count:sum", "amount:sum"]
        )
        self.assertEqual(
            by_operator,
            {
                (self.store_user, "pos"): (3, 56.0),
                (self.manager, "pos"): (0, -10.6),
            },
        )
        by_campaign = self.grouped(
            "vms.report.redemption", ["campaign_id", "store_id"], ["amount:sum"]
        )
        self.assertEqual(
            by_campaign,
            {
                (self.campaign, self.company): (40.0,),
                (self.env["vms.campaign"], self.company): (5.4,),
            },
        )

    def test_detail_rows(self):
        rows = self.env["vms.report.redemption"].with_user(self.manager).search([], order="id")
        self.assertEqual(
            sorted(
                (r.kind, r.bill_ref, r.bill_amount, r.amount, r.points, r.remarks or "")
                for r in rows
            ),
            sorted(
                [
                    ("voucher", "POS/A", 80.0, 30.0, 0.0, ""),
                    ("voucher", "POS/B", 25.0, 20.0, 0.0, ""),
                    ("voucher", "POS/A", 0.0, -10.0, 0.0, "returned a mug"),
                    ("points", "POS/P", 40.0, 6.0, 600.0, ""),
                    ("points", "POS/P", 0.0, -0.6, -60.0, "returned a cup"),
                ]
            ),
        )
        self.assertEqual(rows.filtered(lambda r: r.bill_ref == "POS/B").partner_id.ids, [])

    def test_store_isolation(self):
        mine = self.grouped(
            "vms.report.redemption", ["store_id"], ["amount:sum"], user=self.store_user
        )
        self.assertEqual(mine, {self.company: (45.4,)})
        theirs = (
            self.env["vms.report.redemption"]
            .with_user(self.other_store_user)
            .with_context(allowed_company_ids=[self.other_company.id])
        )
        self.assertEqual(
            theirs.search([]).mapped(lambda r: (r.store_id, r.amount, r.bill_ref)),
            [(self.other_company, 7.0, "POS/O")],
        )
        campaigns = theirs.env["vms.report.campaign"].search([])
        self.assertEqual(set(campaigns.store_id), {self.other_company})

    def test_export_goes_through_odoo_export(self):
        self.manager.group_ids += self.env.ref("base.group_allow_export")
        rows = (
            self.env["vms.report.redemption"]
            .with_user(self.manager)
            .search([("kind", "=", "voucher")], order="date, id")
        )
        data = rows.export_data(["bill_ref", "amount", "partner_id/name"])["datas"]
        self.assertEqual(
            data,
            [
                ["POS/A", 30.0, self.partner.name],
                ["POS/B", 20.0, ""],
                ["POS/A", -10.0, self.partner.name],
            ],
        )


@tagged("post_install", "-at_install")
class TestReportCampaign(ReportCase):
    """Campaign effect: issued, handed over, activated, redeemed, rate, amount."""

    def test_campaign_effect_per_month(self):
        measures = [
            "issued_count:sum",
            "handed_over_count:sum",
            "activated_count:sum",
            "redeemed_count:sum",
            "redemption_rate:avg",
            "amount:sum",
        ]
        rows = self.grouped(
            "vms.report.campaign",
            ["campaign_id", "date:month"],
            measures,
            domain=[("campaign_id", "=", self.campaign.id)],
        )
        march, april = (
            rows[self.campaign, datetime(2026, 3, 1)],
            rows[self.campaign, datetime(2026, 4, 1)],
        )
        self.assertEqual(march[:4], (3, 1, 2, 2))
        self.assertAlmostEqual(march[4], 200.0 / 3)
        self.assertEqual(march[5], 50.0)
        self.assertEqual(april[:4], (0, 0, 0, 0))
        self.assertFalse(april[4])  # no voucher issued in April: no rate (NULL)
        self.assertEqual(april[5], -10.0)


@tagged("post_install", "-at_install")
class TestReportOperator(ReportCase):
    """Operator audit: per operator and store, and the flags against the
    store's median."""

    MEASURES = [
        "redemption_count:sum",
        "amount:sum",
        "refusal_count:sum",
        "otp_sent_count:sum",
        "otp_failed_count:sum",
        "no_customer_count:sum",
        "reversal_count:sum",
    ]

    def otp(self, user, state, when):
        with freeze_time(when):
            return (
                self.env["vms.otp"]
                .with_user(user)
                .sudo()
                .create(
                    {
                        "partner_id": self.partner.id,
                        "phone": "+32470123456",
                        "purpose": "voucher_redemption",
                        "reference": "POS/A",
                        "amount": 30.0,
                        "currency_id": self.company.currency_id.id,
                        "company_id": self.company.id,
                        "code_hash": "x",
                        "salt": "y",
                        "expires_at": "2026-03-05 09:05:00",
                        "max_attempts": 3,
                        "state": state,
                    }
                )
            )

    def test_operator_measures(self):
        self.refusals(self.store_user, 2, when="2026-03-05 10:00:00")
        self.otp(self.store_user, "used", "2026-03-05 09:00:00")
        self.otp(self.store_user, "canceled", "2026-03-05 09:00:00")
        self.otp(self.store_user, "pending", "2026-03-05 09:00:00")  # expired since
        rows = self.grouped(
            "vms.report.operator",
            ["user_id", "store_id"],
            self.MEASURES,
            domain=[("user_id", "in", [self.store_user.id, self.manager.id])],
        )
        self.assertEqual(
            rows,
            {
                (self.store_user, self.company): (3, 56.0, 2, 3, 2, 1, 0),
                (self.manager, self.company): (0, -10.6, 0, 0, 0, 0, 2),
            },
        )

    def test_a_manager_audits_the_operators_of_its_own_stores(self):
        self.refusals(self.store_user, 2, when="2026-03-05 10:00:00")
        self.refusals(
            self.other_store_user, 5, when="2026-03-05 10:00:00", store=self.other_company
        )
        other_manager = new_test_user(
            self.env,
            login="vms_other_manager",
            groups="base.group_user,vms_loyalty.group_vms_manager",
            company_id=self.other_company.id,
            company_ids=[self.other_company.id],
        )
        for model in ("vms.report.operator", "vms.report.operator.flag"):
            with self.subTest(model=model):
                mine = self.grouped(model, ["store_id"], ["refusal_count:sum"])
                self.assertEqual(mine, {self.company: (2,)})
                theirs = (
                    self.env[model]
                    .with_user(other_manager)
                    .with_context(allowed_company_ids=[self.other_company.id])
                    ._read_group([], ["store_id", "user_id"], ["refusal_count:sum"])
                )
                self.assertEqual(
                    [tuple(row) for row in theirs],
                    [(self.other_company, self.other_store_user, 5)],
                )

    def test_operator_above_three_times_the_median_is_flagged(self):
        self.refusals(self.store_user, 7)
        self.refusals(self.vms_user, 1)
        self.refusals(self.manager, 2)
        self.refusals(self.other_store_user, 50, store=self.other_company)
        flags = (
            self.env["vms.report.operator.flag"]
            .with_user(self.manager)
            .search([("month", "=", "2026-05-01")])
        )
        self.assertEqual(
            sorted(
                (f.user_id.login, f.refusal_count, f.flag_refusal_count, f.flagged) for f in flags
            ),
            [
                ("vms_manager", 2, False, False),
                ("vms_store", 7, True, True),
                ("vms_user", 1, False, False),
            ],
        )
        self.assertEqual(flags.filtered("flagged").flag_count, 1)

    def test_a_refusal_is_recorded_on_its_own_connection(self):
        """The engine's refusal rolls its request back; the audit row stays,
        without the code presented or anyone's name."""
        self.addCleanup(self._forget_refusals, self.store_user.id)
        self.voucher_c.with_user(self.manager).action_block(reason="stolen")
        with self.assertRaises(VmsError) as caught:
            self.env["vms.redemption"].with_user(self.store_user)._vms_hold(
                self.voucher_c.code,
                5.0,
                order_ref="POS/X",
                idempotency_key="report-refused",
                channel="pos",
                partner=self.partner_2,
            )
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT code, store_id FROM vms_refusal WHERE user_id = %s",
                [self.store_user.id],
            )
            self.assertEqual(cr.fetchall(), [(caught.exception.code, self.company.id)])
        self.assertNotIn(self.voucher_c.code, caught.exception.code)

    def test_a_refused_points_spend_is_recorded_once(self):
        self.addCleanup(self._forget_refusals, self.store_user.id)
        with self.assertRaises(VmsError) as caught:
            self.Engine._vms_points_redeem(
                self.card,
                points=10**6,
                order_ref="POS/TOO-MANY",
                idempotency_key="report-refused-points",
                channel="pos",
            )
        with self.registry.cursor() as cr:
            cr.execute("SELECT code FROM vms_refusal WHERE user_id = %s", [self.store_user.id])
            self.assertEqual(cr.fetchall(), [(caught.exception.code,)])

    def test_a_refused_preview_is_not_recorded(self):
        """Validate spends nothing and may run on a replica: its refusal is
        answered, not audited."""
        self.addCleanup(self._forget_refusals, self.store_user.id)
        self.voucher_c.with_user(self.manager).action_block(reason="stolen")
        with self.assertRaises(VmsError):
            self.env["vms.redemption"].with_user(self.store_user)._vms_validate(
                self.voucher_c.code, 5.0, partner=self.partner_2
            )
        with self.registry.cursor() as cr:
            cr.execute("SELECT count(*) FROM vms_refusal WHERE user_id = %s", [self.store_user.id])
            self.assertEqual(cr.fetchone(), (0,))

    def test_a_throttled_callers_refusals_are_not_recorded(self):
        """A caller refused for too many unknown barcodes is counted where the
        throttle is; an audit row per try would let it flood the audit."""
        uid = self.store_user.id
        self.addCleanup(self._forget_refusals, uid)
        self.addCleanup(self._forget_lookup_failures, uid)
        with self.registry.cursor() as cr:
            cr.execute(
                "INSERT INTO vms_voucher_lookup_failure (user_id, date) "
                "SELECT %s, now() at time zone 'UTC' FROM generate_series(1, %s)",
                [uid, UNKNOWN_LIMIT],
            )
        unknown = "200000000000" + str(codes.ean13_check_digit("200000000000"))
        for _try in range(3):
            with self.assertRaises(VmsError) as caught:
                self.env["vms.redemption"].with_user(self.store_user)._vms_hold(
                    unknown,
                    5.0,
                    order_ref="POS/T",
                    idempotency_key=f"report-throttled-{_try}",
                    channel="pos",
                )
            self.assertEqual(caught.exception.code, "too_many_unknown_codes")
        with self.registry.cursor() as cr:
            cr.execute("SELECT count(*) FROM vms_refusal WHERE user_id = %s", [uid])
            self.assertEqual(cr.fetchone(), (0,))

    def test_refusals_are_kept_for_thirteen_months(self):
        uid = self.store_user.id
        self.addCleanup(self._forget_refusals, uid)
        now = fields.Datetime.now()
        with self.registry.cursor() as cr:
            for days in (401, 399):
                cr.execute(
                    "INSERT INTO vms_refusal (date, code, user_id, store_id) "
                    "VALUES (%s, 'voucher_blocked', %s, %s)",
                    [now - timedelta(days=days), uid, self.company.id],
                )
        with self.registry.cursor() as cr:
            self.env(cr=cr)["vms.refusal"]._gc_old_refusals()
        with self.registry.cursor() as cr:
            cr.execute("SELECT date FROM vms_refusal WHERE user_id = %s", [uid])
            dates = [date for (date,) in cr.fetchall()]
        self.assertEqual(len(dates), 1)
        self.assertGreater(dates[0], now - timedelta(days=400))

    def _forget_lookup_failures(self, user_id):
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM vms_voucher_lookup_failure WHERE user_id = %s", [user_id])

    def _forget_refusals(self, user_id):
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM vms_refusal WHERE user_id = %s", [user_id])


@tagged("post_install", "-at_install")
class TestReportRedemptionPdf(ReportCase):
    """The printed report, rendered by wkhtmltopdf and read back as text.

    wkhtmltopdf is pointed at a closed port for the report's assets: asked of
    the test server, they would wait on this test's own open transaction while
    the test waits on wkhtmltopdf. The text checked does not depend on them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].sudo().set_param("report.url", "http://127.0.0.1:9")

    def test_pdf_for_a_period_and_store(self):
        wizard = (
            self.env["vms.report.redemption.print"]
            .with_user(self.manager)
            .create(
                {"date_from": "2026-04-01", "date_to": "2026-04-30", "store_id": self.company.id}
            )
        )
        report = self.env.ref("vms_loyalty.action_report_vms_redemption").with_user(self.manager)
        pdf, kind = report.with_context(force_report_rendering=True)._render_qweb_pdf(
            report.report_name, wizard.ids
        )
        self.assertEqual((kind, pdf[:5]), ("pdf", b"%PDF-"))
        text = subprocess.run(
            ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
        ).stdout.decode()
        text = " ".join(text.replace("\u200b", "").split())
        self.assertIn("Period: 04/01/2026 to 04/30/2026; Store: VMS Test Retail", text)
        # Date wise: the reversal of 2 April, the points of 3 April, the total.
        self.assertIn("04/02/2026 0 1 $ -10.00 0.000", text)
        self.assertIn("04/03/2026 1 1 $ 5.40 540.000", text)
        self.assertIn("Total 1 2 $ -4.60 540.000", text)
        self.assertIn(f"{self.partner.name} 1 2 $ -4.60 540.000", text)
        self.assertIn("Points POS/P $ 40.00 $ 6.00 600.000", text)
        self.assertNotIn("POS/B", text)  # March: outside the period


@tagged("post_install", "-at_install")
class TestDashboard(ReportCase):
    """The manager's key figures per store, from the reports, for this month."""

    def dashboard(self, user, companies):
        Dashboard = (
            self.env["vms.dashboard"]
            .with_user(user)
            .with_context(tz="UTC", allowed_company_ids=companies.ids)
        )
        data = Dashboard.get_dashboard_data()
        figures = {store["name"]: store["values"] for store in data["stores"]}
        return Dashboard, [m["key"] for m in data["measures"]], figures

    def test_figures_of_this_month_per_store(self):
        self.refusals(self.store_user, 7, when="2026-03-05 10:00:00")
        self.refusals(self.vms_user, 1, when="2026-03-05 10:00:00")
        self.refusals(self.manager, 2, when="2026-03-06 10:00:00")
        self.refusals(self.manager, 4, when="2026-02-27 10:00:00")  # last month
        with freeze_time("2026-03-20 12:00:00"):
            _dashboard, _keys, figures = self.dashboard(self.manager, self.company)
        march = figures[self.company.name]
        self.assertEqual(
            {key: march[key] for key in ("redeemed_amount", "redemption_count", "issued_count")},
            {"redeemed_amount": 50.0, "redemption_count": 2, "issued_count": 3},
        )
        self.assertEqual((march["refusal_count"], march["flagged_operators"]), (10, 1))

    def test_a_store_sees_its_own_stores_and_only_what_it_may_read(self):
        self.manager.company_ids |= self.other_company
        both = self.company | self.other_company
        with freeze_time("2026-04-20 12:00:00"):
            _dashboard, _keys, figures = self.dashboard(self.manager, both)
            _dashboard, store_keys, own = self.dashboard(self.store_user, self.company)
        self.assertAlmostEqual(figures[self.company.name]["redeemed_amount"], -4.6)
        self.assertEqual(figures[self.other_company.name]["redeemed_amount"], 7.0)
        self.assertEqual(list(own), [self.company.name])
        self.assertAlmostEqual(own[self.company.name]["redeemed_amount"], -4.6)
        # The operator audit is the managers': not on a store user's dashboard.
        self.assertNotIn("refusal_count", store_keys)
        self.assertNotIn("flagged_operators", store_keys)

    def test_a_figure_opens_its_report_filtered_as_the_figure(self):
        with freeze_time("2026-03-20 12:00:00"):
            Dashboard, _keys, _figures = self.dashboard(self.manager, self.company)
            action = Dashboard.action_open_measure("redeemed_amount", self.company.id)
            rows = self.env[action["res_model"]].with_user(self.manager).search(action["domain"])
            self.assertEqual(sum(rows.mapped("amount")), 50.0)
            self.assertEqual(action["res_model"], "vms.report.redemption")
            for wrong in (self.other_company.id, float(self.company.id), True, "1", None):
                with self.subTest(store_id=wrong), self.assertRaises(UserError):
                    Dashboard.action_open_measure("redeemed_amount", wrong)
            # A zone Odoo does not know falls back to UTC, as Odoo does.
            self.assertTrue(Dashboard.with_context(tz="Bad/Zone").get_dashboard_data()["stores"])
            with self.assertRaises(UserError):
                Dashboard.with_user(self.store_user).action_open_measure(
                    "refusal_count", self.company.id
                )
