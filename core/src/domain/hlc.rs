//! Hybrid logical clock (混合逻辑时钟): event times that never go backwards on a node and
//! order causally related events across nodes even when wall clocks disagree.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::domain::calendar::Millis;

/// One hybrid-logical-clock reading: wall milliseconds plus a counter for events in the
/// same millisecond. Packs into a `u64` (48 bits of milliseconds, 16 bits of counter).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Hlc {
    /// Wall-clock milliseconds since the Unix epoch (UTC).
    pub millis: Millis,
    /// Tie-breaking counter within one millisecond.
    pub counter: u16,
}

impl Hlc {
    /// A reading at exactly `millis` with counter zero.
    pub fn at(millis: Millis) -> Hlc {
        Hlc { millis, counter: 0 }
    }

    /// Packs the reading into a sortable `u64`.
    pub fn to_u64(self) -> u64 {
        ((self.millis.max(0) as u64) << 16) | u64::from(self.counter)
    }

    /// Unpacks a reading made by [`Hlc::to_u64`].
    pub fn from_u64(v: u64) -> Hlc {
        Hlc {
            millis: (v >> 16) as Millis,
            counter: (v & 0xffff) as u16,
        }
    }
}

impl fmt::Display for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.millis, self.counter)
    }
}

/// A node's clock (节点时钟): hands out strictly increasing readings and absorbs readings seen
/// in events from other nodes, so a reply is always ordered after what it answers.
#[derive(Clone, Copy, Debug, Default)]
pub struct HlcClock {
    last: Option<Hlc>,
}

impl HlcClock {
    /// A clock that has issued nothing yet.
    pub fn new() -> HlcClock {
        HlcClock { last: None }
    }

    /// The next reading for a local event at wall time `now`.
    pub fn tick(&mut self, now: Millis) -> Hlc {
        let next = match self.last {
            Some(last) if last.millis >= now => {
                if last.counter == u16::MAX {
                    Hlc {
                        millis: last.millis + 1,
                        counter: 0,
                    }
                } else {
                    Hlc {
                        millis: last.millis,
                        counter: last.counter + 1,
                    }
                }
            }
            _ => Hlc::at(now),
        };
        self.last = Some(next);
        next
    }

    /// Takes note of a reading seen in another node's event.
    pub fn observe(&mut self, seen: Hlc) {
        if self.last.is_none_or(|last| seen > last) {
            self.last = Some(seen);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_strictly_increase_even_when_wall_clock_goes_back() {
        let mut c = HlcClock::new();
        let a = c.tick(1000);
        let b = c.tick(1000);
        let d = c.tick(900);
        assert!(a < b && b < d);
        assert_eq!(d.millis, 1000);
    }

    #[test]
    fn observe_orders_later_ticks_after_remote_reading() {
        let mut c = HlcClock::new();
        c.observe(Hlc {
            millis: 5000,
            counter: 7,
        });
        let t = c.tick(10);
        assert!(
            t > Hlc {
                millis: 5000,
                counter: 7
            }
        );
    }

    #[test]
    fn packing_round_trips_and_keeps_order() {
        let a = Hlc {
            millis: 1_790_000_000_000,
            counter: 3,
        };
        let b = Hlc {
            millis: 1_790_000_000_000,
            counter: 4,
        };
        assert_eq!(Hlc::from_u64(a.to_u64()), a);
        assert!(a.to_u64() < b.to_u64());
    }
}
