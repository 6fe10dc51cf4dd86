//! Parquet encoding with fixed writer settings, so the same rows always give the same bytes.

use std::io::Cursor;

use bytes::Bytes;
use polars::io::parquet::write::{get_encodings, BatchedWriter};
use polars::prelude::*;
use polars_buffer::Buffer;
use polars_parquet::parquet::error::{ParquetError, ParquetResult};
use polars_parquet::write::{
    array_to_columns, CompressedPage, CompressionOptions, Compressor, Encoding, ParquetType,
    Version, WriteOptions,
};
use rayon::prelude::*;

/// ZSTD at its default level, full statistics, and row groups of exactly [`ROW_GROUP_ROWS`]
/// rows (the last one fewer) whichever way the frame's columns are chunked in memory.
pub fn to_parquet_bytes(df: &DataFrame) -> PolarsResult<Vec<u8>> {
    to_parquet_bytes_from(df.schema(), [Ok(df.clone())])
}

/// The bytes [`to_parquet_bytes`] gives for the concatenation of `frames` (each with
/// `schema`), encoded a part at a time: a table too large to hold twice is built and written
/// one part after another, and the file is the same.
pub fn to_parquet_bytes_from(
    schema: &Schema,
    frames: impl IntoIterator<Item = PolarsResult<DataFrame>>,
) -> PolarsResult<Vec<u8>> {
    let mut buffer = Cursor::new(Vec::new());
    let mut writer = PartsWriter::new(&mut buffer, schema)?;
    for frame in frames {
        writer.push(frame?)?;
    }
    writer.finish()?;
    Ok(buffer.into_inner())
}

/// Frames in, row groups of exactly [`ROW_GROUP_ROWS`] out.
struct PartsWriter<'a> {
    writer: BatchedWriter<&'a mut Cursor<Vec<u8>>>,
    /// Each column's Parquet type and encodings, as the writer derives them from the schema.
    columns: Vec<(ParquetType, Vec<Encoding>)>,
    pending: DataFrame,
}

/// ZSTD at its default level.
const COMPRESSION: ParquetCompression = ParquetCompression::Zstd(None);

/// The writer's settings, in the form [`encode_column`] takes them: [`COMPRESSION`], full
/// statistics, version 1 pages of polars' default size, as polars' writer derives them.
fn write_options() -> WriteOptions {
    WriteOptions {
        statistics: StatisticsOptions::full(),
        compression: CompressionOptions::from(COMPRESSION),
        version: Version::V1,
        data_page_size: None,
    }
}

impl<'a> PartsWriter<'a> {
    fn new(buffer: &'a mut Cursor<Vec<u8>>, schema: &Schema) -> PolarsResult<Self> {
        let options = write_options();
        let mut writer = ParquetWriter::new(buffer)
            .with_compression(COMPRESSION)
            .with_statistics(options.statistics)
            .batched(schema)?;
        let encodings = get_encodings(&schema.to_arrow(CompatLevel::newest()));
        let types = writer.parquet_schema().fields().to_vec();
        Ok(Self {
            writer,
            columns: types.into_iter().zip(encodings.iter().cloned()).collect(),
            pending: DataFrame::empty_with_schema(schema),
        })
    }

    fn push(&mut self, frame: DataFrame) -> PolarsResult<()> {
        self.pending.vstack_mut(&frame)?;
        while self.pending.height() >= ROW_GROUP_ROWS {
            let (group, rest) = self.pending.split_at(ROW_GROUP_ROWS as i64);
            self.write_row_group(group)?;
            self.pending = rest;
        }
        Ok(())
    }

    fn finish(mut self) -> PolarsResult<()> {
        let last = std::mem::take(&mut self.pending);
        self.write_row_group(last)?;
        self.writer.finish().map(drop)
    }

    /// Writes `group` as one row group (none when it is empty), its columns encoded and
    /// compressed on every core. polars' own `write_batch` compresses them one after another
    /// as it writes, which held a large snapshot's silver and gold writes to about one core;
    /// the pages, and so the bytes, are the same.
    fn write_row_group(&mut self, mut group: DataFrame) -> PolarsResult<()> {
        let rows = group.height();
        if rows == 0 {
            return Ok(());
        }
        group.rechunk_mut_par();
        let batch = group
            .iter_chunks(CompatLevel::newest(), false)
            .next()
            .ok_or_else(
                || polars_err!(ComputeError: "a row group of {rows} rows gave no columns"),
            )?;
        let encoded = batch
            .columns()
            .par_iter()
            .zip(&self.columns)
            .map(|(array, (parquet_type, encodings))| encode_column(array, parquet_type, encodings))
            .collect::<PolarsResult<Vec<_>>>()?;
        // One list of pages per leaf column, in schema order.
        let pages: Vec<Vec<CompressedPage>> = encoded.into_iter().flatten().collect();
        self.writer.write_row_group(rows as u64, &pages)
    }
}

