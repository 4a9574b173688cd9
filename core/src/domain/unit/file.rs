//! The district file (区划文件) as written: its raw tables, and the checks of unit codes.

use serde::Deserialize;

use super::*;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename = "district file")]
pub(crate) struct RawFile {
    pub(crate) district: RawUnit,
    #[serde(default)]
    pub(crate) streets: Vec<RawUnit>,
    #[serde(default)]
    pub(crate) departments: Vec<RawUnit>,
    #[serde(default)]
    pub(crate) communities: Vec<RawCommunity>,
    #[serde(default)]
    pub(crate) grids: Vec<RawGrid>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename = "unit")]
pub(crate) struct RawUnit {
    pub(crate) id: String,
    pub(crate) name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename = "community")]
pub(crate) struct RawCommunity {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) street: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename = "grid")]
pub(crate) struct RawGrid {
    pub(crate) code: String,
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) community: Option<String>,
    pub(crate) x: f32,
    pub(crate) y: f32,
}

fn all_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

/// Checks that `u.id` has the shape of its kind and extends its parent's code.
pub(super) fn check_code(u: &Unit) -> Result<(), UnitError> {
    let id = u.id.as_str();
    let (ok, expected) = match u.kind {
        UnitKind::District => (id.len() == 6 && all_digits(id), "6 digits"),
        UnitKind::Street => (
            id.len() == 9 && all_digits(id),
            "9 digits (district code + 3)",
        ),
        UnitKind::Community => (
            id.len() == 12 && all_digits(id),
            "12 digits (street code + 3)",
        ),
        UnitKind::Department => (
            id.len() == 9
                && id.is_ascii()
                && all_digits(&id[..6])
                && &id[6..7] == "D"
                && all_digits(&id[7..]),
            "the district code + \"D\" + 2 digits",
        ),
    };
    if !ok {
        return Err(UnitError::BadUnitCode {
            id: u.id.clone(),
            kind: u.kind,
            expected,
        });
    }
    if let Some(parent) = &u.parent
        && !id.starts_with(parent.as_str())
    {
        return Err(UnitError::CodeNotUnderParent {
            id: u.id.clone(),
            parent: parent.clone(),
        });
    }
    Ok(())
}
