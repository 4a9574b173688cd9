//! The district configuration as released (配置发布): each version of the package signed by
//! the district root with its version, effective time and content hash; the history of
//! versions a node holds (`config.json`), verified against the root before use, merged from
//! any peer that holds newer versions, and turned into the [`ConfigBook`] the engine runs on.

use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;

use gridloop_core::domain::calendar::Millis;
use gridloop_core::domain::config::{
    BookError, ConfigBook, ConfigError, ConfigFiles, ConfigVersion, DistrictConfig,
};
use gridloop_core::domain::unit::UnitId;

use crate::identity::{NodeKey, parse_public, verify};

/// Errors of released configurations (配置发布错误).
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    /// The file could not be read or written.
    #[error("configuration file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The IO error.
        source: std::io::Error,
    },
    /// The bytes are not a configuration history.
    #[error("not a gridloop configuration file: {0}")]
    Malformed(String),
    /// A release whose signature does not verify against the root.
    #[error("configuration version {version} is not signed by the district root {root}")]
    BadSignature {
        /// The version.
        version: u64,
        /// The root it should be signed by.
        root: String,
    },
    /// A release signed for another root or district.
    #[error(
        "configuration version {version} names root {found}, but this node trusts root {trusted}"
    )]
    WrongRoot {
        /// The version.
        version: u64,
        /// The trusted root.
        trusted: String,
        /// The root it names.
        found: String,
    },
    /// The files do not match the hash that was signed.
    #[error("configuration version {0}: its files do not match the signed content hash")]
    HashMismatch(u64),
    /// Two different releases under one version number.
    #[error("configuration version {0} is held with different content: refused")]
    Conflict(u64),
    /// A release whose files do not check.
    #[error("configuration version {version}: {source}")]
    Invalid {
        /// The version.
        version: u64,
        /// What is wrong.
        source: ConfigError,
    },
    /// The versions do not form a book.
    #[error(transparent)]
    Book(#[from] BookError),
    /// A configuration of a standalone node where a district's signed one is needed.
    #[error("the configuration is not signed by a district root (a standalone node's)")]
    Unsigned,
}

/// One released version (配置版本): what the root signs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Release {
    /// The district unit.
    pub district: UnitId,
    /// The root public key (64 hex digits); empty for a standalone node's local package.
    pub root: String,
    /// Increases with every release.
    pub version: u64,
    /// When it takes effect (生效时间), ms since the epoch.
    pub effective: Millis,
    /// The content hash of `files` ([`ConfigFiles::hash`]).
    pub hash: String,
    /// The package's files.
    pub files: ConfigFiles,
}

/// A release with the root's signature over its JSON (签名配置).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedRelease {
    /// The release as JSON (what was signed).
    pub release: String,
    /// The root's signature, hex; empty for a standalone node's local package.
    pub signature: String,
}

/// Every version a node holds (配置版本表), as stored in `config.json` and sent to peers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigHistory {
    /// The signed releases, by version.
    pub releases: Vec<SignedRelease>,
}

const DOMAIN: &[u8] = b"gridloop/config/1\0";

impl Release {
    /// A release of checked files (the caller has run [`DistrictConfig::from_files`]).
    pub fn new(
        district: UnitId,
        root: String,
        version: u64,
        effective: Millis,
        files: ConfigFiles,
    ) -> Release {
        Release {
            district,
            root,
            version,
            effective,
            hash: files.hash(),
            files,
        }
    }

    /// Signs the release with the root key.
    pub fn sign(&self, root: &NodeKey) -> SignedRelease {
        let release = serde_json::to_string(self).expect("a release always encodes");
        let mut msg = DOMAIN.to_vec();
        msg.extend_from_slice(release.as_bytes());
        SignedRelease {
            release,
            signature: crate::identity::hex(&root.sign(&msg)),
        }
    }

    /// A standalone node's local package: not signed, refused wherever a root is trusted.
    pub fn local(self) -> SignedRelease {
        SignedRelease {
            release: serde_json::to_string(&self).expect("a release always encodes"),
            signature: String::new(),
        }
    }
}

impl SignedRelease {
    /// Verifies the release: signed by `trusted_root` (or, without one, only a standalone
    /// node's unsigned package is accepted), and its files match the signed hash.
    pub fn verify(&self, trusted_root: Option<&str>) -> Result<Release, ReleaseError> {
        let r: Release = serde_json::from_str(&self.release)
            .map_err(|e| ReleaseError::Malformed(e.to_string()))?;
        match trusted_root {
            Some(t) => {
                if r.root != t {
                    return Err(ReleaseError::WrongRoot {
                        version: r.version,
                        trusted: t.to_owned(),
                        found: r.root.clone(),
                    });
                }
                let bad = || ReleaseError::BadSignature {
                    version: r.version,
                    root: r.root.clone(),
                };
                let key = parse_public(&r.root).map_err(|_| bad())?;
                let sig = crate::identity::unhex(&self.signature).ok_or_else(bad)?;
                let mut msg = DOMAIN.to_vec();
                msg.extend_from_slice(self.release.as_bytes());
                verify(&key, &msg, &sig).map_err(|_| bad())?;
            }
            None if !self.signature.is_empty() || !r.root.is_empty() => {
                // A signed release is only ever checked against the root a node trusts.
                return Err(ReleaseError::WrongRoot {
                    version: r.version,
                    trusted: String::new(),
                    found: r.root.clone(),
                });
            }
            None => {}
        }
        if r.files.hash() != r.hash {
            return Err(ReleaseError::HashMismatch(r.version));
        }
        Ok(r)
    }
}

