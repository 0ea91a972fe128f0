"""The alternative a user would write: the same core marts in pandas, from the same raw files, the way a notebook does
it (read_json lines by hand, read_excel, read_csv with the right encoding, a few parsing functions applied to the
distinct values, merges and groupbys). The rules are those of bench/sql/lower_bound.sql; see its header."""
from __future__ import annotations

import hashlib
import json
import re
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

STRIP = re.compile(r"^\s+|\s+$")
DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*(天|日|d|days?|周|星期|w|weeks?|个月|月|months?)?$", re.IGNORECASE)
DAYS_PER_UNIT = {"周": 7, "星期": 7, "w": 7, "week": 7, "weeks": 7, "个月": 30, "月": 30, "month": 30, "months": 30}
TRACKER_COLUMNS = ["客户名称", "所属行业", "公司规模", "联系人", "职务", "联系方式", "当前阶段", "进入阶段时间",
                   "上一阶段停留时长", "关键动作记录", "下一步计划", "负责人", "预估金额(万)", "风险提示"]


# ------------------------------------------------------------------------------------------------ parsing
def clean(value: Any) -> str | None:
    if _missing(value):
        return None
    text = STRIP.sub("", str(value).replace("\u3000", " "))
    return text or None


def cell_text(value: Any) -> Any:
    """An Excel cell as text: whole numbers without .0, date cells as YYYY-MM-DD."""
    if _missing(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float)):
        return str(value)
    return value


def parse_day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        if re.fullmatch(r"\d{5}(\.\d+)?", text):
            number = float(text)
            return date(1899, 12, 30) + timedelta(days=int(number)) if 20000 <= number <= 80000 else None
        if re.match(r"^\d{4}-\d{2}-\d{2}T", text):
            return date(int(text[0:4]), int(text[5:7]), int(text[8:10]))
        match = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", text) or re.fullmatch(
            r"(\d{4})年(\d{1,2})月(\d{1,2})日?", text)
        if match:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
        if match:
            return date(int(match.group(3)), int(match.group(1)), int(match.group(2)))
        for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M"):
            try:
                return datetime.strptime(text, fmt).date()
            except ValueError:
                continue
    except ValueError:
        return None
    return None


def parse_amount(text: str | None, unit: float) -> float | None:
    """元 from '35.5万', '355,000元' or a bare number in `unit`; nan when it is not a non-negative number."""
    if text is None:
        return None
    text = text.replace(",", "").replace("，", "").replace("¥", "").replace("￥", "")
    scale = unit
    if text.endswith("万元") or text.endswith("万"):
        text, scale = text.rstrip("元").rstrip("万").strip(), 10000
    elif text.endswith("元"):
        text, scale = text[:-1].strip(), 1
    if not re.fullmatch(r"\+?\d+(\.\d+)?", text):
        return float("nan")
    return round(float(text) * scale, 2)


def parse_days(text: str | None) -> float | None:
    match = DURATION.match(text) if text else None
    if not match:
        return None
    return float(round(float(match.group(1)) * DAYS_PER_UNIT.get((match.group(2) or "天").lower(), 1)))


def on_distinct(series: pd.Series, function) -> pd.Series:
    """function applied once per distinct value (parsing is per value; the values repeat a lot)."""
    values = [value for value in series.unique() if not _missing(value)]
    return series.map(dict(zip(values, (function(value) for value in values))))


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and np.isnan(value))


def cleaned(series: pd.Series) -> pd.Series:
    return on_distinct(series.astype(object), clean)


def stage_key(value: Any) -> str | None:
    return None if _missing(value) else re.sub(r"\s", "", str(value)).lower()


def to_utc(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, utc=True, format="ISO8601", errors="coerce").dt.tz_localize(None)


def parse_timestamps(series: pd.Series) -> pd.Series:
    parsed = to_utc(series)
    missing = parsed.isna() & series.notna()
    if missing.any():
        parsed[missing] = pd.to_datetime(on_distinct(series[missing], parse_day))
    return parsed


def round_half_up(values: pd.Series, digits: int) -> pd.Series:
    factor = 10.0 ** digits
    return np.sign(values) * np.floor(np.abs(values) * factor + 0.5 + 1e-9) / factor


def whole_days_between(start: pd.Series, end: pd.Series) -> pd.Series:
    """Whole calendar days from start to end: the difference of their dates (the marts' whole_days_between)."""
    return (end.dt.normalize() - start.dt.normalize()).dt.days


