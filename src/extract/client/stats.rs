//! Requests made, 304s received and retries: the run's totals and each org's by endpoint.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use crate::domain::OrgLogin;
use crate::formats::requests::{self, EndpointRequests};

/// Requests made, 304s received and retries, over the whole run.
#[derive(Debug, Default)]
pub struct RequestStats {
    pub requests: AtomicU64,
    pub not_modified: AtomicU64,
    pub retries: AtomicU64,
    /// Requests and 304s by org (lower-case login), then by endpoint (`orgs`, `repos`,
    /// `license`, `languages`): each org's manifest records its own.
    by_org: Mutex<BTreeMap<String, BTreeMap<String, EndpointRequests>>>,
}

impl RequestStats {
    /// The points a request of `endpoint` cost, as its answer reported.
    pub fn count_points(&self, org: &OrgLogin, endpoint: &'static str, points: u64) {
        if let Ok(mut by_org) = self.by_org.lock() {
            let by_endpoint = by_org.entry(org.key()).or_default();
            let counts = by_endpoint.entry(endpoint.to_string()).or_default();
            counts.points = counts.points.saturating_add(points);
        }
    }

    /// An answer reused from an earlier snapshot instead of a request.
    pub fn count_reused(&self, org: &OrgLogin, endpoint: &'static str) {
        if let Ok(mut by_org) = self.by_org.lock() {
            let by_endpoint = by_org.entry(org.key()).or_default();
            by_endpoint.entry(endpoint.to_string()).or_default().reused += 1;
        }
    }

    pub(super) fn count(&self, org: &OrgLogin, endpoint: &'static str, not_modified: bool) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        if not_modified {
            self.not_modified.fetch_add(1, Ordering::Relaxed);
        }
        if let Ok(mut by_org) = self.by_org.lock() {
            let by_endpoint = by_org.entry(org.key()).or_default();
            let counts = by_endpoint.entry(endpoint.to_string()).or_default();
            counts.requests += 1;
            counts.not_modified += u64::from(not_modified);
        }
    }

    /// Requests by endpoint so far, over every org.
    pub fn by_endpoint(&self) -> BTreeMap<String, EndpointRequests> {
        let Ok(by_org) = self.by_org.lock() else {
            return BTreeMap::new();
        };
        requests::sum_requests(by_org.values())
    }

    /// Requests by endpoint so far for `org`.
    pub fn for_org(&self, org: &OrgLogin) -> BTreeMap<String, EndpointRequests> {
        let Ok(by_org) = self.by_org.lock() else {
            return BTreeMap::new();
        };
        by_org.get(&org.key()).cloned().unwrap_or_default()
    }
}
