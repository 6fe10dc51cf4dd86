//! The leases' unit tests.

use super::*;
use crate::lake::{Lake, LakeOptions};

#[tokio::test]
async fn a_store_gone_at_release_leaves_the_rest_and_counts_them() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("lake");
    let lake = Lake::open(root.to_str().unwrap(), &LakeOptions::default()).unwrap();
    let mut leases = Leases::new(
        Holder::this_process("test", Utc::now()),
        LeaseTiming::default(),
    );
    let dates = ["2021-03-04", "2021-03-05", "2021-03-06"];
    let parts: Vec<Part> = dates
        .iter()
        .map(|d| Part::Snapshot(d.parse().unwrap()))
        .collect();
    leases.acquire(&lake, &parts).await.unwrap();
    // The store stops taking writes under _leases/: a file where its folder was.
    std::fs::remove_dir_all(root.join("_leases")).unwrap();
    std::fs::write(root.join("_leases"), b"not a folder").unwrap();
    assert_eq!(
        leases.release().await,
        3,
        "all three left, after one refusal"
    );
    // A store that takes the writes releases everything.
    std::fs::remove_file(root.join("_leases")).unwrap();
    leases.acquire(&lake, &parts).await.unwrap();
    assert_eq!(leases.release().await, 0);
}