# ------------------------------------------------------------------------------------------------ reading
def read_hubspot(files: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    deals, history = [], []
    for path in files:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if not line.strip():
                    continue
                deal = json.loads(line)
                props = deal.get("properties") or {}
                deals.append((
                    str(deal["id"]), props.get("pipeline"), props.get("dealname"),
                    props.get("createdate") or deal.get("createdAt"), props.get("dealstage"), props.get("closedate"),
                    props.get("amount"), props.get("deal_currency_code"), props.get("closed_lost_reason"),
                    bool(deal.get("archived")), deal.get("archivedAt"),
                ))
                entries = (deal.get("propertiesWithHistory") or {}).get("dealstage")
                if entries is None:  # the API answers with the current stage at the creation
                    entries = [] if props.get("dealstage") is None else [
                        {"value": props["dealstage"], "timestamp": deal.get("createdAt")}]
                history.extend((str(deal["id"]), entry.get("value") or "", entry.get("timestamp"))
                               for entry in entries)
    frame = pd.DataFrame(deals, columns=[
        "source_deal_id", "pipeline_id", "deal_name", "created_at", "current_stage_value", "closed_at", "amount",
        "currency_code", "loss_reason_text", "is_archived", "archived_at"])
    for column in ("created_at", "closed_at", "archived_at"):
        frame[column] = to_utc(frame[column])
    frame["amount"] = pd.to_numeric(frame["amount"], errors="coerce")
    currency = frame["currency_code"].astype(object).where(frame["currency_code"].notna(), None)
    frame["currency_code"] = currency.map(lambda v: (v.strip().upper() or None) if isinstance(v, str) else None)
    frame["currency_code"] = frame["currency_code"].fillna("CNY")
    frame["loss_reason_text"] = cleaned(frame["loss_reason_text"])
    changes = pd.DataFrame(history, columns=["source_deal_id", "stage", "changed_at"])
    changes["changed_at"] = to_utc(changes["changed_at"])
    return frame, changes.drop_duplicates()


def read_trackers(files: list[str]) -> pd.DataFrame:
    """The trackers as written: every sheet of the .xlsx workbooks (title rows above the header), CSVs in GBK or
    UTF-8; in reading order."""
    frames = []
    for path in files:
        name = Path(path).name
        team = re.match(r"^销售跟进表_([^_.]+)", name).group(1)
        if path.lower().endswith(".xlsx"):
            sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object)
            grids = list(sheets.values())
        else:
            with open(path, "rb") as handle:
                head = handle.read()
            try:
                head.decode("utf-8")
                encoding = "utf-8-sig"
            except UnicodeDecodeError:
                encoding = "gb18030"
            grids = [pd.read_csv(path, header=None, dtype=str, encoding=encoding, keep_default_na=False)]
        for grid in grids:
            grid = grid.map(cell_text) if len(grid) else grid
            is_header = grid.apply(lambda row: "客户名称" in [clean(v) for v in row.tolist()], axis=1)
            if not is_header.any():
                continue
            at = int(np.argmax(is_header.to_numpy()))
            body = grid.iloc[at + 1:].copy()
            body.columns = [clean(v) or f"column_{i}" for i, v in enumerate(grid.iloc[at].tolist())]
            body = body.reindex(columns=TRACKER_COLUMNS)
            body["team"] = team
            frames.append(body)
    return pd.concat(frames, ignore_index=True)


def read_csvs(files: list[str]) -> pd.DataFrame:
    return pd.concat([pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False) for path in files],
                     ignore_index=True)


# ------------------------------------------------------------------------------------------------ the marts
def run(raw_inputs: dict[str, Any], seeds_dir: Path, as_of: str, out_dir: Path) -> dict[str, Any]:
    started = time.perf_counter()
    marts = compute(raw_inputs, seeds_dir, as_of)
    seconds = time.perf_counter() - started
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, frame in marts.items():
        frame.to_parquet(out_dir / f"{name}.parquet", index=False)
    return {"seconds": round(seconds, 3), "mart_rows": {name: len(frame) for name, frame in marts.items()},
            "out_dir": str(out_dir)}


