//! Every key of the lake, and nothing else: the layout documented in [`crate::lake`].

use std::fmt;

use object_store::path::Path;

use crate::domain::{Forge, OrgLogin, SnapshotDate};

/// A key relative to the lake root (`silver/repos/snapshot_date=2021-03-04/part-0.parquet`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LakeKey(pub(crate) Path);

impl LakeKey {
    pub(crate) fn from_parts<'a>(parts: impl IntoIterator<Item = &'a str>) -> Self {
        Self(Path::from_iter(parts))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_ref()
    }

    /// The last segment (`page-0001.json`).
    pub fn file_name(&self) -> &str {
        self.0.filename().unwrap_or("")
    }

    /// `self` relative to `prefix`, when it lies under it.
    pub fn strip_prefix(&self, prefix: &LakeKey) -> Option<String> {
        let rest: Vec<_> = self
            .0
            .prefix_match(&prefix.0)?
            .map(|p| p.as_ref().to_string())
            .collect();
        Some(rest.join("/"))
    }
}

impl fmt::Display for LakeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_ref())
    }
}

fn partition(name: &str, value: impl fmt::Display) -> String {
    format!("{name}={value}")
}

/// Keys of the bronze layer (raw GitHub and GitLab responses).
pub mod bronze {
    use super::*;
    use crate::domain::RepoEndpoint;

    /// Each forge's listings: GitHub's repositories, GitLab's projects.
    fn listing(forge: Forge) -> [&'static str; 3] {
        ["bronze", forge.as_str(), forge.listing_folder()]
    }

    /// All snapshots of one forge's listings.
    pub fn listings_root(forge: Forge) -> LakeKey {
        LakeKey::from_parts(listing(forge))
    }

    /// Snapshot `date` of one forge's listings: its orgs' folders and membership markers.
    pub fn snapshot(forge: Forge, date: SnapshotDate) -> LakeKey {
        let date = partition("snapshot_date", date);
        LakeKey::from_parts(listing(forge).into_iter().chain([date.as_str()]))
    }

    /// The marker that makes `org` a member of the snapshot (never removed by a run).
    pub fn member(date: SnapshotDate, org: &OrgLogin) -> LakeKey {
        let file = format!("{}.json", org.key());
        child(&child(&snapshot(org.forge(), date), "_orgs"), &file)
    }

    pub fn org(date: SnapshotDate, org: &OrgLogin) -> LakeKey {
        child(&snapshot(org.forge(), date), &partition("org", org.key()))
    }

    /// Written last for an org: without it the org is incomplete.
    pub fn org_manifest(date: SnapshotDate, org_login: &OrgLogin) -> LakeKey {
        child(&org(date, org_login), "_manifest.json")
    }

    /// The org's stored record (`GET /orgs/{org}`, `GET /groups/:id`) and its sidecar.
    pub fn org_metadata(date: SnapshotDate, org_login: &OrgLogin) -> (LakeKey, LakeKey) {
        let dir = org(date, org_login);
        (child(&dir, "org.json"), child(&dir, "org.meta.json"))
    }

    pub fn page(date: SnapshotDate, org_login: &OrgLogin, number: u32) -> LakeKey {
        child(&org(date, org_login), &format!("page-{number:04}.json"))
    }

    pub fn page_sidecar(date: SnapshotDate, org_login: &OrgLogin, number: u32) -> LakeKey {
        child(
            &org(date, org_login),
            &format!("page-{number:04}.meta.json"),
        )
    }

    /// Batched answer `number` of the org's per-repository requests (GitHub's GraphQL API),
    /// as received, and its sidecar.
    pub fn batch(date: SnapshotDate, org_login: &OrgLogin, number: u32) -> (LakeKey, LakeKey) {
        let dir = org(date, org_login);
        (
            child(&dir, &format!("graphql-{number:04}.json")),
            child(&dir, &format!("graphql-{number:04}.meta.json")),
        )
    }

