//! Stages a page per organisation (`site/orgs/<slug>.html`), drawn on every core a batch at a
//! time, each batch written while the next is drawn, so that only two batches' pages are held
//! at once however many organisations and repositories the snapshot has.

use std::collections::{BTreeSet, HashMap};

use futures::{StreamExt, TryStreamExt};
use rayon::prelude::*;
use tokio_util::task::AbortOnDropHandle;

use super::history::OrgAtSnapshot;
use super::orgs::{slug, OrgRepositories, OrgShares};
use super::{html, ReportData, ReportError, Series};
use crate::lake::{outputs, Lake, LakeError, LakeKey, Output};

/// Organisation pages drawn at once: enough to keep both cores busy.
const PAGES_PER_BATCH: usize = 64;

/// Object-store writes in flight at once.
const PUTS_IN_FLIGHT: usize = 16;

/// Stages every organisation's page for the snapshot of `data`, and removes any page staged
/// before for an organisation it no longer has, so publish never ships one.
pub(super) async fn stage(
    lake: &Lake,
    data: &ReportData,
    repositories: &OrgRepositories,
) -> Result<(), ReportError> {
    let date = data.snapshot_date;
    let before: BTreeSet<LakeKey> = (lake.list(&outputs::staged_org_pages(date)).await?)
        .into_iter()
        .collect();
    let series: HashMap<&str, &Series> = (data.series.iter())
        .map(|s| (s.organisation.as_str(), s))
        .collect();
    let mut history: HashMap<&str, Vec<&OrgAtSnapshot>> = HashMap::new();
    for point in &data.history {
        history.entry(&point.org_login).or_default().push(point);
    }
    history
        .values_mut()
        .for_each(|h| h.sort_by(|a, b| a.date.cmp(&b.date)));
    let none = OrgShares::default();
    let columns = (repositories.columns()).map_err(|source| ReportError::Table {
        key: outputs::staged(date, &Output::GoldTable("repositories")),
        source,
    })?;
    let mut staged = BTreeSet::new();
    // A batch is written while the next is drawn: drawing a batch leaves a core idle while
    // its largest page is finished, and writing is mostly waiting on the file system.
    let mut writing: Option<AbortOnDropHandle<Result<(), LakeError>>> = None;
    for batch in data.orgs.chunks(PAGES_PER_BATCH) {
        let pages: Vec<(LakeKey, String)> = batch
            .par_iter()
            .map(|org| {
                let rows = repositories.rows_of(&org.org_login);
                let page = html::OrgPageData {
                    data,
                    org,
                    series: series.get(org.organisation.as_str()).copied(),
                    history: history
                        .get(org.org_login.as_str())
                        .cloned()
                        .unwrap_or_default(),
                    shares: data.org_shares.get(&org.org_login).unwrap_or(&none),
                    repositories: rows.iter().map(|&i| columns.line(i)).collect(),
                };
                let key = outputs::staged(date, &Output::OrgPage(slug(&org.org_login)));
                (key, html::render_org(&page))
            })
            .collect();
        staged.extend(pages.iter().map(|(key, _)| key.clone()));
        if let Some(written) = writing.take() {
            finish(written).await?;
        }
        writing = Some(AbortOnDropHandle::new(tokio::spawn(put_all(
            lake.clone(),
            pages,
        ))));
    }
    if let Some(written) = writing {
        finish(written).await?;
    }
    for stale in before.difference(&staged) {
        lake.delete(stale).await?;
    }
    Ok(())
}

/// Writes `pages`, [`PUTS_IN_FLIGHT`] at a time.
async fn put_all(lake: Lake, pages: Vec<(LakeKey, String)>) -> Result<(), LakeError> {
    let lake = &lake;
    futures::stream::iter(pages)
        .map(|(key, page)| async move { lake.put(&key, page.into_bytes()).await })
        .buffer_unordered(PUTS_IN_FLIGHT)
        .try_collect()
        .await
}

/// The outcome of a batch's writing; a panic in it resumes here.
async fn finish(written: AbortOnDropHandle<Result<(), LakeError>>) -> Result<(), ReportError> {
    match written.await {
        Ok(outcome) => Ok(outcome?),
        Err(failed) => std::panic::resume_unwind(failed.into_panic()),
    }
}
