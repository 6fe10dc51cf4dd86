//! What a Delta log says of one data file, read from the Parquet bytes polars wrote: the
//! table schema in Delta's types, and the per-file statistics (`numRecords`, `minValues`,
//! `maxValues`, `nullCount`) that warehouses skip files by.
//!
//! A statistic is either exact or absent, as a wrong bound would make a reader skip rows:
//! timestamps are cut to milliseconds outwards (min down, max up), floats give bounds only
//! when finite, and lists and booleans give null counts only.

use chrono::{DateTime, NaiveDate};
use deltalake::kernel::{ArrayType, DataType, StructField, StructType};
use polars::prelude::{AnyValue, Column, DataFrame, DataType as Dtype, TimeUnit};
use serde_json::{json, Map, Value};

use super::PARTITION_COLUMN;

/// Why a data file cannot be described to Delta.
#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    #[error("column {column:?} is {dtype}, which Delta readers of protocol 1/2 cannot read")]
    Unsupported { column: String, dtype: String },
    #[error("unreadable Parquet: {0}")]
    Polars(#[from] polars::error::PolarsError),
}

/// The Delta schema of a data file: its columns in file order, `snapshot_date` (the
/// partition column) first, every column nullable.
pub fn schema(df: &DataFrame) -> Result<StructType, StatsError> {
    let mut fields = vec![StructField::nullable(PARTITION_COLUMN, DataType::DATE)];
    for (name, dtype) in df.schema().iter() {
        if name.as_str() != PARTITION_COLUMN {
            fields.push(StructField::nullable(
                name.as_str(),
                delta_type(name, dtype)?,
            ));
        }
    }
    StructType::try_new(fields).map_err(|e| StatsError::Unsupported {
        column: String::new(),
        dtype: e.to_string(),
    })
}

fn delta_type(column: &str, dtype: &Dtype) -> Result<DataType, StatsError> {
    Ok(match dtype {
        Dtype::String => DataType::STRING,
        Dtype::Boolean => DataType::BOOLEAN,
        Dtype::Int8 => DataType::BYTE,
        Dtype::Int16 => DataType::SHORT,
        Dtype::Int32 => DataType::INTEGER,
        Dtype::Int64 => DataType::LONG,
        Dtype::Float32 => DataType::FLOAT,
        Dtype::Float64 => DataType::DOUBLE,
        Dtype::Date => DataType::DATE,
        // Delta's `timestamp` is UTC-adjusted; a zoneless one would need `timestamp_ntz`
        // (reader version 3), which Synapse serverless and older Spark cannot read.
        Dtype::Datetime(_, Some(tz)) if tz.as_str() == "UTC" => DataType::TIMESTAMP,
        Dtype::List(inner) => ArrayType::new(delta_type(column, inner)?, true).into(),
        other => {
            return Err(StatsError::Unsupported {
                column: column.to_string(),
                dtype: other.to_string(),
            })
        }
    })
}

/// The `stats` JSON of an `Add` action for `df`.
pub fn file_stats(df: &DataFrame) -> Result<String, StatsError> {
    let (mut min, mut max, mut nulls) = (Map::new(), Map::new(), Map::new());
    for column in df.columns() {
        let name = column.name().as_str();
        if name == PARTITION_COLUMN {
            continue;
        }
        nulls.insert(name.to_string(), json!(column.null_count()));
        if column.null_count() == column.len() {
            continue;
        }
        if let Some((lo, hi)) = bounds(column)? {
            min.insert(name.to_string(), lo);
            max.insert(name.to_string(), hi);
        }
    }
    let stats = json!({
        "numRecords": df.height(),
        "minValues": min,
        "maxValues": max,
        "nullCount": nulls,
    });
    Ok(stats.to_string())
}

/// The column's least and greatest values as Delta writes them, when they can be exact.
fn bounds(column: &Column) -> Result<Option<(Value, Value)>, StatsError> {
    let series = column.as_materialized_series();
    // polars' min and max pass over NaN, which Spark orders above every number.
    if series.dtype().is_float() && series.is_nan()?.any() {
        return Ok(None);
    }
    let (lo, hi) = (series.min_reduce()?, series.max_reduce()?);
    let (lo, hi) = (lo.value(), hi.value());
    if let (Some(lo), Some(hi)) = (lo.get_str(), hi.get_str()) {
        return Ok(Some((json!(lo), json!(hi))));
    }
    if let (Some((lo, unit)), Some((hi, _))) = (datetime(lo), datetime(hi)) {
        return Ok(Some((
            timestamp(lo, unit, false),
            timestamp(hi, unit, true),
        )));
    }
    Ok(match (lo, hi) {
        (AnyValue::Date(lo), AnyValue::Date(hi)) => Some((date(*lo), date(*hi))),
        (AnyValue::Float64(lo), AnyValue::Float64(hi)) if lo.is_finite() && hi.is_finite() => {
            Some((json!(lo), json!(hi)))
        }
        (AnyValue::Float32(lo), AnyValue::Float32(hi)) if lo.is_finite() && hi.is_finite() => {
            Some((json!(lo), json!(hi)))
        }
        (lo, hi) if lo.is_integer() && hi.is_integer() => {
            let as_i64 = |v: &AnyValue| v.extract::<i64>().map(Value::from);
            as_i64(lo).zip(as_i64(hi))
        }
        _ => None,
    })
}

