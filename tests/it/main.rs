//! The one integration test binary (each extra binary would re-link polars).

mod architecture;
mod cli;
mod common;
mod dbt;
mod delta;
mod details;
mod docs;
mod examples;
mod extract;
mod gcs;
mod github_mock;
mod gitlab;
mod graphql;
mod hardening;
mod integrity;
mod lake;
mod opendata;
mod operations;
mod org_pages;
mod pipeline;
mod properties;
mod publish;
mod report;
mod servers;
mod site;
mod transform;
