//! Parquet encoding with fixed writer settings, so the same frame always gives the same bytes.

use std::io::Cursor;

use polars::prelude::*;

/// ZSTD at its default level, full statistics and one fixed row-group size.
pub fn to_parquet_bytes(df: &mut DataFrame) -> PolarsResult<Vec<u8>> {
    let mut buffer = Cursor::new(Vec::new());
    ParquetWriter::new(&mut buffer)
        .with_compression(ParquetCompression::Zstd(None))
        .with_statistics(StatisticsOptions::full())
        .with_row_group_size(Some(ROW_GROUP_ROWS))
        .finish(df)?;
    Ok(buffer.into_inner())
}

/// Reads Parquet bytes back into a frame.
pub fn from_parquet_bytes(bytes: &[u8]) -> PolarsResult<DataFrame> {
    ParquetReader::new(Cursor::new(bytes)).finish()
}

/// Rows per row group: large enough for DuckDB to scan well, small enough to stream.
const ROW_GROUP_ROWS: usize = 122_880;