    /// One org's answers of a per-repository endpoint:
    /// `bronze/<forge>/{license,languages}/snapshot_date=S/org=O/responses.json`.
    pub fn repo_responses(
        endpoint: RepoEndpoint,
        date: SnapshotDate,
        org_login: &OrgLogin,
    ) -> LakeKey {
        let date = partition("snapshot_date", date);
        let org = partition("org", org_login.key());
        LakeKey::from_parts([
            "bronze",
            org_login.forge().as_str(),
            endpoint.name(),
            date.as_str(),
            org.as_str(),
            "responses.json",
        ])
    }
}

/// Keys of the silver layer (typed, cleaned rows).
pub mod silver {
    use super::*;

    pub fn repos(date: SnapshotDate) -> LakeKey {
        table("repos", date)
    }

    pub fn orgs(date: SnapshotDate) -> LakeKey {
        table("orgs", date)
    }

    pub fn repo_languages(date: SnapshotDate) -> LakeKey {
        table("repo_languages", date)
    }

    /// Each distinct licence file text of a snapshot and what it was identified as.
    pub fn licence_texts(date: SnapshotDate) -> LakeKey {
        table("licence_texts", date)
    }

    /// The partitions of [`licence_texts`].
    pub fn licence_texts_root() -> LakeKey {
        LakeKey::from_parts(["silver", "licence_texts"])
    }

    fn table(name: &str, date: SnapshotDate) -> LakeKey {
        let date = partition("snapshot_date", date);
        LakeKey::from_parts(["silver", name, date.as_str(), "part-0.parquet"])
    }
}

