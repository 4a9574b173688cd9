//! The package as files (配置文件): each file's text by its path inside the folder, read from
//! a folder or written to one, and the content hash a signature covers.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::error::ConfigError;

/// The files a package may hold at its top level, with what each holds.
pub const TOP_FILES: &[(&str, &str)] = &[
    ("district.toml", "the district, its level names and units"),
    ("grids.toml", "the grid cells"),
    ("grids.geojson", "the grid polygons"),
    ("catalogue.toml", "the district's categories"),
    ("limits.toml", "the stage limits"),
    ("plans.toml", "the emergency plans"),
    ("assessment.toml", "the assessment weights"),
];

/// The calendar folder: `hours.toml` and one `YYYY.toml` per covered year.
pub const CALENDAR_DIR: &str = "calendar";

/// The most a package may hold in all (4 MiB), so a mistaken folder cannot fill memory and
/// every version fits in a frame between nodes with room to spare.
pub const MAX_BYTES: usize = 4 << 20;

/// A configuration package's files (配置文件): text by path inside the folder, e.g.
/// `district.toml` or `calendar/2026.toml`. What is signed and travels between nodes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigFiles {
    /// Text of each file by its path inside the package (`/` separated).
    pub files: BTreeMap<String, String>,
}

impl ConfigFiles {
    /// Reads a package folder: the known top-level files, `calendar/hours.toml` and the
    /// `calendar/YYYY.toml` years. Any other file (but hidden ones and `*.md` notes) is an
    /// error naming it, so a misspelt file is not silently ignored.
    pub fn read_dir(dir: &Path) -> Result<ConfigFiles, ConfigError> {
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| ConfigError::Io { path, source }
        };
        if !dir.is_dir() {
            return Err(ConfigError::Io {
                path: dir.to_owned(),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "not a configuration folder",
                ),
            });
        }
        let mut out = ConfigFiles::default();
        let mut total = 0usize;
        let mut add = |name: String, path: &Path| -> Result<(), ConfigError> {
            // A regular file only (not a link to a device or elsewhere), its size checked
            // before it is read.
            let meta = std::fs::symlink_metadata(path).map_err(io(path))?;
            if !meta.is_file() {
                return Err(ConfigError::invalid(
                    &name,
                    None,
                    "",
                    "not a regular file (links and devices are not read)",
                ));
            }
            total += meta.len() as usize;
            if total > MAX_BYTES {
                return Err(ConfigError::invalid(
                    &name,
                    None,
                    "",
                    format!("the package exceeds {} MiB", MAX_BYTES >> 20),
                ));
            }
            let text = std::fs::read_to_string(path).map_err(io(path))?;
            out.files.insert(name, text);
            Ok(())
        };
        for name in sorted_entries(dir)? {
            let path = dir.join(&name);
            if skipped(&name) {
                continue;
            }
            if name == CALENDAR_DIR && path.is_dir() {
                for year_file in sorted_entries(&path)? {
                    if skipped(&year_file) {
                        continue;
                    }
                    let rel = format!("{CALENDAR_DIR}/{year_file}");
                    if year_file != "hours.toml" && year_of_file(&rel).is_none() {
                        return Err(ConfigError::invalid(
                            &rel,
                            None,
                            "",
                            "unknown calendar file: expected hours.toml or YYYY.toml",
                        ));
                    }
                    add(rel, &path.join(&year_file))?;
                }
                continue;
            }
            if !TOP_FILES.iter().any(|(f, _)| *f == name) {
                return Err(ConfigError::invalid(
                    &name,
                    None,
                    "",
                    format!(
                        "unknown file: a configuration holds {}, and {CALENDAR_DIR}/",
                        TOP_FILES
                            .iter()
                            .map(|(f, _)| *f)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
            add(name, &path)?;
        }
        Ok(out)
    }

    /// Writes the package into `dir` (created), one file per entry.
    pub fn write_dir(&self, dir: &Path) -> Result<(), ConfigError> {
        for (name, text) in &self.files {
            let path = dir.join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|source| ConfigError::Io {
                    path: parent.to_owned(),
                    source,
                })?;
            }
            std::fs::write(&path, text).map_err(|source| ConfigError::Io { path, source })?;
        }
        Ok(())
    }

    /// The text of a file, if the package holds it.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.files.get(name).map(String::as_str)
    }

    /// The calendar year files, `(year, path)`, in year order.
    pub fn years(&self) -> Vec<(i32, &str)> {
        self.files
            .keys()
            .filter_map(|k| year_of_file(k).map(|y| (y, k.as_str())))
            .collect()
    }

    /// The content hash (内容摘要): BLAKE3 over every path and text, length-prefixed, in
    /// path order; 64 hex digits.
    pub fn hash(&self) -> String {
        let mut h = blake3::Hasher::new();
        h.update(b"gridloop/config-files/1\0");
        for (name, text) in &self.files {
            h.update(&(name.len() as u64).to_le_bytes());
            h.update(name.as_bytes());
            h.update(&(text.len() as u64).to_le_bytes());
            h.update(text.as_bytes());
        }
        h.finalize().to_hex().to_string()
    }
}

/// The year a `calendar/YYYY.toml` path names.
pub(super) fn year_of_file(path: &str) -> Option<i32> {
    let stem = path.strip_prefix("calendar/")?.strip_suffix(".toml")?;
    (stem.len() == 4 && stem.bytes().all(|b| b.is_ascii_digit()))
        .then(|| stem.parse().ok())
        .flatten()
}

fn skipped(name: &str) -> bool {
    name.starts_with('.') || name.ends_with(".md") || name.ends_with('~')
}

fn sorted_entries(dir: &Path) -> Result<Vec<String>, ConfigError> {
    let rd = std::fs::read_dir(dir).map_err(|source| ConfigError::Io {
        path: dir.to_owned(),
        source,
    })?;
    let mut names = Vec::new();
    for e in rd {
        let e = e.map_err(|source| ConfigError::Io {
            path: dir.to_owned(),
            source,
        })?;
        names.push(e.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}