/// A timestamp's value and unit, whether polars holds its zone borrowed or owned.
fn datetime(value: &AnyValue) -> Option<(i64, TimeUnit)> {
    match value {
        AnyValue::Datetime(v, unit, _) | AnyValue::DatetimeOwned(v, unit, _) => Some((*v, *unit)),
        _ => None,
    }
}

fn date(days: i32) -> Value {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("the epoch is a date");
    let day = epoch.checked_add_signed(chrono::TimeDelta::days(i64::from(days)));
    json!(day.map(|d| d.format("%Y-%m-%d").to_string()))
}

/// A timestamp in milliseconds (Delta's statistics precision), rounded outwards.
fn timestamp(value: i64, unit: TimeUnit, round_up: bool) -> Value {
    let per_ms = match unit {
        TimeUnit::Milliseconds => 1,
        TimeUnit::Microseconds => 1_000,
        TimeUnit::Nanoseconds => 1_000_000,
    };
    let ms = if round_up {
        value.div_euclid(per_ms) + i64::from(value.rem_euclid(per_ms) != 0)
    } else {
        value.div_euclid(per_ms)
    };
    let shown =
        DateTime::from_timestamp_millis(ms).map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string());
    json!(shown)
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::{col, df, IntoLazy, NamedFrom, Series, TimeZone};

    fn frame() -> DataFrame {
        let pushed = Series::new(
            "pushed_at".into(),
            [
                Some(1_614_816_000_123_456_i64),
                None,
                Some(1_614_816_000_000_001),
            ],
        )
        .cast(&Dtype::Datetime(
            TimeUnit::Microseconds,
            Some(TimeZone::UTC),
        ))
        .unwrap();
        df! {
            "snapshot_date" => [NaiveDate::from_ymd_opt(2021, 3, 4); 3],
            "org_login" => ["nhsx", "nhsuk", "nhsconnect"],
            "repos" => [3_i64, 10, 7],
            "share" => [0.25, f64::NAN, 0.5],
        }
        .unwrap()
        .hstack(&[pushed.into()])
        .unwrap()
    }

    #[test]
    fn statistics_are_exact_or_absent() {
        let stats: Value = serde_json::from_str(&file_stats(&frame()).unwrap()).unwrap();
        assert_eq!(stats["numRecords"], 3);
        assert_eq!(stats["minValues"]["org_login"], "nhsconnect");
        assert_eq!(stats["maxValues"]["org_login"], "nhsx");
        assert_eq!(stats["minValues"]["repos"], 3);
        assert_eq!(stats["maxValues"]["repos"], 10);
        // Cut outwards to milliseconds: 00:00:00.000001 rounds up, .123456 down.
        assert_eq!(stats["minValues"]["pushed_at"], "2021-03-04T00:00:00.000Z");
        assert_eq!(stats["maxValues"]["pushed_at"], "2021-03-04T00:00:00.124Z");
        assert_eq!(stats["nullCount"]["pushed_at"], 1);
        // A NaN makes float bounds unsafe: none given. The partition column is never listed.
        assert!(stats["minValues"].get("share").is_none());
        assert!(stats["nullCount"].get("snapshot_date").is_none());
    }

    #[test]
    fn schema_puts_the_partition_first_and_refuses_zoneless_timestamps() {
        let schema = schema(&frame()).unwrap();
        let names: Vec<&str> = schema.fields().map(|f| f.name().as_str()).collect();
        assert_eq!(
            names,
            ["snapshot_date", "org_login", "repos", "share", "pushed_at"]
        );
        assert_eq!(
            schema.field("pushed_at").unwrap().data_type(),
            &DataType::TIMESTAMP
        );
        let naive = df!("at" => [1_i64])
            .unwrap()
            .lazy()
            .with_column(col("at").cast(Dtype::Datetime(TimeUnit::Microseconds, None)));
        let err = super::schema(&naive.collect().unwrap()).unwrap_err();
        assert!(err.to_string().contains("column \"at\""), "{err}");
    }

    #[test]
    fn dates_before_the_epoch_are_dates_too() {
        assert_eq!(date(-1), json!("1969-12-31"));
        assert_eq!(date(18_690), json!("2021-03-04"));
    }
}
