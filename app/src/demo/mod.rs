//! The live demo district (演示区): real nodes in one process — the district centre, two
//! streets and two communities of each — each with its own redb store and iroh endpoint on
//! loopback, joined by a signed roster (`district`), with a driver that keeps synthetic
//! cases moving through all three loops (`driver`). Links can be cut and restored to watch
//! the loop carry on offline and converge.

pub mod district;
pub mod driver;

pub use district::DemoDistrict;
