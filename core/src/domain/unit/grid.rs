//! 单元网格 — grid cells and their 15-digit DB11 codes.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{UnitError, UnitId};

/// 单元网格码 (Beijing DB11): 15 digits = 6 division + 3 street + 3 community + 3 sequence.
/// Always valid: built by [`GridCode::parse`] or validated when deserialized.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub struct GridCode(String);

impl GridCode {
    /// Parses a 单元网格码: exactly 15 ASCII digits, else a length or non-digit error.
    pub fn parse(s: &str) -> Result<GridCode, UnitError> {
        let len = s.chars().count();
        if len != 15 {
            return Err(UnitError::GridCodeLength {
                code: s.to_owned(),
                len,
            });
        }
        if let Some((position, found)) = s.chars().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
            return Err(UnitError::GridCodeNotDigits {
                code: s.to_owned(),
                found,
                position,
            });
        }
        Ok(GridCode(s.to_owned()))
    }

    /// The 单元网格码 as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 社区 community this grid cell lies in: the first 12 digits.
    pub fn community(&self) -> UnitId {
        UnitId(self.0[..12].to_owned())
    }

    /// The 街道 street this grid cell lies in: the first 9 digits.
    pub fn street(&self) -> UnitId {
        UnitId(self.0[..9].to_owned())
    }

    /// The 区 administrative division this grid cell lies in: the first 6 digits.
    pub fn division(&self) -> UnitId {
        UnitId(self.0[..6].to_owned())
    }
}

impl fmt::Display for GridCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for GridCode {
    type Error = UnitError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        GridCode::parse(&s)
    }
}

/// A grid cell (单元网格) of a 社区 community, with its place on the schematic map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridCell {
    /// 单元网格码 (15 digits).
    pub code: GridCode,
    /// Name (网格名称), e.g. 菊儿社区第3网格.
    pub name: String,
    /// The 社区 community the cell belongs to (the code's first 12 digits).
    pub community: UnitId,
    /// Schematic map x (示意图坐标) in an abstract 0..1000 square.
    pub x: f32,
    /// Schematic map y (示意图坐标) in an abstract 0..1000 square; grows southwards.
    pub y: f32,
}
