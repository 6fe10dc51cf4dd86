//! Silver's records put in order: repositories sorted by org and id without copying them,
//! and each org's row of silver `orgs`.

use std::collections::HashMap;

use super::silver::OrgRecord;
use crate::config::RunSettings;
use crate::forge::{ListingOrg, RepoRecord};

/// `repos` ordered by org login, then repository id. Sorts indices, then moves each record
/// into place by following the permutation's cycles: the records are large, so a sort would
/// move them many times, and a sorted copy would hold them twice.
pub fn sort_by_org_and_id(repos: &mut [RepoRecord]) {
    let mut order: Vec<usize> = (0..repos.len()).collect();
    order.sort_unstable_by(|&a, &b| {
        let (a, b) = (&repos[a], &repos[b]);
        (&a.org_login, a.repo_id).cmp(&(&b.org_login, b.repo_id))
    });
    permute(repos, &mut order);
}

/// Rearranges `items` so that position `i` holds what was at `order[i]`, in place; `order`
/// (a permutation) is used up.
fn permute<T>(items: &mut [T], order: &mut [usize]) {
    const DONE: usize = usize::MAX;
    for start in 0..items.len() {
        let mut at = start;
        while order[at] != DONE {
            let from = std::mem::replace(&mut order[at], DONE);
            if from == start {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

/// Silver `orgs`: each org's name and page as its forge gives them
/// ([`crate::forge::Adapter::org_identity`]), with the configured display name; sorted by
/// org_login.
pub fn org_records(
    settings: &RunSettings,
    listings: &[ListingOrg],
    repos: &[RepoRecord],
) -> Vec<OrgRecord> {
    // The first repository of each org (they are sorted by org, then id) names its owner:
    // one look-up per run of an org's repositories, not per repository.
    let mut owners: HashMap<&str, &RepoRecord> = HashMap::new();
    for run in repos.chunk_by(|a, b| a.org_login == b.org_login) {
        owners.entry(&run[0].org_login).or_insert(&run[0]);
    }
    let mut orgs: Vec<OrgRecord> = listings
        .iter()
        .map(|listing| {
            let login = listing.login.to_string();
            let owner = owners.get(login.as_str());
            let forge = listing.login.forge();
            let (organisation, url) = forge.adapter().org_identity(listing, owner.copied());
            OrgRecord {
                display_name: settings.display_name(&listing.login),
                org_login: login,
                forge,
                organisation,
                url,
            }
        })
        .collect();
    orgs.sort_by(|a, b| a.org_login.cmp(&b.org_login));
    orgs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permute_places_each_item_from_its_order() {
        let mut items = vec!['a', 'b', 'c', 'd', 'e'];
        let mut order = vec![2, 0, 1, 3, 4];
        permute(&mut items, &mut order);
        assert_eq!(items, ['c', 'a', 'b', 'd', 'e']);
        let mut items = vec![10, 20, 30, 40];
        permute(&mut items, &mut [3, 2, 1, 0]);
        assert_eq!(items, [40, 30, 20, 10]);
        permute::<u8>(&mut [], &mut []);
    }
}
