"""The *Performance* page: how the published days went as they were driven, as trends.

On-time rate, failed-delivery rate, cost per delivered order and the customers' rating per day
or per ISO week (``view=week``), from :func:`scenarios.execution.scorecard.actual_for_range`
without the re-plan (the price of personalization is the CLI's: ``lastmile scorecard --actual``).
Both dispatchers and planners may look.
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import Blueprint, current_app, render_template, request
from flask_login import login_required

from webui.pages import charts

bp = Blueprint("performance", __name__)
log = logging.getLogger(__name__)

DEFAULT_DAYS = 28
MAX_DAYS = 190  # about half a year on one page


def _range(args) -> tuple[str, str, str | None]:
    """``(from, to, problem)`` from the query; the default is the 28 days up to today."""
    today = dt.date.today()
    raw_to, raw_from = args.get("to") or today.isoformat(), args.get("from") or ""
    try:
        end = dt.date.fromisoformat(raw_to)
    except ValueError:
        return "", "", f"to: '{raw_to}' is not a date; write it as YYYY-MM-DD"
    try:
        start = dt.date.fromisoformat(raw_from) if raw_from else end - dt.timedelta(days=DEFAULT_DAYS - 1)
    except ValueError:
        return "", "", f"from: '{raw_from}' is not a date; write it as YYYY-MM-DD"
    if start > end:
        return "", "", f"from: {start} is after to ({end}); give the earlier date first"
    if (end - start).days + 1 > MAX_DAYS:
        return "", "", f"from/to: {(end - start).days + 1} days is more than {MAX_DAYS}; choose a shorter range"
    return start.isoformat(), end.isoformat(), None


def trend_charts(rows: list[dict], label_key: str, currency: str) -> dict:
    """The four trend lines over ``rows`` (days or weeks, as :func:`optimizer.actual.combine` rows)."""
    labels = [r[label_key] for r in rows]
    return {
        "on_time": charts.line_chart([("slot", [100 * r["on_time_rate"] for r in rows]),
                                      ("ETA", [100 * r["on_time_eta_rate"] for r in rows])],
                                     labels, title="On time (%)", unit="%"),
        "failed": charts.line_chart([("failed", [100 * r["failed_rate"] for r in rows])], labels,
                                    title="Failed deliveries (% of attempted)", unit="%"),
        "cost": charts.line_chart([("actual", [r["cost_per_order"] for r in rows])], labels,
                                  title="Cost per delivered order", unit=currency),
        "rating": charts.line_chart([("rating", [r["rating_average"] for r in rows if r["feedback_count"]])],
                                    [r[label_key] for r in rows if r["feedback_count"]],
                                    title="Customer rating (1-5)", unit=""),
    }


@bp.route("/performance")
@login_required
def view():
    from scenarios.dispatch.errors import DayError
    from scenarios.execution.scorecard import actual_for_range

    wb = current_app.extensions["lastmile.workbench"]
    weekly = request.args.get("view") == "week"
    start, end, error = _range(request.args)
    report, rows, figures, currency = None, [], {}, ""
    if error is None:
        try:
            scenario = wb.scenario
            currency = scenario.spec.currency
            report = actual_for_range(wb.db, scenario, start, end, counterfactual=False, network=wb.network)
        except DayError as exc:
            error = "; ".join([str(exc), *exc.problems])
        except ValueError as exc:
            error = str(exc)
    if report is not None and report.days:
        rows = report.weekly if weekly else [dict(r, period=r["date"]) for r in report.days]
        figures = trend_charts(rows, "period", currency)
    status = 400 if error and error.split(":")[0] in ("from", "to", "from/to") else 200
    return render_template("performance.html", start=start, end=end, weekly=weekly, error=error, report=report,
                           rows=rows, figures=figures, currency=currency), status


def day_actual(wb, date: str) -> dict | None:
    """The plan-against-actual figures of ``date`` for the day page's ``_actual.html``
    (:meth:`optimizer.actual.ActualScorecard.to_dict`), or None while nothing published was driven.

    The day page keeps working when the scorecard cannot be made: the cause is logged.
    """
    from sqlalchemy import select

    from scenarios.execution.scorecard import NothingPublished, actual_for_day
    from scheduling.storage.models import DeliveryEventRow

    with wb.db.session() as s:  # most days have no events yet: no matrices for them
        if s.scalars(select(DeliveryEventRow.id).where(DeliveryEventRow.date == date,
                                                       DeliveryEventRow.scenario == wb.scenario_name).limit(1)).first() is None:
            return None
    try:
        card = actual_for_day(wb.db, wb.scenario, date, counterfactual=False, network=wb.network)
    except NothingPublished:
        return None
    except Exception:  # noqa: BLE001 - a side panel must not take the day page down
        log.exception("the actual scorecard of %s could not be made", date)
        return None
    return card.to_dict() if card.vehicles_driven else None
