//! How a snapshot's tables are held between silver and gold. A snapshot of more than
//! [`LARGE_SNAPSHOT_REPOS`] repositories is built to hold the least memory: its silver tables
//! encoded first and read back from their Parquet, its gold models run one at a time. A
//! smaller one is built to take the least time: frames, and the models as one query.

use bytes::Bytes;
use polars::prelude::{DataFrame, IntoLazy, LazyFrame, PolarsError, PolarsResult};

use super::{gold, silver, TransformError};
use crate::domain::SnapshotDate;
use crate::forge::RepoRecord;
use crate::formats::parquet;

/// Every gold model's table, in [`gold::MODELS`] order, by polars' streaming engine: as one
/// query, sharing what the models read, or for a `large` snapshot one model at a time, so
/// that only one model's columns are held at once (a snapshot of a million repositories:
/// 0.4 GiB against 0.8 GiB together, for 20% more time).
pub fn gold_tables(plans: Vec<LazyFrame>, large: bool) -> Result<Vec<DataFrame>, TransformError> {
    let alone = |(model, plan): (&gold::GoldModel, LazyFrame)| {
        gold::collect(plan).map_err(|source| TransformError::Model {
            file: model.file,
            source,
        })
    };
    if large {
        return gold::MODELS.iter().zip(plans).map(alone).collect();
    }
    // A failure of the query as a whole is reported by the model that fails alone.
    gold::collect_all(plans.clone()).or_else(|error| {
        gold::MODELS
            .iter()
            .zip(plans)
            .try_for_each(|m| alone(m).map(drop))?;
        Err(TransformError::Polars {
            what: "gold models",
            source: error,
        })
    })
}

/// Repositories in a snapshot above which it is built to hold the least memory rather than to
/// take the least time ([`silver_repos`], [`gold_tables`]).
pub const LARGE_SNAPSHOT_REPOS: usize = 250_000;

/// Silver repos as gold reads it: a snapshot that is not large as a frame, a large one
/// already encoded for the lake.
#[derive(Clone)]
pub enum SilverRepos {
    Framed(DataFrame),
    Encoded(Bytes),
}

impl SilverRepos {
    /// The table encoded for the lake.
    pub fn encoded(self) -> Result<Bytes, PolarsError> {
        match self {
            SilverRepos::Framed(frame) => Ok(parquet::to_parquet_bytes(&frame)?.into()),
            SilverRepos::Encoded(bytes) => Ok(bytes),
        }
    }
}

/// A large snapshot's silver repos is framed and encoded a row group at a time (each on both
/// cores), so its records are never held beside a whole frame of them, and gold reads the
/// encoded table; a smaller one is framed whole, which is quicker. The bytes are the same
/// either way.
pub fn silver_repos(
    repos: &[RepoRecord],
    date: SnapshotDate,
    large: bool,
) -> Result<SilverRepos, PolarsError> {
    if large {
        let parts = repos
            .chunks(parquet::ROW_GROUP_ROWS)
            .map(|part| silver::repos_frame(part, date));
        let encoded = parquet::to_parquet_bytes_from(&silver::repos_schema(), parts)?;
        return Ok(SilverRepos::Encoded(encoded.into()));
    }
    silver::repos_frame(repos, date).map(SilverRepos::Framed)
}

/// Silver `repo_languages` as Parquet, and the table gold reads: a large snapshot's read
/// from the Parquet, as its silver repos is, so that the frame is freed before silver repos
/// is built (at 1e6 repositories, 1.8e6 rows: 23 MB of Parquet against about 140 MB).
pub fn languages_for_gold(frame: DataFrame, large: bool) -> PolarsResult<(Bytes, LazyFrame)> {
    let encoded = Bytes::from(parquet::to_parquet_bytes(&frame)?);
    let table = match large {
        true => {
            drop(frame);
            parquet::scan_parquet_bytes(encoded.clone())?
        }
        false => frame.lazy(),
    };
    Ok((encoded, table))
}
