"""The forecast and capacity commands refuse a bad history row by row (exit status 2)."""

import pytest

from scenarios.history_gen import HISTORY_SETTINGS
from webui.cli import HISTORY_SETTING_CHOICES, build_parser, main


def test_forecast_and_capacity_commands_are_registered():
    parser = build_parser()
    args = parser.parse_args(["forecast", "--scenario", "gothenburg", "--horizon", "14"])
    assert args.horizon == 14 and args.func.__name__ == "cmd_forecast"
    args = parser.parse_args(["capacity", "--scenario", "gothenburg", "--date", "2026-11-27"])
    assert str(args.date) == "2026-11-27" and args.quantile == 0.8 and args.func.__name__ == "cmd_capacity"


def test_forecast_and_capacity_take_a_history_setting_clean_by_default(capsys):
    assert HISTORY_SETTING_CHOICES == HISTORY_SETTINGS
    parser = build_parser()
    assert parser.parse_args(["forecast"]).history_setting == "clean"
    assert parser.parse_args(["forecast", "--history-setting", "messy"]).history_setting == "messy"
    assert parser.parse_args(["capacity", "--date", "2026-11-27", "--history-setting", "messy"]).history_setting == "messy"
    for command in (["forecast"], ["capacity", "--date", "2026-11-27"]):
        with pytest.raises(SystemExit) as exc:
            parser.parse_args(command + ["--history-setting", "real"])
        assert exc.value.code == 2
        err = capsys.readouterr().err
        assert "--history-setting: invalid choice: 'real'" in err and "clean" in err and "messy" in err


def test_a_bad_history_is_reported_row_by_row_and_nothing_is_forecast(tmp_path, capsys):
    path = tmp_path / "history.csv"
    path.write_text(
        "order_id,delivery_date,slot,zone\n"
        "a1,2026-11-20,08:00-10:00,Z-1-1\n"
        "a1,2026-11-21,08:00-10:00,Z-1-1\n"
        "a3,2026-11-22,08:00-10:00,Nowhere\n"
        "a4,2026-12-24,08:00-10:00,Z-1-1\n"
    )
    code = main(["forecast", "--history", str(path), "--start", "2026-11-24", "--quiet", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2
    assert "line 3, column order_id: 'a1' repeats line 2" in err
    assert "line 4, column zone: unknown zone 'Nowhere'" in err
    assert "line 5, column delivery_date: 2026-12-24 is in the future (after 2026-11-23)" in err
    assert "nothing was imported" in err
    assert not (tmp_path / "o").exists()


def test_a_history_shorter_than_a_year_is_forecast_weekly_and_the_output_says_so(tmp_path, capsys):
    import datetime as dt

    path = tmp_path / "history.csv"
    days = [dt.date(2026, 6, 1) + dt.timedelta(days=k) for k in range(120)]
    rows = [f"o{d:%Y%m%d}-{z}-{k},{d},18:00-20:00,{z}" for d in days for z in ("Z-1-1", "Z-2-2") for k in range(6 + d.day % 4)]
    path.write_text("order_id,delivery_date,slot,zone\n" + "\n".join(rows) + "\n")
    code = main(["forecast", "--history", str(path), "--start", "2026-09-29", "--horizon", "3", "--out", str(tmp_path / "o")])
    out = capsys.readouterr().out.replace("\n", " ")
    assert code == 0
    assert "weekly model: 120 days of history, the annual season needs 400" in out
    assert "Z-1-1: city_share" in out and (tmp_path / "o" / "forecast.csv").exists()
