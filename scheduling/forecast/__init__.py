"""Demand forecasts per zone, day and slot: models, their backtest, and the city-zone reconciliation.

* :mod:`scheduling.forecast.regressors` - the calendar a model sees (weekday, trend, annual
  season, the Christmas run-up, holidays, promotions);
* :mod:`scheduling.forecast.models` - daily models of one series;
* :mod:`scheduling.forecast.backtest` - rolling-origin scores, by season and zone;
* :mod:`scheduling.forecast.reconcile` - zone forecasts that add up to the city's;
* :mod:`scheduling.forecast.demand` - the whole forecast of a scenario's zones and slots.
"""

from scheduling.forecast.demand import (
    CITY,
    CITY_SHARE_METHOD,
    FALLBACK_METHOD,
    DemandForecast,
    ForecastSettings,
    ZoneForecast,
    default_candidates,
    forecast_demand,
    slot_profile,
)

__all__ = [
    "CITY",
    "CITY_SHARE_METHOD",
    "FALLBACK_METHOD",
    "DemandForecast",
    "ForecastSettings",
    "ZoneForecast",
    "default_candidates",
    "forecast_demand",
    "slot_profile",
]
