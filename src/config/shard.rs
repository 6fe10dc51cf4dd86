//! `--shard I/N`: which of the run's orgs one of N parallel tasks extracts.

use std::fmt;

use crate::domain::OrgLogin;

/// `--shard I/N`: the I-th of N stable shares of the run's orgs (1-based). An org's shard
/// depends only on its login, so N parallel tasks extract disjoint sets whatever the order
/// of the list, and together every org.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// Whether `login` falls in this shard: SHA-256 of the login's lake key (lower case), its first
    /// eight bytes as a big-endian number, modulo N.
    pub fn selects(&self, login: &OrgLogin) -> bool {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(login.key().as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        u64::from_be_bytes(first) % u64::from(self.count) == u64::from(self.index - 1)
    }
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || format!("invalid shard {s:?}: expected I/N with 1 <= I <= N, e.g. 2/3");
        let (index, count) = s.split_once('/').ok_or_else(invalid)?;
        let index: u32 = index.trim().parse().map_err(|_| invalid())?;
        let count: u32 = count.trim().parse().map_err(|_| invalid())?;
        if index == 0 || count == 0 || index > count {
            return Err(invalid());
        }
        Ok(Self { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}
