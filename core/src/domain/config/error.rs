//! 配置错误 — what is wrong in a configuration package: each error names the file, the line
//! (where one can be found) and the field.

use std::fmt;
use std::path::PathBuf;

/// Why a configuration package (区级配置包) was refused; nothing is written when it is.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A file or the folder could not be read.
    #[error("cannot read {}: {source}", .path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
    /// A required file is absent.
    #[error("{file}: missing — a configuration needs it ({what})")]
    Missing {
        /// The file's path inside the package.
        file: String,
        /// What the file holds.
        what: &'static str,
    },
    /// A file's content is wrong.
    #[error("{0}")]
    Invalid(Place),
}

/// Where in a package a value is wrong, and why: `file:line: field: why`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The file's path inside the package, e.g. `calendar/2027.toml`.
    pub file: String,
    /// The 1-based line, when it could be found.
    pub line: Option<usize>,
    /// The field, e.g. `communities[2].street`; empty for the file as a whole.
    pub field: String,
    /// What is wrong.
    pub why: String,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if !self.field.is_empty() {
            write!(f, ": {}", self.field)?;
        }
        write!(f, ": {}", self.why)
    }
}

impl ConfigError {
    /// An invalid value of `field` in `file`, at `line` if known.
    pub fn invalid(
        file: &str,
        line: Option<usize>,
        field: impl Into<String>,
        why: impl fmt::Display,
    ) -> ConfigError {
        ConfigError::Invalid(Place {
            file: file.to_owned(),
            line,
            field: field.into(),
            why: why.to_string(),
        })
    }

    /// The place of an invalid value, if the error is one.
    pub fn place(&self) -> Option<&Place> {
        match self {
            ConfigError::Invalid(p) => Some(p),
            _ => None,
        }
    }
}

/// The 1-based line of a byte offset in `text`.
pub(super) fn line_at(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The first line where `value` appears quoted (`"value"`), to place an error about it.
pub(super) fn line_of_value(text: &str, value: &str) -> Option<usize> {
    let quoted = format!("\"{value}\"");
    text.find(&quoted).map(|at| line_at(text, at))
}

/// A TOML syntax or shape error, placed at its line; the field is the key on that line.
pub(super) fn toml_error(file: &str, text: &str, e: &toml::de::Error) -> ConfigError {
    let line = e.span().map(|s| line_at(text, s.start));
    let field = line
        .and_then(|l| text.lines().nth(l - 1))
        .and_then(|l| l.split_once('='))
        .map(|(k, _)| {
            k.trim()
                .trim_start_matches(['{', '[', ' '])
                .trim()
                .to_owned()
        })
        .filter(|k| !k.is_empty() && !k.contains(' '))
        .unwrap_or_default();
    ConfigError::invalid(file, line, field, e.message().trim())
}