def compute(raw_inputs: dict[str, Any], seeds_dir: Path, as_of: str) -> dict[str, pd.DataFrame]:
    as_of_day = pd.Timestamp(as_of)
    cutoff = as_of_day + pd.Timedelta(days=1)

    # the funnel
    stages = pd.read_csv(seeds_dir / "funnel_stages.csv", dtype={"stage_code": str, "stage_type": str})
    stage_map = pd.read_csv(seeds_dir / "funnel_stage_map.csv", dtype=str)
    stage_map = stage_map.merge(stages[["stage_code", "stage_order", "stage_type"]], on="stage_code")
    stage_map["pipeline_id"] = stage_map["pipeline_id"].fillna("default")
    stage_map["key"] = stage_map["source_stage"].map(stage_key)
    lookup = stage_map.groupby(["source", "key"], as_index=False).agg(
        lookup_code=("stage_code", "min"), lookup_pipeline=("pipeline_id", "min"))
    pipeline_stages = stage_map[["source", "pipeline_id", "stage_code", "stage_order", "stage_type"]].drop_duplicates()
    ranked = pipeline_stages[pipeline_stages["stage_type"] != "lost"].copy()
    ranked["rank"] = ranked.groupby(["source", "pipeline_id"])["stage_order"].rank(method="dense")
    pipeline_stages = pipeline_stages.merge(ranked[["source", "pipeline_id", "stage_code", "rank"]],
                                            on=["source", "pipeline_id", "stage_code"], how="left")
    fx = pd.read_csv(seeds_dir / "fx_rates.csv", dtype={"currency_code": str}, parse_dates=["valid_from"])
    reason_map = pd.read_csv(seeds_dir / "loss_reason_map.csv", dtype=str)
    reasons = pd.read_csv(seeds_dir / "loss_reasons.csv")
    stage_codes = set(stages["stage_code"])

    def map_stage(source: pd.Series, raw: pd.Series) -> pd.DataFrame:
        keys = pd.DataFrame({"source": source.to_numpy(), "key": on_distinct(raw.astype(object), stage_key).to_numpy()})
        return keys.merge(lookup, on=["source", "key"], how="left")[["lookup_code", "lookup_pipeline"]]

    # HubSpot
    hubspot, hubspot_history = read_hubspot(raw_inputs["deal_files"])

    # trackers
    trackers = read_trackers(raw_inputs["tracker_sources"])
    trackers = trackers[trackers[TRACKER_COLUMNS].map(clean).notna().any(axis=1)].reset_index(drop=True)
    tracker = pd.DataFrame({
        "team": trackers["team"],
        "customer_name": cleaned(trackers["客户名称"]),
        "stage_raw": cleaned(trackers["当前阶段"]),
        "entered_text": cleaned(trackers["进入阶段时间"]),
        "previous_stage_days": on_distinct(cleaned(trackers["上一阶段停留时长"]), parse_days),
        "key_actions": cleaned(trackers["关键动作记录"]),
        "amount_text": cleaned(trackers["预估金额(万)"]),
    })
    tracker["stage_entered_on"] = on_distinct(tracker["entered_text"], parse_day)
    tracker["amount"] = on_distinct(tracker["amount_text"], lambda t: parse_amount(t, 10000))
    tracker["stage_code"] = map_stage(pd.Series("tracker_cn", index=tracker.index), tracker["stage_raw"])[
        "lookup_code"].to_numpy()
    tracker = tracker[
        tracker["customer_name"].notna() & tracker["stage_code"].notna() & tracker["stage_entered_on"].notna()
        & (tracker["amount_text"].isna() | tracker["amount"].notna())
    ]
    tracker = tracker.drop_duplicates(["team", "customer_name", "stage_code", "stage_entered_on"], keep="first")
    tracker["source_deal_id"] = [
        hashlib.md5(f"{t}|{c}|{s}|{d.isoformat()}".encode()).hexdigest()
        for t, c, s, d in zip(tracker["team"], tracker["customer_name"], tracker["stage_code"],
                              tracker["stage_entered_on"])
    ]
    tracker["key_action_count"] = tracker["key_actions"].map(
        lambda text: text.count("；") + 1 if isinstance(text, str) else np.nan)

    # the English export and its history
    export_raw = read_csvs(raw_inputs["export_files"])
    export = pd.DataFrame({
        "source_deal_id": cleaned(export_raw["Deal ID"]),
        "account_name": cleaned(export_raw["Account Name"]),
        "stage_raw": cleaned(export_raw["Stage"]),
        "entered_text": cleaned(export_raw["Stage Entered"]),
        "created_text": cleaned(export_raw["Created"]),
        "amount_text": cleaned(export_raw["Amount (CNY)"]),
        "lost_reason": cleaned(export_raw["Lost Reason"]),
    })
    export["stage_entered_on"] = on_distinct(export["entered_text"], parse_day)
    export["created_on"] = on_distinct(export["created_text"], parse_day)
    export["amount"] = on_distinct(export["amount_text"], lambda t: parse_amount(t, 1))
    export["stage_code"] = map_stage(pd.Series("export_en", index=export.index), export["stage_raw"])[
        "lookup_code"].to_numpy()
    export = export[
        export["source_deal_id"].notna() & export["account_name"].notna() & export["stage_code"].notna()
        & (export["entered_text"].isna() | export["stage_entered_on"].notna())
        & (export["created_text"].isna() | export["created_on"].notna())
        & (export["amount_text"].isna() | export["amount"].notna())
    ].drop_duplicates("source_deal_id", keep="first")

    history_raw = read_csvs(raw_inputs["history_files"])
    history = pd.DataFrame({
        "source_deal_id": cleaned(history_raw["Deal ID"]),
        "from_stage_raw": cleaned(history_raw["From Stage"]),
        "to_stage_raw": cleaned(history_raw["To Stage"]),
        "changed_at": parse_timestamps(cleaned(history_raw["Changed At"])),
    })
    history["read_order"] = np.arange(len(history))
    source = pd.Series("export_en", index=history.index)
    history["from_stage_code"] = map_stage(source, history["from_stage_raw"])["lookup_code"].to_numpy()
    history["to_stage_code"] = map_stage(source, history["to_stage_raw"])["lookup_code"].to_numpy()
    history = history[
        history["source_deal_id"].notna() & history["to_stage_code"].notna() & history["changed_at"].notna()
        & (history["from_stage_raw"].isna() | history["from_stage_code"].notna())
    ].drop_duplicates(["source_deal_id", "changed_at", "to_stage_code"], keep="first")

    # all deals in one shape
    def day_ts(series: pd.Series) -> pd.Series:
        return pd.to_datetime(series.astype(object).where(series.notna(), None))

    deals = pd.concat([
        pd.DataFrame({
            "deal_id": "hubspot:" + hubspot["source_deal_id"], "source": "hubspot",
            "source_deal_id": hubspot["source_deal_id"], "pipeline_id": hubspot["pipeline_id"],
            "created_at": hubspot["created_at"], "current_stage_value": hubspot["current_stage_value"],
            "ingested_stage_code": None, "stage_entered_on": pd.NaT, "previous_stage_days": np.nan,
            "key_action_count": np.nan, "closed_at": hubspot["closed_at"], "amount": hubspot["amount"],
            "currency_code": hubspot["currency_code"], "loss_reason_text": hubspot["loss_reason_text"],
            "is_archived": hubspot["is_archived"], "archived_at": hubspot["archived_at"],
        }),
        pd.DataFrame({
            "deal_id": "tracker_cn:" + tracker["source_deal_id"], "source": "tracker_cn",
            "source_deal_id": tracker["source_deal_id"], "pipeline_id": "default", "created_at": pd.NaT,
            "current_stage_value": tracker["stage_raw"], "ingested_stage_code": tracker["stage_code"],
            "stage_entered_on": day_ts(tracker["stage_entered_on"]),
            "previous_stage_days": tracker["previous_stage_days"].astype(float),
            "key_action_count": tracker["key_action_count"].astype(float), "closed_at": pd.NaT,
            "amount": tracker["amount"].astype(float), "currency_code": "CNY", "loss_reason_text": None,
            "is_archived": False, "archived_at": pd.NaT,
        }),
        pd.DataFrame({
            "deal_id": "export_en:" + export["source_deal_id"], "source": "export_en",
            "source_deal_id": export["source_deal_id"], "pipeline_id": "default",
            "created_at": day_ts(export["created_on"]), "current_stage_value": export["stage_raw"],
            "ingested_stage_code": export["stage_code"], "stage_entered_on": day_ts(export["stage_entered_on"]),
            "previous_stage_days": np.nan, "key_action_count": np.nan, "closed_at": pd.NaT,
            "amount": export["amount"].astype(float), "currency_code": "CNY", "loss_reason_text": export["lost_reason"],
            "is_archived": False, "archived_at": pd.NaT,
        }),
    ], ignore_index=True)
    for column in ("created_at", "stage_entered_on", "closed_at", "archived_at"):
        deals[column] = pd.to_datetime(deals[column]).astype("datetime64[us]")

    # stage changes: recorded ...
    deal_keys = deals[["deal_id", "source", "source_deal_id", "created_at"]]
    hubspot_recorded = hubspot_history.merge(deal_keys[deal_keys["source"] == "hubspot"], on="source_deal_id")
    hubspot_recorded = hubspot_recorded.assign(source_stage=hubspot_recorded["stage"], ingested_stage_code=None,
                                               is_inferred=False, is_entry_time_known=True)
    export_keys = deal_keys[deal_keys["source"] == "export_en"]
    export_recorded = history.merge(export_keys, on="source_deal_id").assign(is_inferred=False,
                                                                             is_entry_time_known=True)
    export_recorded = export_recorded.rename(columns={"to_stage_raw": "source_stage",
                                                      "to_stage_code": "ingested_stage_code"})
    first_moves = history.sort_values(["changed_at", "read_order"], kind="mergesort").drop_duplicates(
        "source_deal_id", keep="first")
    first_moves = first_moves[first_moves["from_stage_raw"].notna()].merge(export_keys, on="source_deal_id")
    created_first = (first_moves["created_at"] <= first_moves["changed_at"]).fillna(False).astype(bool)
    export_opening = pd.DataFrame({
        "deal_id": first_moves["deal_id"], "source": first_moves["source"],
        "source_stage": first_moves["from_stage_raw"], "ingested_stage_code": first_moves["from_stage_code"],
        "changed_at": first_moves["created_at"].where(created_first, first_moves["changed_at"]),
        "is_inferred": True, "is_entry_time_known": created_first,
    })
    columns = ["deal_id", "source", "source_stage", "ingested_stage_code", "changed_at", "is_inferred",
               "is_entry_time_known"]
    recorded = pd.concat([hubspot_recorded[columns], export_recorded[columns], export_opening[columns]],
                         ignore_index=True)
    mapped = map_stage(recorded["source"], recorded["source_stage"])
    ingested = recorded["ingested_stage_code"].where(recorded["ingested_stage_code"].isin(stage_codes))
    recorded["stage_code"] = mapped["lookup_code"].fillna(ingested).to_numpy()
    recorded["pipeline_id"] = mapped["lookup_pipeline"].fillna("default").to_numpy()

    # ... or inferred for the deals without any history
    snapshots = deals[~deals["deal_id"].isin(set(recorded["deal_id"]))].copy()
    mapped = map_stage(snapshots["source"], snapshots["current_stage_value"])
    ingested = snapshots["ingested_stage_code"].where(snapshots["ingested_stage_code"].isin(stage_codes))
    snapshots["stage_code"] = mapped["lookup_code"].to_numpy()
    snapshots["stage_code"] = snapshots["stage_code"].fillna(ingested)
    snapshots["pipeline_id"] = mapped["lookup_pipeline"].fillna("default").to_numpy()
    timed = snapshots.merge(stages[["stage_code", "stage_type"]], on="stage_code")
    closed = timed["stage_type"].isin(["won", "lost"]) & timed["closed_at"].notna()
    timed["entered_at"] = timed["stage_entered_on"].where(
        timed["stage_entered_on"].notna(), timed["closed_at"].where(closed, timed["created_at"]))
    timed["is_entered_at_known"] = timed["stage_entered_on"].notna() | closed
    timed["previous_entered_at"] = timed["entered_at"] - pd.to_timedelta(timed["previous_stage_days"], unit="D")
    open_ranks = pipeline_stages[pipeline_stages["stage_type"] == "open"].groupby(
        ["source", "pipeline_id"], as_index=False)["rank"].max().rename(columns={"rank": "last_open_rank"})
    timed = timed.merge(open_ranks, on=["source", "pipeline_id"], how="left").merge(
        pipeline_stages[["source", "pipeline_id", "stage_code", "rank"]].rename(columns={"rank": "current_rank"}),
        on=["source", "pipeline_id", "stage_code"], how="left")
    notes = timed["key_action_count"] - 1
    lost_rank = np.where(notes > timed["last_open_rank"], timed["last_open_rank"], np.where(notes >= 1, notes, 1))
    timed["path_last_rank"] = np.where(timed["stage_type"] == "lost", lost_rank, timed["current_rank"])
    path = timed.merge(pipeline_stages[pipeline_stages["rank"].notna()][["source", "pipeline_id", "stage_code",
                                                                         "rank"]].rename(
        columns={"stage_code": "path_stage"}), on=["source", "pipeline_id"])
    path = path[path["path_last_rank"] >= path["rank"]]
    fallback = path["previous_entered_at"].where(path["previous_entered_at"].notna(), path["entered_at"])
    at_current = (path["rank"] == path["path_last_rank"]) & (path["stage_type"] != "lost")
    at_first = (path["rank"] == 1) & (path["created_at"] <= fallback).fillna(False).astype(bool)
    at_previous = (path["rank"] == path["path_last_rank"]) | (
        (path["rank"] == path["path_last_rank"] - 1) & (path["stage_type"] != "lost"))
    path_changes = pd.DataFrame({
        "deal_id": path["deal_id"], "source": path["source"], "stage_code": path["path_stage"],
        "pipeline_id": path["pipeline_id"],
        "changed_at": path["entered_at"].where(at_current, path["created_at"].where(at_first, fallback)),
        "is_inferred": True,
        "is_entry_time_known": np.select(
            [at_current, at_first, at_previous],
            [path["is_entered_at_known"], True, path["is_entered_at_known"] & path["previous_entered_at"].notna()],
            False).astype(bool),
    })
    lost_rows = timed[timed["stage_type"] == "lost"]
    lost_changes = pd.DataFrame({
        "deal_id": lost_rows["deal_id"], "source": lost_rows["source"], "stage_code": lost_rows["stage_code"],
        "pipeline_id": lost_rows["pipeline_id"], "changed_at": lost_rows["entered_at"], "is_inferred": True,
        "is_entry_time_known": lost_rows["is_entered_at_known"].astype(bool),
    })
    change_columns = ["deal_id", "source", "stage_code", "pipeline_id", "changed_at", "is_inferred",
                      "is_entry_time_known"]
    changes = pd.concat([recorded[change_columns], path_changes, lost_changes], ignore_index=True)
    changes["changed_at"] = changes["changed_at"].astype("datetime64[us]")

    # stage events
    events = changes[changes["changed_at"] < cutoff].merge(
        stages[["stage_code", "stage_order", "stage_type"]], on="stage_code")
    events = events.sort_values(["deal_id", "changed_at", "stage_order", "is_inferred"], kind="mergesort")
    repeated = events.groupby("deal_id")["stage_code"].shift() == events["stage_code"]
    events = events[~repeated.to_numpy()].reset_index(drop=True)
    by_deal = events.groupby("deal_id", sort=False)
    events["event_sequence"] = by_deal.cumcount() + 1
    events["from_stage_code"] = by_deal["stage_code"].shift()
    events["from_stage_order"] = by_deal["stage_order"].shift()
    events["from_stage_type"] = by_deal["stage_type"].shift()
    events["from_pipeline_id"] = by_deal["pipeline_id"].shift()
    events["exited_at"] = by_deal["changed_at"].shift(-1)
    events["is_exit_time_known"] = by_deal["is_entry_time_known"].shift(-1)
    ranks = pipeline_stages[["source", "pipeline_id", "stage_code", "rank"]]
    events = events.merge(ranks.rename(columns={"rank": "to_rank"}), on=["source", "pipeline_id", "stage_code"],
                          how="left")
    events = events.merge(ranks.rename(columns={"pipeline_id": "from_pipeline_id", "stage_code": "from_stage_code",
                                                "rank": "from_rank"}),
                          on=["source", "from_pipeline_id", "from_stage_code"], how="left")
    events["direction"] = np.select(
        [events["from_stage_code"].isna(), events["stage_type"] == "lost",
         events["from_stage_type"].isin(["won", "lost"]), events["stage_order"] > events["from_stage_order"]],
        ["entry", "lost", "reopened", "forward"], "backward")
    forward_skip = events["to_rank"] - events["from_rank"] - 1
    events["stages_skipped"] = np.select(
        [events["direction"] == "entry", (events["direction"] == "forward") & (forward_skip > 0)],
        [(events["to_rank"] - 1).fillna(0), forward_skip], 0).astype(int)
    measurable = events["exited_at"].notna() & events["is_entry_time_known"] & (
        events["is_exit_time_known"].astype("boolean").fillna(False).astype(bool))
    events["days_in_stage"] = whole_days_between(events["changed_at"], events["exited_at"]).where(measurable)
    events["is_current_stage"] = events["exited_at"].isna()
    events = events.rename(columns={"stage_code": "to_stage_code", "stage_type": "to_stage_type"})

    # loss reasons
    texts = deals[["deal_id", "loss_reason_text"]].dropna()
    texts = texts[texts["loss_reason_text"].str.strip() != ""]
    exact = reason_map[reason_map["match_type"] == "exact"].assign(
        key=lambda f: f["reason_text"].str.strip().str.lower()).groupby("key")["reason_code"].min().to_dict()
    keywords = reason_map[reason_map["match_type"] == "contains"].assign(
        key=lambda f: f["reason_text"].str.strip().str.lower(), length=lambda f: f["reason_text"].str.strip().str.len())
    keywords = list(keywords.sort_values(["length", "reason_code"], ascending=[False, True])[
        ["key", "reason_code"]].itertuples(index=False, name=None))

    def reason_of(text: str) -> str:
        key = text.strip().lower()
        if key in exact:
            return exact[key]
        return next((code for word, code in keywords if word in key), "other")

    texts["loss_reason_code"] = on_distinct(texts["loss_reason_text"], reason_of)

    # fct_deals
    first_change = changes[changes["stage_code"].notna()].groupby("deal_id")["changed_at"].min().rename(
        "first_change_at")
    summary = events.groupby("deal_id").agg(
        stage_changes=("event_sequence", "size"),
        backward_moves=("direction", lambda d: int((d == "backward").sum())),
        stages_skipped=("stages_skipped", "sum"),
        has_inferred_stages=("is_inferred", "max"))
    current = events[events["is_current_stage"]][["deal_id", "to_stage_code", "from_stage_code", "changed_at",
                                                   "to_stage_type"]].rename(columns={
        "to_stage_code": "current_stage_code", "from_stage_code": "previous_stage_code",
        "changed_at": "current_stage_entered_at", "to_stage_type": "current_stage_type"})
    fct = deals.merge(first_change, left_on="deal_id", right_index=True, how="left")
    fct["is_created_at_inferred"] = fct["created_at"].isna()
    fct["has_mapped_stage"] = fct["first_change_at"].notna()
    fct["created_at"] = fct["created_at"].where(fct["created_at"].notna(), fct["first_change_at"])
    fct = fct.merge(current, on="deal_id", how="left").merge(summary, left_on="deal_id", right_index=True, how="left")
    rate_day = fct["created_at"].where(fct["created_at"].notna(), cutoff).dt.normalize()
    rates = fct[["deal_id", "currency_code"]].assign(day=rate_day, currency=fct["currency_code"].str.upper()).merge(
        fx.assign(currency=fx["currency_code"].str.upper())[["currency", "valid_from", "cny_per_unit"]], on="currency")
    rates = rates[rates["valid_from"] <= rates["day"]].sort_values("valid_from").drop_duplicates("deal_id", keep="last")
    fct = fct.merge(rates[["deal_id", "cny_per_unit"]], on="deal_id", how="left")
    fct = fct.merge(texts[["deal_id", "loss_reason_code"]], on="deal_id", how="left")
    archived = fct["is_archived"] & (fct["archived_at"].isna() | (fct["archived_at"] < cutoff))
    keep = ~archived & fct["has_mapped_stage"] & ~(fct["created_at"] >= cutoff) & fct["current_stage_code"].notna()
    fct = fct[keep].copy()
    won, lost = fct["current_stage_type"] == "won", fct["current_stage_type"] == "lost"
    fct["is_open"], fct["is_won"], fct["is_lost"] = fct["current_stage_type"] == "open", won, lost
    fct["closed_at"] = fct["current_stage_entered_at"].where(won | lost)
    fct["lost_from_stage_code"] = fct["previous_stage_code"].where(lost)
    fct["loss_reason_code"] = fct["loss_reason_code"].fillna("unspecified").where(lost)
    fct["amount_cny"] = round_half_up(fct["amount"] * fct["cny_per_unit"].astype(float), 2)
    fct["days_in_current_stage"] = (as_of_day - fct["current_stage_entered_at"].dt.normalize()).dt.days.where(
        fct["is_open"])
    fct["cycle_days"] = whole_days_between(fct["created_at"], fct["closed_at"]).where(
        fct["closed_at"].notna() & ~fct["is_created_at_inferred"])
    for column in ("stage_changes", "backward_moves", "stages_skipped"):
        fct[column] = fct[column].fillna(0).astype(int)
    fct["has_inferred_stages"] = fct["has_inferred_stages"].fillna(False).astype(bool)
    fct_deals = fct[["deal_id", "source", "source_deal_id", "pipeline_id", "current_stage_code",
                     "current_stage_entered_at", "days_in_current_stage", "is_open", "is_won", "is_lost",
                     "created_at", "is_created_at_inferred", "closed_at", "cycle_days", "amount_cny",
                     "currency_code", "loss_reason_code", "lost_from_stage_code", "stage_changes", "backward_moves",
                     "stages_skipped", "has_inferred_stages"]].reset_index(drop=True)

    fct_events = events[events["deal_id"].isin(set(fct_deals["deal_id"]))].copy()
    fct_events["stage_event_id"] = fct_events["deal_id"] + "#" + fct_events["event_sequence"].astype(str)
    fct_events["days_in_stage"] = round_half_up(fct_events["days_in_stage"], 4)
    fct_events = fct_events[["stage_event_id", "deal_id", "source", "event_sequence", "from_stage_code",
                             "to_stage_code", "changed_at", "direction", "stages_skipped", "is_inferred",
                             "is_entry_time_known", "exited_at", "days_in_stage",
                             "is_current_stage"]].reset_index(drop=True)

    # the overall funnel
    entries = fct_events[["deal_id", "to_stage_code"]].drop_duplicates().rename(columns={"to_stage_code": "stage_code"})
    advances = fct_events[fct_events["direction"] == "forward"][["deal_id", "from_stage_code"]].drop_duplicates(
    ).rename(columns={"from_stage_code": "stage_code"})
    losses = fct_events[fct_events["direction"] == "lost"][["deal_id", "from_stage_code"]].drop_duplicates().rename(
        columns={"from_stage_code": "stage_code"})
    not_lost = stages[stages["stage_type"] != "lost"]
    furthest = fct_events.merge(not_lost[["stage_code", "stage_order"]], left_on="to_stage_code",
                                right_on="stage_code").groupby("deal_id")["stage_order"].max()
    reach_open = pd.DataFrame({"deal_id": furthest.index, "furthest": furthest.to_numpy()}).merge(
        not_lost[["stage_code", "stage_order"]], how="cross")
    reach_open = reach_open[reach_open["furthest"] >= reach_open["stage_order"]][["deal_id", "stage_code"]]
    reach_lost = entries[entries["stage_code"].isin(stages.loc[stages["stage_type"] == "lost", "stage_code"])]
    reaches = pd.concat([reach_open, reach_lost], ignore_index=True).merge(fct_deals[["deal_id", "is_won"]],
                                                                          on="deal_id")
    for name, frame in (("entered", entries), ("advanced", advances), ("lost_here", losses)):
        reaches = reaches.merge(frame.assign(**{name: 1}), on=["deal_id", "stage_code"], how="left")
    counts = reaches.groupby("stage_code").agg(
        reached=("deal_id", "size"), entered=("entered", "sum"), advanced=("advanced", "sum"),
        won_later=("is_won", "sum"), lost_here=("lost_here", "sum"))
    funnel = stages[["stage_code", "stage_order", "stage_type"]].merge(counts, left_on="stage_code", right_index=True,
                                                                       how="left").fillna(
        {"reached": 0, "entered": 0, "advanced": 0, "won_later": 0, "lost_here": 0}).sort_values("stage_order")
    for column in ("reached", "entered", "advanced", "won_later", "lost_here"):
        funnel[column] = funnel[column].astype(int)
    funnel.insert(0, "segment_value", "all")
    funnel.insert(0, "segment_type", "overall")
    funnel["deals_in_segment"] = len(fct_deals)
    open_or_won = funnel["stage_type"] != "lost"
    next_reached = funnel.loc[open_or_won, "reached"].shift(-1)
    funnel["adjacent_conversion_rate"] = round_half_up(next_reached / funnel["reached"].replace(0, np.nan), 4).where(
        funnel["stage_type"] == "open")
    funnel["cumulative_conversion_rate"] = round_half_up(funnel["reached"] / max(len(fct_deals), 1), 4)
    funnel["win_rate"] = round_half_up(funnel["won_later"] / funnel["reached"].replace(0, np.nan), 4)

    # velocity
    stays = fct_events[fct_events["days_in_stage"].notna()].groupby(["deal_id", "to_stage_code"], as_index=False)[
        "days_in_stage"].sum().rename(columns={"to_stage_code": "stage_code", "days_in_stage": "days"})
    closed_deals = fct_deals[fct_deals["cycle_days"].notna() & (fct_deals["is_won"] | fct_deals["is_lost"])]
    cycles = pd.DataFrame({"stage_code": np.where(closed_deals["is_won"], "won", "lost"),
                           "days": closed_deals["cycle_days"]})
    measured = pd.concat([stays[["stage_code", "days"]], cycles], ignore_index=True)
    grouped = measured.groupby("stage_code")["days"]
    stats = pd.DataFrame({
        "deals_measured": grouped.size(), "avg_days": grouped.mean(), "median_days": grouped.quantile(0.5),
        "p90_days": grouped.quantile(0.9), "min_days": grouped.min(), "max_days": grouped.max()})
    velocity = stages[["stage_code", "stage_order", "stage_type"]].merge(stats, left_on="stage_code",
                                                                         right_index=True, how="left")
    velocity["measure"] = np.where(velocity["stage_type"] == "open", "time_in_stage", "cycle_length")
    velocity["deals_measured"] = velocity["deals_measured"].fillna(0).astype(int)
    for column in ("avg_days", "median_days", "p90_days", "min_days", "max_days"):
        velocity[column] = round_half_up(velocity[column], 2)

    # stale deals
    open_deals = fct_deals[fct_deals["is_open"]].merge(stages[["stage_code", "stale_after_days"]],
                                                       left_on="current_stage_code", right_on="stage_code")
    open_deals = open_deals.merge(fct_events[fct_events["is_current_stage"]][["deal_id", "is_entry_time_known"]],
                                  on="deal_id", how="left")
    open_deals["days_in_stage"] = (as_of_day - open_deals["current_stage_entered_at"].dt.normalize()).dt.days
    stale = open_deals[open_deals["days_in_stage"] > open_deals["stale_after_days"]].copy()
    stale["days_over_threshold"] = (stale["days_in_stage"] - stale["stale_after_days"]).astype(int)
    stale = stale.rename(columns={"is_entry_time_known": "is_stage_entry_known"})[[
        "deal_id", "source", "current_stage_code", "current_stage_entered_at", "is_stage_entry_known",
        "days_in_stage", "stale_after_days", "days_over_threshold", "amount_cny"]].reset_index(drop=True)
    stale = stale.rename(columns={"amount_cny": "amount_reporting"})  # the default reporting currency, CNY

    # loss reasons
    lost_deals = fct_deals[fct_deals["is_lost"]].copy()
    lost_deals["lost_month"] = lost_deals["closed_at"].dt.to_period("M").dt.to_timestamp().dt.date
    grouped = lost_deals.groupby(["lost_month", "loss_reason_code", "lost_from_stage_code"], dropna=False).agg(
        lost_deals=("deal_id", "size"),
        amount_lost_reporting=("amount_cny", lambda v: v.sum(min_count=1))).reset_index()
    month_totals = lost_deals.groupby("lost_month").size().rename("month_lost_deals")
    named = lost_deals[lost_deals["loss_reason_code"] != "unspecified"].merge(
        reasons[["reason_code", "reason_order"]], left_on="loss_reason_code", right_on="reason_code", how="left")
    totals = named.groupby("loss_reason_code").agg(
        n=("deal_id", "size"), amount=("amount_cny", "sum"), order=("reason_order", "min")).reset_index()
    totals = totals.sort_values(["n", "amount", "order", "loss_reason_code"], ascending=[False, False, True, True])
    totals["reason_rank"] = np.arange(1, len(totals) + 1)
    loss = grouped.merge(month_totals, left_on="lost_month", right_index=True).merge(
        totals[["loss_reason_code", "reason_rank"]], on="loss_reason_code", how="left")
    loss["share_of_month"] = round_half_up(loss["lost_deals"] / loss["month_lost_deals"], 4)
    loss["is_top3_reason"] = (loss["reason_rank"] <= 3).fillna(False).astype(bool)
    loss = loss[["lost_month", "loss_reason_code", "lost_from_stage_code", "lost_deals", "share_of_month",
                 "amount_lost_reporting", "reason_rank", "is_top3_reason"]]

    return {
        "fct_deals": fct_deals,
        "fct_deal_stage_events": fct_events,
        "mart_funnel_conversion": funnel.reset_index(drop=True),
        "mart_stage_velocity": velocity.reset_index(drop=True),
        "mart_stale_deals": stale,
        "mart_loss_reasons": loss.reset_index(drop=True),
    }