/// One column of a row group as the compressed pages of each of its leaf columns.
fn encode_column(
    array: &ArrayRef,
    parquet_type: &ParquetType,
    encodings: &[Encoding],
) -> PolarsResult<Vec<Vec<CompressedPage>>> {
    let options = write_options();
    let leaves = array_to_columns(array, parquet_type.clone(), options, encodings)?;
    leaves
        .into_iter()
        .map(|pages| {
            let pages = pages.map(|page| {
                page.map_err(|e| ParquetError::FeatureNotSupported(format!("encoding a page: {e}")))
            });
            let mut compressed = Compressor::new_from_vec(pages, options.compression, Vec::new())
                .collect::<ParquetResult<Vec<CompressedPage>>>()?;
            // A page is compressed into room for its uncompressed size, and the row group's
            // pages are held until all its columns are done: a data page keeps only its bytes
            // (a column has at most one dictionary page).
            for page in &mut compressed {
                if let CompressedPage::Data(page) = page {
                    page.slice_mut().to_mut().shrink_to_fit();
                }
            }
            Ok(compressed)
        })
        .collect()
}

/// Reads Parquet bytes back into a frame.
pub fn from_parquet_bytes(bytes: &[u8]) -> PolarsResult<DataFrame> {
    ParquetReader::new(Cursor::new(bytes)).finish()
}

/// A lazy scan of Parquet bytes held in memory, without copying them.
pub fn scan_parquet_bytes(bytes: Bytes) -> PolarsResult<LazyFrame> {
    let sources = ScanSources::Buffers([Buffer::from_owner(bytes)].into());
    let mut args = ScanArgsParquet::default();
    args.hive_options.enabled = Some(false);
    LazyFrame::scan_parquet_sources(sources, args)
}

/// Rows per row group: large enough for DuckDB to scan well, small enough to stream.
pub const ROW_GROUP_ROWS: usize = 122_880;

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(range: std::ops::Range<i64>) -> DataFrame {
        df!("n" => range.collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn the_bytes_do_not_depend_on_how_the_rows_arrive() {
        let rows = ROW_GROUP_ROWS as i64 * 2 + 5;
        let whole = to_parquet_bytes(&numbers(0..rows)).unwrap();
        let mut chunked = numbers(0..7);
        chunked.vstack_mut(&numbers(7..rows)).unwrap();
        assert_eq!(to_parquet_bytes(&chunked).unwrap(), whole);
        let parts = (0..rows)
            .step_by(1000)
            .map(|start| Ok(numbers(start..(start + 1000).min(rows))));
        let schema = numbers(0..0).schema().clone();
        assert_eq!(to_parquet_bytes_from(&schema, parts).unwrap(), whole);
        let none = to_parquet_bytes_from(&schema, std::iter::empty()).unwrap();
        assert_eq!(none, to_parquet_bytes(&numbers(0..0)).unwrap());

        let mut read = ParquetReader::new(Cursor::new(&whole));
        let groups = read.get_metadata().unwrap().row_groups.len();
        assert_eq!(groups, 3, "two full row groups and the rest");
        assert_eq!(from_parquet_bytes(&whole).unwrap(), numbers(0..rows));
    }

    /// What polars' own batched writer gives for `df`, a row group at a time.
    fn polars_bytes(df: &DataFrame) -> Vec<u8> {
        let mut buffer = Cursor::new(Vec::new());
        let mut writer = ParquetWriter::new(&mut buffer)
            .with_compression(COMPRESSION)
            .with_statistics(StatisticsOptions::full())
            .batched(df.schema())
            .unwrap();
        let mut rest = df.clone();
        while rest.height() > 0 {
            let (mut group, after) = rest.split_at(ROW_GROUP_ROWS as i64);
            group.rechunk_mut_par();
            writer.write_batch(&group).unwrap();
            rest = after;
        }
        writer.finish().unwrap();
        buffer.into_inner()
    }

    #[test]
    fn columns_encoded_on_every_core_give_polars_own_bytes() {
        let rows = ROW_GROUP_ROWS + 1_000;
        let names = ["nhsx", "NHSDigital", "", "opensafely"];
        let text: Vec<Option<&str>> = (0..rows)
            .map(|i| (i % 7 != 0).then_some(names[i % names.len()]))
            .collect();
        let topics: Vec<Series> = (0..rows)
            .map(|i| Series::new("".into(), vec!["health"; i % 3]))
            .collect();
        let mut df = df!(
            "n" => (0..rows as i64).collect::<Vec<_>>(),
            "text" => text,
            "kept" => (0..rows).map(|i| i % 3 == 0).collect::<Vec<_>>(),
            "share" => (0..rows).map(|i| i as f64 / 7.0).collect::<Vec<_>>(),
            "topics" => topics,
        )
        .unwrap();
        let days = df.column("n").unwrap().cast(&DataType::Int32).unwrap();
        df.with_column(days.cast(&DataType::Date).unwrap().with_name("day".into()))
            .unwrap();
        assert_eq!(to_parquet_bytes(&df).unwrap(), polars_bytes(&df));
        let empty = df.clear();
        assert_eq!(to_parquet_bytes(&empty).unwrap(), polars_bytes(&empty));
    }

    #[test]
    fn a_scan_of_the_bytes_reads_the_rows() {
        let bytes = to_parquet_bytes(&numbers(0..10)).unwrap();
        let read = scan_parquet_bytes(Bytes::from(bytes)).unwrap().collect();
        assert_eq!(read.unwrap(), numbers(0..10));
    }
}
