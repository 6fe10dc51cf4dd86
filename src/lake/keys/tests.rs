use super::*;

fn date() -> SnapshotDate {
    "2021-03-04".parse().unwrap()
}

#[test]
fn keys_follow_the_documented_layout() {
    let org: OrgLogin = "NHSDigital".parse().unwrap();
    assert_eq!(
        bronze::page(date(), &org, 2).as_str(),
        "bronze/github/repos/snapshot_date=2021-03-04/org=nhsdigital/page-0002.json"
    );
    assert_eq!(
        bronze::org_manifest(date(), &org).as_str(),
        "bronze/github/repos/snapshot_date=2021-03-04/org=nhsdigital/_manifest.json"
    );
    assert_eq!(
        silver::repos(date()).as_str(),
        "silver/repos/snapshot_date=2021-03-04/part-0.parquet"
    );
    let table = Output::GoldTable("org_repos_daily");
    assert_eq!(
        outputs::staged(date(), &table).as_str(),
        "staging/snapshot_date=2021-03-04/gold/org_repos_daily/part-0.parquet"
    );
    assert_eq!(
        outputs::gold_file("org_repos_daily", date(), &"ab".repeat(32)).as_str(),
        "gold/org_repos_daily/snapshot_date=2021-03-04/part-abababababababab.parquet"
    );
    let csv = Output::SiteFile("org_repos_agg.csv");
    assert_eq!(
        outputs::staged(date(), &csv).as_str(),
        "staging/snapshot_date=2021-03-04/site/org_repos_agg.csv"
    );
    assert_eq!(outputs::published(&csv).as_str(), "site/org_repos_agg.csv");
}