impl ConfigHistory {
    /// A history of one release.
    pub fn of(release: SignedRelease) -> ConfigHistory {
        ConfigHistory {
            releases: vec![release],
        }
    }

    /// Verifies every release against `root` (see [`SignedRelease::verify`]), oldest first.
    pub fn verify(&self, root: Option<&str>) -> Result<Vec<Release>, ReleaseError> {
        let mut out = self
            .releases
            .iter()
            .map(|s| s.verify(root))
            .collect::<Result<Vec<_>, _>>()?;
        out.sort_by_key(|r| r.version);
        for w in out.windows(2) {
            if w[0].version == w[1].version {
                return Err(ReleaseError::Conflict(w[0].version));
            }
        }
        Ok(out)
    }

    /// `(version, effective)` of every release that parses, by version.
    pub fn versions(&self) -> Vec<(u64, Millis)> {
        let mut v: Vec<(u64, Millis)> = self
            .releases
            .iter()
            .filter_map(|s| serde_json::from_str::<Release>(&s.release).ok())
            .map(|r| (r.version, r.effective))
            .collect();
        v.sort_unstable();
        v
    }

    /// The version in force at `t` among `versions` (see [`ConfigBook::at`]): the newest
    /// already effective, else the first; 0 when there is none.
    pub fn in_force(versions: &[(u64, Millis)], t: Millis) -> u64 {
        versions
            .iter()
            .rev()
            .find(|(_, e)| *e <= t)
            .or(versions.first())
            .map_or(0, |(v, _)| *v)
    }

    /// The newest version held (0 when none).
    pub fn version(&self) -> u64 {
        self.releases
            .iter()
            .filter_map(|s| serde_json::from_str::<Release>(&s.release).ok())
            .map(|r| r.version)
            .max()
            .unwrap_or(0)
    }

    /// The book the engine runs on: every release verified against `root` and checked.
    pub fn book(&self, root: Option<&str>) -> Result<ConfigBook, ReleaseError> {
        let versions = self
            .verify(root)?
            .into_iter()
            .map(|r| {
                let config = DistrictConfig::from_files(&r.files).map_err(|source| {
                    ReleaseError::Invalid {
                        version: r.version,
                        source,
                    }
                })?;
                Ok(ConfigVersion {
                    version: r.version,
                    effective: r.effective,
                    hash: r.hash,
                    config: Arc::new(config),
                })
            })
            .collect::<Result<Vec<_>, ReleaseError>>()?;
        Ok(ConfigBook::new(versions)?)
    }

    /// Takes the releases of `offered` that this history lacks, after verifying them (and
    /// checking their files) against `root`; a different release under a version already
    /// held is refused. Returns whether anything was added.
    pub fn merge(&mut self, offered: &ConfigHistory, root: &str) -> Result<bool, ReleaseError> {
        let held = self.verify(Some(root))?;
        let mut merged = self.clone();
        for signed in &offered.releases {
            let r = signed.verify(Some(root))?;
            match held.iter().find(|h| h.version == r.version) {
                // The same release: same files, effective time and district.
                Some(h) if *h == r => {}
                Some(_) => return Err(ReleaseError::Conflict(r.version)),
                None if merged.releases.contains(signed) => {}
                None => merged.releases.push(signed.clone()),
            }
        }
        if merged.releases.len() == self.releases.len() {
            return Ok(false);
        }
        // Every taken version must check, and the versions still form a book (effective
        // times never go back); otherwise nothing is taken.
        merged.book(Some(root))?;
        *self = merged;
        Ok(true)
    }

