//! 配置版本 — the versions of a district's configuration a node holds, each with the time it
//! takes effect, and the version in force at a time: a move is judged by the version in force
//! when it was made, so a new limits table never re-judges closed cases.

use std::sync::Arc;

use super::DistrictConfig;
use crate::domain::calendar::Millis;

/// One version of the configuration (配置版本).
#[derive(Debug, Clone)]
pub struct ConfigVersion {
    /// Increases with every signed release.
    pub version: u64,
    /// When it takes effect (生效时间); moves made before it are judged by older versions.
    pub effective: Millis,
    /// The content hash of its files (see [`super::ConfigFiles::hash`]).
    pub hash: String,
    /// The checked configuration.
    pub config: Arc<DistrictConfig>,
}

/// The versions a node holds (配置版本表), by version.
#[derive(Debug, Clone)]
pub struct ConfigBook {
    versions: Vec<ConfigVersion>,
}

/// Why a set of versions does not form a book.
#[derive(Debug, thiserror::Error)]
pub enum BookError {
    /// No version at all.
    #[error("no configuration version")]
    Empty,
    /// Two versions with the same number.
    #[error("configuration version {0} is given twice")]
    Duplicate(u64),
    /// A later version takes effect before an earlier one.
    #[error("configuration version {later} takes effect before version {earlier}")]
    Backwards {
        /// The earlier version.
        earlier: u64,
        /// The later version, effective before it.
        later: u64,
    },
    /// A version for another district.
    #[error("configuration version {version} is for district {found}, not {expected}")]
    OtherDistrict {
        /// The version.
        version: u64,
        /// The district of the first version.
        expected: String,
        /// The district it names.
        found: String,
    },
}

impl ConfigBook {
    /// A book of one version, in force from the beginning of time.
    pub fn single(config: DistrictConfig, hash: String) -> ConfigBook {
        ConfigBook {
            versions: vec![ConfigVersion {
                version: 1,
                effective: Millis::MIN,
                hash,
                config: Arc::new(config),
            }],
        }
    }

    /// The demo district's book (one version).
    pub fn demo() -> ConfigBook {
        ConfigBook::single(DistrictConfig::demo().clone(), super::demo_files().hash())
    }

    /// A book of these versions: sorted by version, same district, effective times never
    /// going back.
    pub fn new(mut versions: Vec<ConfigVersion>) -> Result<ConfigBook, BookError> {
        versions.sort_by_key(|v| v.version);
        let first = versions.first().ok_or(BookError::Empty)?;
        let root = first.config.district.root().id.clone();
        for w in versions.windows(2) {
            if w[0].version == w[1].version {
                return Err(BookError::Duplicate(w[1].version));
            }
            if w[1].effective < w[0].effective {
                return Err(BookError::Backwards {
                    earlier: w[0].version,
                    later: w[1].version,
                });
            }
        }
        if let Some(v) = versions
            .iter()
            .find(|v| v.config.district.root().id != root)
        {
            return Err(BookError::OtherDistrict {
                version: v.version,
                expected: root.to_string(),
                found: v.config.district.root().id.to_string(),
            });
        }
        Ok(ConfigBook { versions })
    }

    /// The version in force at `t`: the newest whose effective time is at or before `t`;
    /// before every effective time, the first version.
    pub fn at(&self, t: Millis) -> &ConfigVersion {
        self.versions
            .iter()
            .rev()
            .find(|v| v.effective <= t)
            .unwrap_or(&self.versions[0])
    }

    /// The newest version held (perhaps not yet in force).
    pub fn latest(&self) -> &ConfigVersion {
        self.versions.last().expect("a book is never empty")
    }

    /// Every version, oldest first.
    pub fn versions(&self) -> &[ConfigVersion] {
        &self.versions
    }
}
