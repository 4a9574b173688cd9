//! Node identity (节点身份): the Ed25519 secret key that is also the node's iroh endpoint id,
//! kept in a file beside the store.

use iroh::{PublicKey, SecretKey, Signature};
use std::path::Path;

/// Errors loading or parsing keys.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key file could not be read or written.
    #[error("key file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The IO error.
        source: std::io::Error,
    },
    /// The key file does not hold a key.
    #[error("key file {path} does not hold a 64-hex-digit Ed25519 secret key")]
    Malformed {
        /// The file.
        path: String,
    },
    /// A public key (endpoint id) that does not parse.
    #[error("`{0}` is not an endpoint id (64 hex digits of an Ed25519 public key)")]
    BadPublic(String),
}

/// A node's secret key (节点密钥).
#[derive(Clone, Debug)]
pub struct NodeKey(SecretKey);

impl NodeKey {
    /// A fresh random key.
    pub fn generate() -> NodeKey {
        let bytes: [u8; 32] = rand::random();
        NodeKey(SecretKey::from_bytes(&bytes))
    }

    /// Wraps an iroh secret key.
    pub fn from_secret(key: SecretKey) -> NodeKey {
        NodeKey(key)
    }

    /// Loads the key in `path`, creating it (mode 0600) if the file does not exist.
    pub fn load_or_create(path: &Path) -> Result<NodeKey, KeyError> {
        let io = |source| KeyError::Io {
            path: path.display().to_string(),
            source,
        };
        if path.exists() {
            let text = std::fs::read_to_string(path).map_err(io)?;
            return NodeKey::parse(text.trim()).ok_or(KeyError::Malformed {
                path: path.display().to_string(),
            });
        }
        let key = NodeKey::generate();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        write_private(path, &hex(&key.0.to_bytes())).map_err(io)?;
        Ok(key)
    }

    /// Parses 64 hex digits.
    pub fn parse(text: &str) -> Option<NodeKey> {
        let bytes: [u8; 32] = unhex(text)?.try_into().ok()?;
        Some(NodeKey(SecretKey::from_bytes(&bytes)))
    }

    /// The secret as 64 hex digits (for key files).
    pub fn to_hex(&self) -> String {
        hex(&self.0.to_bytes())
    }

    /// The public key: the node's endpoint id.
    pub fn public(&self) -> PublicKey {
        self.0.public()
    }

    /// The endpoint id as 64 hex digits.
    pub fn id(&self) -> String {
        hex(self.0.public().as_bytes())
    }

    /// Signs a message.
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        self.0.sign(msg).to_bytes().to_vec()
    }

    /// The iroh secret key.
    pub fn secret(&self) -> &SecretKey {
        &self.0
    }
}

/// Parses an endpoint id (64 hex digits).
pub fn parse_public(text: &str) -> Result<PublicKey, KeyError> {
    let bytes: [u8; 32] = unhex(text)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| KeyError::BadPublic(text.to_string()))?;
    PublicKey::from_bytes(&bytes).map_err(|_| KeyError::BadPublic(text.to_string()))
}

/// The endpoint id of a public key as 64 hex digits.
pub fn public_hex(key: &PublicKey) -> String {
    hex(key.as_bytes())
}

/// Verifies a 64-byte signature by `key` over `msg`.
pub fn verify(key: &PublicKey, msg: &[u8], signature: &[u8]) -> Result<(), String> {
    let sig: [u8; 64] = signature
        .try_into()
        .map_err(|_| format!("signature is {} bytes, not 64", signature.len()))?;
    key.verify(msg, &Signature::from_bytes(&sig))
        .map_err(|_| "signature does not verify".to_string())
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    gridloop_core::doc::case_doc::to_hex(bytes)
}

/// Decodes lowercase or uppercase hex.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    gridloop_core::doc::case_doc::from_hex(&text.to_ascii_lowercase())
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_persist_sign_and_verify() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.key");
        let a = NodeKey::load_or_create(&path).unwrap();
        let b = NodeKey::load_or_create(&path).unwrap();
        assert_eq!(a.id(), b.id());
        let sig = a.sign(b"hello");
        let pk = parse_public(&a.id()).unwrap();
        assert!(verify(&pk, b"hello", &sig).is_ok());
        assert!(verify(&pk, b"hellp", &sig).is_err());
        assert!(verify(&pk, b"hello", &sig[..10]).is_err());
        std::fs::write(dir.path().join("bad.key"), "zz").unwrap();
        let err = NodeKey::load_or_create(&dir.path().join("bad.key")).unwrap_err();
        assert!(err.to_string().contains("does not hold"), "{err}");
        assert!(parse_public("12").is_err());
    }
}
