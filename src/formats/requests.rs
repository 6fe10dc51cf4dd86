//! Requests an extract made, by endpoint: recorded in each org's manifest (bronze) and summed
//! into each build record.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Requests of one extract run to one endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointRequests {
    /// HTTP requests sent, retries included.
    pub requests: u64,
    /// Of which answered 304 Not Modified (free with a token).
    pub not_modified: u64,
    /// Answers reused from an earlier snapshot without a request, as the listing showed
    /// nothing that could change them.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub reused: u64,
    /// Points of the hour's budget the requests cost, as the API reported them (GitHub's
    /// GraphQL API; REST requests cost one each and have none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub points: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Requests by endpoint, summed over several records of them.
pub fn sum_requests<'a>(
    all: impl IntoIterator<Item = &'a BTreeMap<String, EndpointRequests>>,
) -> BTreeMap<String, EndpointRequests> {
    let mut total: BTreeMap<String, EndpointRequests> = BTreeMap::new();
    for counts in all {
        for (endpoint, c) in counts {
            let sum = total.entry(endpoint.clone()).or_default();
            sum.requests = sum.requests.saturating_add(c.requests);
            sum.not_modified = sum.not_modified.saturating_add(c.not_modified);
            sum.reused = sum.reused.saturating_add(c.reused);
            sum.points = sum.points.saturating_add(c.points);
        }
    }
    total
}
