use super::*;
use crate::forge::ListingOrg;

/// The sample's repositories, repeated with fresh ids to fill `rows`, sorted.
fn sample_records(rows: usize) -> Vec<RepoRecord> {
    let org = ListingOrg {
        login: "nhsdigital".parse().unwrap(),
        canonical_login: None,
        web_url: None,
    };
    let page = std::fs::read("data/sample/nhsdigital/page-1.json").unwrap();
    let adapter = crate::domain::Forge::Github.adapter();
    let page = adapter.parse_page(&org, &page, &BTreeMap::new()).unwrap();
    let mut records: Vec<RepoRecord> = page.iter().cycle().take(rows).cloned().collect();
    for (i, record) in records.iter_mut().enumerate() {
        record.repo_id = crate::domain::RepoId(i as u64 + 1);
    }
    records
}

/// A large snapshot is built another way (silver repos encoded a part at a time, gold
/// reading the encoded table, one model at a time): the same bytes and tables.
#[test]
fn large_snapshots_are_built_to_the_same_outputs() {
    let date: SnapshotDate = "2021-03-04".parse().unwrap();
    let records = sample_records(parquet::ROW_GROUP_ROWS + 1_000);
    let small = silver_repos(&records, date, false).unwrap();
    let large = silver_repos(&records, date, true).unwrap();
    let (SilverRepos::Framed(frame), SilverRepos::Encoded(encoded)) = (small, large) else {
        panic!("a small snapshot's silver repos is framed, a large one's encoded");
    };
    let small = SilverRepos::Framed(frame.clone()).encoded().unwrap();
    assert_eq!(small, encoded);

    let orgs = silver::orgs_frame(&[], date).unwrap();
    let languages = silver::repo_languages_frame(Vec::new(), date).unwrap();
    let tables = |repos, large| {
        let mut ctx = gold::silver_context(gold::SilverTables {
            repos,
            orgs: &orgs,
            repo_languages: languages.clone().lazy(),
        })
        .unwrap();
        let plans = gold::MODELS.iter().map(|m| m.plan(&mut ctx).unwrap());
        gold_tables(plans.collect(), large).unwrap()
    };
    let framed = polars::prelude::IntoLazy::lazy(frame);
    let scanned = parquet::scan_parquet_bytes(encoded).unwrap();
    let (together, alone) = (tables(framed, false), tables(scanned, true));
    assert_eq!(together, alone);
    let language_counts = &together[2];
    assert!(language_counts.height() > 1, "{language_counts}");
}
