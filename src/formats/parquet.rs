//! Parquet encoding with fixed writer settings, so the same rows always give the same bytes.

use std::io::{Cursor, Write};

use bytes::Bytes;
use polars::prelude::*;
use polars_buffer::Buffer;

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

/// The bytes [`to_parquet_bytes_from`] gives for the frames `frame` builds from `parts`, in
/// order: each part is framed while the one before it is encoded, one core each, and only
/// those two are held.
pub fn to_parquet_bytes_overlapped<P: Sync>(
    schema: &Schema,
    parts: &[P],
    frame: impl Fn(&P) -> PolarsResult<DataFrame> + Sync,
) -> PolarsResult<Vec<u8>> {
    let mut buffer = Cursor::new(Vec::new());
    let mut writer = PartsWriter::new(&mut buffer, schema)?;
    let mut framed = parts.first().map(&frame).transpose()?;
    let mut rest = parts.iter().skip(1);
    while let Some(current) = framed {
        let (written, next) = rayon::join(
            || writer.push(current),
            || rest.next().map(&frame).transpose(),
        );
        written?;
        framed = next?;
    }
    writer.finish()?;
    Ok(buffer.into_inner())
}

/// Frames in, row groups of exactly [`ROW_GROUP_ROWS`] out.
struct PartsWriter<'a> {
    writer: polars::io::parquet::write::BatchedWriter<&'a mut Cursor<Vec<u8>>>,
    pending: DataFrame,
}

impl<'a> PartsWriter<'a> {
    fn new(buffer: &'a mut Cursor<Vec<u8>>, schema: &Schema) -> PolarsResult<Self> {
        let writer = ParquetWriter::new(buffer)
            .with_compression(ParquetCompression::Zstd(None))
            .with_statistics(StatisticsOptions::full())
            .batched(schema)?;
        Ok(Self {
            writer,
            pending: DataFrame::empty_with_schema(schema),
        })
    }

    fn push(&mut self, frame: DataFrame) -> PolarsResult<()> {
        self.pending.vstack_mut(&frame)?;
        while self.pending.height() >= ROW_GROUP_ROWS {
            let (group, rest) = self.pending.split_at(ROW_GROUP_ROWS as i64);
            write_row_group(&mut self.writer, group)?;
            self.pending = rest;
        }
        Ok(())
    }

    fn finish(mut self) -> PolarsResult<()> {
        write_row_group(&mut self.writer, self.pending)?;
        self.writer.finish().map(drop)
    }
}

/// Writes `group` as one row group (none when it is empty).
fn write_row_group<W: Write>(
    writer: &mut polars::io::parquet::write::BatchedWriter<W>,
    mut group: DataFrame,
) -> PolarsResult<()> {
    group.rechunk_mut_par();
    writer.write_batch(&group)
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
        let starts: Vec<i64> = (0..rows).step_by(50_000).collect();
        let overlapped = to_parquet_bytes_overlapped(&schema, &starts, |&start| {
            Ok(numbers(start..(start + 50_000).min(rows)))
        });
        assert_eq!(overlapped.unwrap(), whole);
        let none: &[i64] = &[];
        let empty = to_parquet_bytes_overlapped(&schema, none, |_| unreachable!()).unwrap();
        assert_eq!(empty, to_parquet_bytes(&numbers(0..0)).unwrap());

        let mut read = ParquetReader::new(Cursor::new(&whole));
        let groups = read.get_metadata().unwrap().row_groups.len();
        assert_eq!(groups, 3, "two full row groups and the rest");
        assert_eq!(from_parquet_bytes(&whole).unwrap(), numbers(0..rows));
    }

    #[test]
    fn a_scan_of_the_bytes_reads_the_rows() {
        let bytes = to_parquet_bytes(&numbers(0..10)).unwrap();
        let read = scan_parquet_bytes(Bytes::from(bytes)).unwrap().collect();
        assert_eq!(read.unwrap(), numbers(0..10));
    }
}
