//! The lake over a real directory: round trip, listing, partitions, deletion.

use open_health_stats::domain::SnapshotDate;
use open_health_stats::lake::{self, Lake, LakeOptions};

#[tokio::test]
async fn local_lake_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("new/lake");
    let lake = Lake::open(root.to_str().unwrap(), &LakeOptions::default()).unwrap();
    let date: SnapshotDate = "2021-03-04".parse().unwrap();
    let org = "NHSX".parse().unwrap();
    let page = lake::bronze::page(date, &org, 1);
    lake.put(&page, b"[]".to_vec()).await.unwrap();
    lake.put(&lake::bronze::org_manifest(date, &org), b"{}".to_vec())
        .await
        .unwrap();

    assert!(root
        .join("bronze/github/repos/snapshot_date=2021-03-04/org=nhsx/page-0001.json")
        .is_file());
    assert_eq!(lake.get(&page).await.unwrap().unwrap().as_ref(), b"[]");
    let listed = lake.list(&lake::bronze::org(date, &org)).await.unwrap();
    let names: Vec<&str> = listed.iter().map(|k| k.file_name()).collect();
    assert_eq!(names, ["_manifest.json", "page-0001.json"]);
    let dates = lake
        .partitions(
            &lake::bronze::listings_root(open_health_stats::domain::Forge::Github),
            "snapshot_date",
        )
        .await
        .unwrap();
    assert_eq!(dates, ["2021-03-04"]);

    lake.delete_prefix(&lake::bronze::org(date, &org))
        .await
        .unwrap();
    assert_eq!(lake.get(&page).await.unwrap(), None);
    assert!(lake
        .list(&lake::bronze::org(date, &org))
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn file_urls_and_plain_paths_open_the_same_lake() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", dir.path().display());
    let by_url = Lake::open(&url, &LakeOptions::default()).unwrap();
    let by_path = Lake::open(dir.path().to_str().unwrap(), &LakeOptions::default()).unwrap();
    let key = lake::silver::repos("2021-03-04".parse().unwrap());
    by_url.put(&key, b"written by URL".to_vec()).await.unwrap();
    let read = by_path.get(&key).await.unwrap().unwrap();
    assert_eq!(read.as_ref(), b"written by URL");
}
