//! 网格边界 — grid polygons from `grids.geojson` (WGS-84), their centres, and the projection
//! of centres onto the schematic 0..1000 map square.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::ConfigError;

/// A grid cell's outline and centre in WGS-84 degrees, `(longitude, latitude)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GridShape {
    /// The outer ring, closed (first point equals last); empty when only a centre is given.
    pub outline: Vec<(f64, f64)>,
    /// The centre (网格中心): as given, else the outline's vertex mean.
    pub centre: (f64, f64),
}

const FILE: &str = "grids.geojson";

/// Parses `grids.geojson`: a FeatureCollection whose features carry `properties.code` and a
/// `Polygon` (or the first polygon of a `MultiPolygon`) in WGS-84.
pub(super) fn parse_geojson(text: &str) -> Result<BTreeMap<String, GridShape>, ConfigError> {
    let bad = |field: String, why: &str| ConfigError::invalid(FILE, None, field, why);
    let v: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| ConfigError::invalid(FILE, Some(e.line()), "", format!("not JSON: {e}")))?;
    if v.get("type").and_then(|t| t.as_str()) != Some("FeatureCollection") {
        return Err(bad("type".into(), "must be \"FeatureCollection\""));
    }
    let Some(features) = v.get("features").and_then(|f| f.as_array()) else {
        return Err(bad("features".into(), "must be an array of features"));
    };
    let mut out = BTreeMap::new();
    for (i, f) in features.iter().enumerate() {
        let at = |k: &str| format!("features[{i}].{k}");
        let Some(code) = f.pointer("/properties/code").and_then(|c| c.as_str()) else {
            return Err(bad(at("properties.code"), "missing: the grid code"));
        };
        let geom = f.get("geometry").unwrap_or(&serde_json::Value::Null);
        let rings = match geom.get("type").and_then(|t| t.as_str()) {
            Some("Polygon") => geom.get("coordinates"),
            Some("MultiPolygon") => geom.pointer("/coordinates/0"),
            _ => {
                return Err(bad(
                    at("geometry.type"),
                    "must be \"Polygon\" or \"MultiPolygon\"",
                ));
            }
        };
        let Some(ring) = rings.and_then(|r| r.get(0)).and_then(|r| r.as_array()) else {
            return Err(bad(at("geometry.coordinates"), "no outer ring"));
        };
        let mut outline = Vec::with_capacity(ring.len());
        for p in ring {
            let xy = p
                .as_array()
                .and_then(|a| Some((a.first()?.as_f64()?, a.get(1)?.as_f64()?)));
            let Some((lon, lat)) = xy else {
                return Err(bad(
                    at("geometry.coordinates"),
                    "a point must be [longitude, latitude]",
                ));
            };
            check_wgs84(lon, lat).map_err(|why| bad(at("geometry.coordinates"), why))?;
            outline.push((lon, lat));
        }
        if outline.len() < 4 || outline.first() != outline.last() {
            return Err(bad(
                at("geometry.coordinates"),
                "the outer ring needs at least 4 points and must be closed (last = first)",
            ));
        }
        let n = (outline.len() - 1) as f64;
        let (sx, sy) = outline[..outline.len() - 1]
            .iter()
            .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
        let shape = GridShape {
            centre: (sx / n, sy / n),
            outline,
        };
        if out.insert(code.to_owned(), shape).is_some() {
            return Err(bad(
                at("properties.code"),
                "this grid already has a polygon",
            ));
        }
    }
    Ok(out)
}

/// Checks a WGS-84 point: longitude −180…180, latitude −90…90.
pub(super) fn check_wgs84(lon: f64, lat: f64) -> Result<(), &'static str> {
    if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
        return Err(
            "outside WGS-84: longitude must be −180…180 and latitude −90…90 (is it [lat, lon]?)",
        );
    }
    Ok(())
}

/// Projects WGS-84 centres onto the schematic 0..1000 square over their bounding box (north
/// up, y growing southwards), keeping the aspect ratio; a 5 % margin on every side.
pub(super) fn project(centres: &[(f64, f64)]) -> Vec<(f32, f32)> {
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for &(x, y) in centres {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    // A degree of longitude is shorter than one of latitude away from the equator.
    let k = ((y0 + y1) / 2.0).to_radians().cos().max(0.1);
    let span = ((x1 - x0) * k).max(y1 - y0).max(1e-9);
    let scale = 900.0 / span;
    centres
        .iter()
        .map(|&(x, y)| {
            (
                (50.0 + (x - x0) * k * scale) as f32,
                (50.0 + (y1 - y) * scale) as f32,
            )
        })
        .collect()
}
