use polars::prelude::{df, DataFrame};

use super::*;
use crate::formats::parquet::to_parquet_bytes;

const TABLE: &str = "org_latest";

fn file(date: &str, repos: i64) -> PartitionFile {
    let df: DataFrame = df!("org_login" => ["nhsx"], "repos" => [repos]).unwrap();
    PartitionFile {
        date: date.parse().unwrap(),
        bytes: to_parquet_bytes(&df).unwrap().into(),
    }
}

fn note(builds: &[(SnapshotDate, String)]) -> CommitNote<'_> {
    CommitNote {
        builds,
        run_id: "test",
        started_at: DateTime::from_timestamp(1_614_816_000, 0).unwrap(),
    }
}

#[tokio::test]
async fn a_commit_over_a_stale_version_is_a_conflict_naming_the_table() {
    let lake = Lake::in_memory();
    let builds = [("2021-03-04".parse().unwrap(), "b1".to_string())];
    let note = note(&builds);
    let first = publish_table(&lake, TABLE, &[file("2021-03-04", 1)], &note).await;
    assert_eq!(first.unwrap(), Some(0));
    // Another writer replaces the snapshot while this one still holds version 0.
    let stale = load(&lake, TABLE).await.unwrap().unwrap();
    let second = publish_table(&lake, TABLE, &[file("2021-03-04", 2)], &note).await;
    assert_eq!(second.unwrap(), Some(1));
    let held = current_files(&lake, TABLE, &stale).await.unwrap();
    let date = builds[0].0;
    let mut changes = Changes::default();
    let third = file("2021-03-04", 3);
    let (_, path) = data_file(TABLE, date, &third.bytes);
    changes.add(TABLE, date, path, &third.bytes, &note).unwrap();
    let removes = held[&date].iter().map(|p| commit::remove(p, date, &note));
    changes.actions.extend(removes.map(Action::Remove));
    let schema = changes.schema.clone().unwrap();
    let actions = changes.actions;
    let err = commit::commit(&lake, TABLE, &stale, schema, actions, &[date], &note).await;
    let err = err.unwrap_err();
    assert!(matches!(err, DeltaError::Conflict { .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with("gold table org_latest: commit conflict"),
        "{err}"
    );
    // Nothing was lost: version 1 is still the table's latest, with its one file.
    let now = load(&lake, TABLE).await.unwrap().unwrap();
    assert_eq!(now.version(), Some(1));
}

#[tokio::test]
async fn a_file_with_a_new_column_grows_the_schema_in_its_commit() {
    let lake = Lake::in_memory();
    let builds = [("2021-03-04".parse().unwrap(), "b1".to_string())];
    let note = note(&builds);
    publish_table(&lake, TABLE, &[file("2021-03-04", 1)], &note)
        .await
        .unwrap();
    let df: DataFrame =
        df!("org_login" => ["nhsx"], "repos" => [2_i64], "stars" => [5_i64]).unwrap();
    let wider = PartitionFile {
        date: "2021-03-05".parse().unwrap(),
        bytes: to_parquet_bytes(&df).unwrap().into(),
    };
    let version = publish_table(&lake, TABLE, &[wider], &note).await.unwrap();
    assert_eq!(version, Some(1));
    let table = load(&lake, TABLE).await.unwrap().unwrap();
    let schema = table.snapshot().unwrap().schema();
    let names: Vec<&str> = schema.fields().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["snapshot_date", "org_login", "repos", "stars"]);
    assert!(schema.fields().all(|f| f.is_nullable()));
}

#[tokio::test]
async fn a_file_that_drops_a_column_is_refused_naming_it() {
    let lake = Lake::in_memory();
    let builds = [("2021-03-04".parse().unwrap(), "b1".to_string())];
    publish_table(&lake, TABLE, &[file("2021-03-04", 1)], &note(&builds))
        .await
        .unwrap();
    let df: DataFrame = df!("org_login" => ["nhsx"]).unwrap();
    let narrower = PartitionFile {
        date: "2021-03-05".parse().unwrap(),
        bytes: to_parquet_bytes(&df).unwrap().into(),
    };
    let err = publish_table(&lake, TABLE, &[narrower], &note(&builds))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("column repos (long) is missing"),
        "{err}"
    );
    // Refused before anything was written: no file in the new partition.
    let partition = outputs::gold_partition(TABLE, "2021-03-05".parse().unwrap());
    assert!(lake.list(&partition).await.unwrap().is_empty());
}