/// A file that transform builds and publish makes visible.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Output {
    /// A gold table's partition for the snapshot.
    GoldTable(&'static str),
    /// A file of the public site (`org_repos_agg.csv`).
    SiteFile(&'static str),
    /// A file at the root, describing the rest (`datapackage.json`, the manifests' JSON
    /// Schemas): published with the site files, for the snapshot the site shows.
    RootFile(&'static str),
    /// An organisation's page, `site/orgs/<slug>.html` (`report::orgs::slug`; a GitLab
    /// group's slug has folders).
    OrgPage(String),
}

/// Keys of built and published outputs.
pub mod outputs {
    use super::*;

    /// The site CSV the statistics site reads.
    pub const SITE_CSV: Output = Output::SiteFile("org_repos_agg.csv");
    /// The page, rendered by report beside the site CSV.
    pub const INDEX_HTML: Output = Output::SiteFile("index.html");
    /// The page as its build's copy shows it (`site/snapshot_date=S/build=B/index.html`),
    /// whose relative links start two folders deeper: staged beside `index.html`, published
    /// only as that copy.
    pub const INDEX_HTML_OF_BUILD: Output = Output::SiteFile("index.of-build.html");
    /// The organisation pages' styles, which each links rather than holding its own copy.
    pub const PAGES_STYLE: Output = Output::SiteFile("style.css");
    /// The organisation pages' script (sorting and filtering their tables).
    pub const PAGES_SCRIPT: Output = Output::SiteFile("script.js");
    /// The Frictionless data package describing the site CSV and every gold table.
    pub const DATA_PACKAGE: Output = Output::RootFile("datapackage.json");
    /// The JSON Schema of the publish manifests (`gold/_manifests/…`, `site/_manifest.json`).
    pub const MANIFEST_SCHEMA: Output = Output::RootFile("manifest.schema.json");
    /// The JSON Schema of the build record (`_build.json`), which each manifest embeds.
    pub const BUILD_SCHEMA: Output = Output::RootFile("build.schema.json");
    /// The gold twin of the site CSV.
    pub const ORG_REPOS_DAILY: Output = Output::GoldTable(GOLD_TABLES[0]);
    /// Everything transform and report stage and publish publishes, gold tables first.
    pub const ALL: [Output; 16] = [
        Output::GoldTable(GOLD_TABLES[0]),
        Output::GoldTable(GOLD_TABLES[1]),
        Output::GoldTable(GOLD_TABLES[2]),
        Output::GoldTable(GOLD_TABLES[3]),
        Output::GoldTable(GOLD_TABLES[4]),
        Output::GoldTable(GOLD_TABLES[5]),
        Output::GoldTable(GOLD_TABLES[6]),
        Output::GoldTable(GOLD_TABLES[7]),
        Output::GoldTable(GOLD_TABLES[8]),
        SITE_CSV,
        INDEX_HTML,
        PAGES_STYLE,
        PAGES_SCRIPT,
        DATA_PACKAGE,
        MANIFEST_SCHEMA,
        BUILD_SCHEMA,
    ];

    /// What report stages, after transform wrote the build record: the index, the pages'
    /// style and script and the organisation pages, each carrying its build's marker
    /// (`formats::build::build_marker`) in place of a checksum in the record.
    pub fn staged_by_report(output: &Output) -> bool {
        matches!(output, Output::OrgPage(_))
            || [INDEX_HTML, PAGES_STYLE, PAGES_SCRIPT].contains(output)
    }

    /// Every gold table, in the order transform builds them: the one registry that the
    /// output keys above, transform's models (`transform::gold::MODELS` after
    /// `org_repos_daily`), the DuckDB views and the data's documentation follow; tests check
    /// each against it.
    pub const GOLD_TABLES: [&str; 9] = [
        "org_repos_daily",
        "org_latest",
        "org_snapshot_counts",
        "language_counts",
        "licence_counts",
        "headline",
        "language_bytes",
        "topic_counts",
        "repositories",
    ];

    /// All staged snapshots.
    pub fn staging_root() -> LakeKey {
        LakeKey::from_parts(["staging"])
    }

    /// All published snapshots' manifests.
    pub fn manifests_root() -> LakeKey {
        LakeKey::from_parts(["gold", "_manifests"])
    }

    pub fn staging(date: SnapshotDate) -> LakeKey {
        LakeKey::from_parts(["staging", &partition("snapshot_date", date)])
    }

    /// Where transform leaves `output` for publish.
    pub fn staged(date: SnapshotDate, output: &Output) -> LakeKey {
        let staging = staging(date);
        match output {
            Output::GoldTable(table) => {
                LakeKey(staging.0.join("gold").join(*table).join("part-0.parquet"))
            }
            Output::SiteFile(name) => child(&child(&staging, "site"), name),
            Output::RootFile(name) => child(&child(&staging, "root"), name),
            Output::OrgPage(slug) => below(&staged_org_pages(date), &format!("{slug}.html")),
        }
    }

    /// Where report stages the organisation pages of snapshot `date`.
    pub fn staged_org_pages(date: SnapshotDate) -> LakeKey {
        child(&child(&staging(date), "site"), "orgs")
    }

    /// The current site's organisation pages, `site/orgs/`.
    pub fn published_org_pages() -> LakeKey {
        LakeKey::from_parts(["site", "orgs"])
    }

    /// What transform records about the staged outputs, for publish's manifest.
    pub fn build_record(date: SnapshotDate) -> LakeKey {
        child(&staging(date), "_build.json")
    }

    /// Where readers find a site or root file once published (a gold table's data file is
    /// named by its bytes: [`gold_file`]).
    pub fn published(output: &Output) -> LakeKey {
        match output {
            Output::GoldTable(table) => gold_table(table),
            Output::SiteFile(name) => LakeKey::from_parts(["site", name]),
            Output::RootFile(name) => LakeKey::from_parts([*name]),
            Output::OrgPage(slug) => below(&published_org_pages(), &format!("{slug}.html")),
        }
    }

    /// A gold table's folder, a Delta table: its `_delta_log/` and Hive partitions.
    pub fn gold_table(table: &str) -> LakeKey {
        LakeKey::from_parts(["gold", table])
    }

    /// A gold table's Delta log.
    pub fn delta_log(table: &str) -> LakeKey {
        LakeKey::from_parts(["gold", table, "_delta_log"])
    }

    /// A gold table's Hive partition of snapshot `date`.
    pub fn gold_partition(table: &str, date: SnapshotDate) -> LakeKey {
        let date = partition("snapshot_date", date);
        LakeKey::from_parts(["gold", table, date.as_str()])
    }

    /// A gold table's data file for snapshot `date`, named by the first 16 hex digits of its
    /// SHA-256: `gold/<table>/snapshot_date=S/part-<sha>.parquet`. Never overwritten, as a
    /// Delta log names its files and time travel reads them as they were.
    pub fn gold_file(table: &str, date: SnapshotDate, sha256: &str) -> LakeKey {
        let file = format!("part-{}.parquet", &sha256[..16.min(sha256.len())]);
        child(&gold_partition(table, date), &file)
    }

    /// An output's immutable copy for its build, which readers following the manifests
    /// fetch, never mixing two builds (a republished snapshot with changed outputs is a new
    /// build, at new keys): `gold/_builds/snapshot_date=S/build=B/<table>.parquet` (beside
    /// the tables' Hive folders, so globs over them never read it twice) and
    /// `site/snapshot_date=S/build=B/<name>`.
    pub fn build_copy(date: SnapshotDate, build_id: &str, output: &Output) -> LakeKey {
        let date = partition("snapshot_date", date);
        let build = partition("build", build_id);
        match output {
            Output::GoldTable(table) => {
                let file = format!("{table}.parquet");
                LakeKey::from_parts([
                    "gold",
                    "_builds",
                    date.as_str(),
                    build.as_str(),
                    file.as_str(),
                ])
            }
            Output::SiteFile(name) | Output::RootFile(name) => {
                LakeKey::from_parts(["site", date.as_str(), build.as_str(), name])
            }
            Output::OrgPage(slug) => {
                let orgs = LakeKey::from_parts(["site", date.as_str(), build.as_str(), "orgs"]);
                below(&orgs, &format!("{slug}.html"))
            }
        }
    }

    /// The per-snapshot publish manifest, written after every object it lists.
    pub fn snapshot_manifest(date: SnapshotDate) -> LakeKey {
        let date = partition("snapshot_date", date);
        LakeKey::from_parts(["gold", "_manifests", date.as_str(), "_manifest.json"])
    }

    /// Which snapshot `site/` shows; written after the site files.
    pub fn site_manifest() -> LakeKey {
        LakeKey::from_parts(["site", "_manifest.json"])
    }
}

/// Keys of the leases that keep runs apart (see [`crate::lease`]).
pub mod leases {
    use super::*;

    /// Every org's bronze lease for one snapshot: `_leases/bronze/snapshot_date=S`.
    pub fn bronze_snapshot(date: SnapshotDate) -> LakeKey {
        let date = partition("snapshot_date", date);
        LakeKey::from_parts(["_leases", "bronze", date.as_str()])
    }

    /// One org's bronze for one snapshot: `_leases/bronze/snapshot_date=S/org=<login>`.
    pub fn org_bronze(date: SnapshotDate, org_key: &str) -> LakeKey {
        child(&bronze_snapshot(date), &partition("org", org_key))
    }

    /// A snapshot's silver and staging: `_leases/snapshot/snapshot_date=S`.
    pub fn snapshot(date: SnapshotDate) -> LakeKey {
        let date = partition("snapshot_date", date);
        LakeKey::from_parts(["_leases", "snapshot", date.as_str()])
    }

    /// The site: `_leases/site`.
    pub fn site() -> LakeKey {
        LakeKey::from_parts(["_leases", "site"])
    }

    /// The lease folder `relative` (`org=<login>`) under `folder`.
    pub fn under(folder: &LakeKey, relative: &str) -> LakeKey {
        LakeKey(Path::from_iter(
            folder.0.parts().chain(Path::from(relative).parts()),
        ))
    }

    /// Generation `n` of the lease in `folder`, zero-padded so keys sort by number.
    pub fn generation(folder: &LakeKey, n: u64) -> LakeKey {
        child(folder, &format!("{n:020}.json"))
    }

    /// The object a run creates twice to check the store honours conditional creates.
    pub fn probe(run_id: &str) -> LakeKey {
        LakeKey::from_parts(["_leases", "_probe", run_id])
    }
}

fn child(parent: &LakeKey, name: &str) -> LakeKey {
    LakeKey(parent.0.clone().join(name))
}

/// The key `path` (`/`-separated) names under `parent`.
fn below(parent: &LakeKey, path: &str) -> LakeKey {
    path.split('/')
        .fold(parent.clone(), |key, name| child(&key, name))
}

#[cfg(test)]
mod tests;
