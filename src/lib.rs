//! open-health-stats: measures the use of open-source code in the NHS.
//!
//! Stages, run in order by `ohs run`: [`extract`] (GitHub and GitLab APIs → bronze),
//! [`transform`] (bronze → silver → gold and the site CSV), [`report`] (staged gold → the
//! page) and [`publish`] (staged outputs → the published area, atomically). [`forge`] holds
//! what differs between forges; [`lake`] owns every key; [`config`] every setting; [`bronze`]
//! is the contract between extract and transform.

pub mod bronze;
pub mod cli;
pub mod config;
pub mod delta;
pub mod domain;
pub mod exit;
pub mod extract;
pub mod failpoint;
pub mod forge;
pub mod formats;
pub mod lake;
pub mod lease;
pub mod memory;
pub mod normalise;
pub mod publish;
pub mod redact;
pub mod report;
pub mod status;
pub mod timings;
pub mod transform;