    /// The JSON bytes (file format and wire form).
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a configuration history always encodes")
    }

    /// Parses the JSON bytes (without verifying).
    pub fn from_bytes(bytes: &[u8]) -> Result<ConfigHistory, ReleaseError> {
        serde_json::from_slice(bytes).map_err(|e| ReleaseError::Malformed(e.to_string()))
    }

    /// Reads a `config.json`.
    pub fn read(path: &Path) -> Result<ConfigHistory, ReleaseError> {
        let bytes = std::fs::read(path).map_err(|source| ReleaseError::Io {
            path: path.display().to_string(),
            source,
        })?;
        ConfigHistory::from_bytes(&bytes)
    }

    /// Writes a `config.json` atomically (by rename).
    pub fn write(&self, path: &Path) -> Result<(), ReleaseError> {
        let io = |source| ReleaseError::Io {
            path: path.display().to_string(),
            source,
        };
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, self.to_bytes()).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gridloop_core::domain::config::demo_files;

    fn release(root: &NodeKey, version: u64, effective: Millis) -> SignedRelease {
        Release::new(
            UnitId::from("110101"),
            root.id(),
            version,
            effective,
            demo_files(),
        )
        .sign(root)
    }

    #[test]
    fn a_release_verifies_against_its_root_and_makes_a_book() {
        let root = NodeKey::generate();
        let h = ConfigHistory::of(release(&root, 1, Millis::MIN));
        let book = h.book(Some(&root.id())).expect("book");
        assert_eq!(book.latest().version, 1);
        assert_eq!(book.latest().config.district.root().id.as_str(), "110101");
    }

    #[test]
    fn another_roots_release_is_refused_and_nothing_is_merged() {
        let root = NodeKey::generate();
        let other = NodeKey::generate();
        let mut held = ConfigHistory::of(release(&root, 1, Millis::MIN));
        let forged = ConfigHistory::of(release(&other, 2, 0));
        let e = held.merge(&forged, &root.id()).expect_err("another root");
        assert!(
            matches!(e, ReleaseError::WrongRoot { version: 2, .. }),
            "{e}"
        );
        // The same release relabelled with the trusted root fails its signature.
        let mut relabelled = release(&other, 2, 0);
        relabelled.release = relabelled.release.replace(&other.id(), &root.id());
        let e = held
            .merge(&ConfigHistory::of(relabelled), &root.id())
            .expect_err("bad signature");
        assert!(
            matches!(e, ReleaseError::BadSignature { version: 2, .. }),
            "{e}"
        );
        assert_eq!(held.version(), 1, "nothing was taken");
    }

    #[test]
    fn tampered_files_and_a_second_content_for_a_version_are_refused() {
        let root = NodeKey::generate();
        // Files changed after signing: the signature still covers the JSON, so re-sign the
        // tampered JSON with the root to reach the hash check.
        let mut r = Release::new(UnitId::from("110101"), root.id(), 2, 0, demo_files());
        r.files
            .files
            .insert("limits.toml".into(), "accept = \"1h\"\n".into());
        let tampered = r.sign(&root);
        let mut held = ConfigHistory::of(release(&root, 1, Millis::MIN));
        let e = held
            .merge(&ConfigHistory::of(tampered), &root.id())
            .expect_err("hash mismatch");
        assert!(matches!(e, ReleaseError::HashMismatch(2)), "{e}");
        // A different release under version 1.
        let mut files = demo_files();
        files
            .files
            .insert("limits.toml".into(), "accept = \"1h\"\n".into());
        let other_v1 =
            Release::new(UnitId::from("110101"), root.id(), 1, Millis::MIN, files).sign(&root);
        let e = held
            .merge(&ConfigHistory::of(other_v1), &root.id())
            .expect_err("conflict");
        assert!(matches!(e, ReleaseError::Conflict(1)), "{e}");
        // The same files under version 2 twice, with two effective times: the second is a
        // conflict too (nodes would otherwise judge moves by different times).
        held.merge(&ConfigHistory::of(release(&root, 2, 5_000)), &root.id())
            .expect("version 2");
        let e = held
            .merge(&ConfigHistory::of(release(&root, 2, 9_000)), &root.id())
            .expect_err("same files, other effective time");
        assert!(matches!(e, ReleaseError::Conflict(2)), "{e}");
    }

    #[test]
    fn a_version_that_takes_effect_before_its_predecessor_is_refused() {
        let root = NodeKey::generate();
        let mut held = ConfigHistory::of(release(&root, 1, 1_000));
        let e = held
            .merge(&ConfigHistory::of(release(&root, 2, 500)), &root.id())
            .expect_err("backwards");
        assert!(matches!(e, ReleaseError::Book(_)), "{e}");
        assert_eq!(held.version(), 1, "nothing was taken");
    }

    #[test]
    fn a_standalone_package_is_refused_where_a_root_is_trusted() {
        let root = NodeKey::generate();
        let local = Release::new(
            UnitId::from("110101"),
            String::new(),
            1,
            Millis::MIN,
            demo_files(),
        )
        .local();
        let h = ConfigHistory::of(local);
        assert!(
            h.book(None).is_ok(),
            "a standalone node runs on its own package"
        );
        assert!(h.book(Some(&root.id())).is_err(), "a joined node does not");
        let signed = ConfigHistory::of(release(&root, 1, Millis::MIN));
        assert!(
            signed.book(None).is_err(),
            "a signed package needs its root"
        );
    }
}
