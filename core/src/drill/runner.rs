//! 演练执行 — the one runner of a drill scenario, driven by the CLI (`gridloop drill run`) and
//! by the workstation's 演练 view alike.
//!
//! The runner is sans-IO: it owns no thread, no clock and no network. Its driver calls
//! [`Runner::step`] with the scenario clock (scenario milliseconds since the start) and a
//! [`DrillWorld`] — the nodes and links the drill plays on — as often as it likes (the window
//! once a frame, the CLI between sleeps). Each step plays the cues that have fallen due
//! (injections reported at a node, links cut and restored), then looks at every restored link
//! until it is live both ways (the time it took to converge) or gives up after
//! [`GIVE_UP`]; it keeps the log, the injected count and the convergence times, and says what
//! happened in the step so a driver can print it. It is done once every cue has played and
//! every restored link has caught up (or been given up on), or when it is stopped.

use std::time::{Duration, Instant};

use super::{Cue, Injection, Plan};
use crate::domain::calendar::Millis;

/// How long a restored link may take to be live both ways before the runner gives up on it
/// (两分钟), unless the driver sets another limit.
pub const GIVE_UP: Duration = Duration::from_secs(120);

/// The nodes and links a drill plays on (演练环境): real nodes in the CLI and the window, a fake
/// in tests.
pub trait DrillWorld {
    /// Reports one case of `inj` (注入) at the node that takes it: that node's name and the new
    /// case's number, or the whole log line saying why it could not.
    fn report(&mut self, inj: &Injection) -> Result<(String, String), String>;
    /// Every case of an injection is in at `node`: push them to its peers now.
    fn reported(&mut self, node: &str);
    /// Cuts (`up == false`) or restores the link between nodes `a` and `b` (断开/恢复链路), or
    /// says why it could not.
    fn set_link(&mut self, a: &str, b: &str, up: bool) -> Result<(), String>;
    /// Whether `a` sees `b` live (caught up) and `b` sees `a` live (双向追平).
    fn live_both_ways(&self, a: &str, b: &str) -> bool;
    /// The real time now, which convergence is timed on.
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// One line of the drill's log (演练记录): when on the scenario clock, and what happened.
#[derive(Clone, Debug, PartialEq)]
pub struct LogLine {
    /// Scenario time.
    pub at: Millis,
    /// What happened.
    pub text: String,
    /// Whether it went wrong.
    pub error: bool,
}

/// What one step did, for a driver that prints as it goes.
#[derive(Clone, Debug, PartialEq)]
pub enum Happened {
    /// One case of an injection was reported (注入).
    Reported {
        /// The cue's offset.
        at: Millis,
        /// The node it was reported at.
        node: String,
        /// The case number.
        number: String,
        /// The injection's description.
        description: String,
    },
    /// An injection could not be (fully) reported: the log line saying why.
    Failed {
        /// The cue's offset.
        at: Millis,
        /// Why.
        why: String,
    },
    /// A link was cut (`up == false`) or restored, or could not be.
    Link {
        /// The cue's offset.
        at: Millis,
        /// One end.
        a: String,
        /// The other end.
        b: String,
        /// Restored (`true`) or cut.
        up: bool,
        /// Why it could not be done.
        error: Option<String>,
    },
    /// A restored link is live both ways (双向追平).
    Converged {
        /// One end.
        a: String,
        /// The other end.
        b: String,
        /// The restore cue's offset.
        restored_at: Millis,
        /// Real milliseconds from the restore to live both ways.
        took: Millis,
    },
    /// A restored link was not live both ways within the limit; the runner stopped waiting.
    GaveUp {
        /// One end.
        a: String,
        /// The other end.
        b: String,
    },
    /// Every cue played and every restored link settled (演练脚本播放完毕).
    PlayedOut,
}

/// A restored link being watched until it is live both ways.
#[derive(Clone, Debug)]
struct Restoring {
    a: String,
    b: String,
    since: Instant,
    at: Millis,
}

/// A drill scenario being played (演练执行器).
#[derive(Clone, Debug)]
pub struct Runner {
    plan: Plan,
    cues: Vec<(Millis, Cue)>,
    next: usize,
    log: Vec<LogLine>,
    restoring: Vec<Restoring>,
    converge: Vec<(String, Millis, Millis)>,
    injected: u32,
    ended: Option<Millis>,
    give_up: Duration,
    hold: bool,
}

impl Runner {
    /// A runner at the start of `plan`'s cues.
    pub fn new(plan: Plan) -> Runner {
        let cues = plan.cues();
        Runner {
            plan,
            cues,
            next: 0,
            log: Vec::new(),
            restoring: Vec::new(),
            converge: Vec::new(),
            injected: 0,
            ended: None,
            give_up: GIVE_UP,
            hold: false,
        }
    }

    /// Gives up on a restored link after `limit` instead of [`GIVE_UP`].
    pub fn give_up_after(mut self, limit: Duration) -> Runner {
        self.give_up = limit;
        self
    }

    /// Plays no further cue while a restored link has not caught up (the CLI's way: each
    /// restore is timed alone).
    pub fn hold_cues_while_restoring(mut self) -> Runner {
        self.hold = true;
        self
    }

    /// The scenario played.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Cues played so far.
    pub fn played(&self) -> usize {
        self.next
    }

    /// Every cue of the scenario.
    pub fn cue_count(&self) -> usize {
        self.cues.len()
    }

    /// The offset of the next cue to play, if any is left.
    pub fn next_at(&self) -> Option<Millis> {
        self.cues.get(self.next).map(|c| c.0)
    }

    /// The scenario's length: its last cue.
    pub fn length(&self) -> Millis {
        self.cues.last().map(|c| c.0).unwrap_or(0)
    }

    /// Whether a restored link is being waited for.
    pub fn restoring(&self) -> bool {
        !self.restoring.is_empty()
    }

    /// What happened, in order.
    pub fn log(&self) -> &[LogLine] {
        &self.log
    }

    /// Drill cases injected so far.
    pub fn injected(&self) -> u32 {
        self.injected
    }

    /// Each restored link that caught up: (`a–b`, the restore's scenario time, real ms taken).
    pub fn converge(&self) -> &[(String, Millis, Millis)] {
        &self.converge
    }

    /// The scenario clock when it ended (played out or stopped).
    pub fn ended(&self) -> Option<Millis> {
        self.ended
    }

    /// Whether it has ended.
    pub fn done(&self) -> bool {
        self.ended.is_some()
    }

    /// Ends it at scenario time `clock`, saying why in the log (演练被停止).
    pub fn stop(&mut self, clock: Millis, why: &str) {
        self.ended = Some(clock);
        self.log.push(LogLine {
            at: clock,
            text: why.into(),
            error: false,
        });
    }

    fn say(&mut self, at: Millis, text: String, error: bool) {
        self.log.push(LogLine { at, text, error });
    }

    /// Plays what is due at scenario time `clock` on `world` and checks the restored links;
    /// says what happened. Does nothing once ended.
    pub fn step(&mut self, clock: Millis, world: &mut dyn DrillWorld) -> Vec<Happened> {
        let mut out = Vec::new();
        if self.done() {
            return out;
        }
        while self.next < self.cues.len()
            && self.cues[self.next].0 <= clock
            && (!self.hold || self.restoring.is_empty())
        {
            let (at, cue) = self.cues[self.next].clone();
            self.next += 1;
            match cue {
                Cue::Inject(inj) => self.inject(at, &inj, world, &mut out),
                Cue::Cut(a, b) => self.link(at, a, b, false, world, &mut out),
                Cue::Restore(a, b) => self.link(at, a, b, true, world, &mut out),
            }
        }
        let mut still = Vec::new();
        for r in std::mem::take(&mut self.restoring) {
            let waited = world.now().saturating_duration_since(r.since);
            if world.live_both_ways(&r.a, &r.b) {
                let took = waited.as_millis() as Millis;
                let (a, b) = (r.a, r.b);
                self.converge.push((format!("{a}–{b}"), r.at, took));
                self.say(clock, format!("{a}–{b} 双向追平，用时 {took} ms"), false);
                out.push(Happened::Converged {
                    a,
                    b,
                    restored_at: r.at,
                    took,
                });
            } else if waited > self.give_up {
                let (a, b) = (r.a, r.b);
                let (zh, en) = limit_words(self.give_up);
                self.say(
                    clock,
                    format!("{a}–{b} {zh}内未追平 (not caught up in {en})"),
                    true,
                );
                out.push(Happened::GaveUp { a, b });
            } else {
                still.push(r);
            }
        }
        self.restoring = still;
        if self.next >= self.cues.len() && self.restoring.is_empty() {
            self.stop(clock, "演练脚本播放完毕 (scenario played out)");
            out.push(Happened::PlayedOut);
        }
        out
    }

    /// Reports every case of an injection; one log line for the whole of it.
    fn inject(
        &mut self,
        at: Millis,
        inj: &Injection,
        world: &mut dyn DrillWorld,
        out: &mut Vec<Happened>,
    ) {
        let mut numbers = Vec::new();
        let mut node = String::new();
        for _ in 0..inj.count.max(1) {
            match world.report(inj) {
                Ok((n, number)) => {
                    self.injected += 1;
                    out.push(Happened::Reported {
                        at,
                        node: n.clone(),
                        number: number.clone(),
                        description: inj.description.clone(),
                    });
                    node = n;
                    numbers.push(number);
                }
                Err(why) => {
                    self.say(at, why.clone(), true);
                    out.push(Happened::Failed { at, why });
                    return;
                }
            }
        }
        world.reported(&node);
        self.say(
            at,
            format!(
                "注入 {} at {node} — {}",
                numbers.join("、"),
                inj.description
            ),
            false,
        );
    }

    /// Cuts or restores a link; a restored one is watched until it is live both ways.
    fn link(
        &mut self,
        at: Millis,
        a: String,
        b: String,
        up: bool,
        world: &mut dyn DrillWorld,
        out: &mut Vec<Happened>,
    ) {
        let verb = if up { "恢复" } else { "断开" };
        let error = world.set_link(&a, &b, up).err();
        match &error {
            None => {
                self.say(at, format!("{verb} {a}–{b}"), false);
                if up {
                    self.restoring.push(Restoring {
                        a: a.clone(),
                        b: b.clone(),
                        since: world.now(),
                        at,
                    });
                }
            }
            Some(e) => self.say(at, format!("{verb} {a}–{b}: {e}"), true),
        }
        out.push(Happened::Link {
            at,
            a,
            b,
            up,
            error,
        });
    }
}

/// A give-up limit in words, Chinese and English: `两分钟`/`2 min`, `90秒`/`90 s`.
fn limit_words(d: Duration) -> (String, String) {
    let s = d.as_secs();
    match s {
        120 => ("两分钟".into(), "2 min".into()),
        s if s % 60 == 0 => (format!("{}分钟", s / 60), format!("{} min", s / 60)),
        s => (format!("{s}秒"), format!("{s} s")),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::domain::unit::District;
    use crate::drill::Scenario;

    /// A world of named nodes: reports number cases in order at the grid's node, cuts and
    /// restores links, and a restored link becomes live after `catch_up` of fake time.
    struct Fake {
        now: Instant,
        cases: u32,
        fail_after: Option<u32>,
        cut: BTreeSet<(String, String)>,
        restored: Vec<((String, String), Instant)>,
        catch_up: Duration,
        pushed: Vec<String>,
        no_network: bool,
    }

    impl Fake {
        fn new() -> Fake {
            Fake {
                now: Instant::now(),
                cases: 0,
                fail_after: None,
                cut: BTreeSet::new(),
                restored: Vec::new(),
                catch_up: Duration::from_millis(300),
                pushed: Vec::new(),
                no_network: false,
            }
        }
    }

    impl DrillWorld for Fake {
        fn report(&mut self, _inj: &Injection) -> Result<(String, String), String> {
            if self.fail_after.is_some_and(|n| self.cases >= n) {
                return Err("注入失败 at c11: store full".into());
            }
            self.cases += 1;
            Ok(("c11".into(), format!("YJ{:04}", self.cases)))
        }
        fn reported(&mut self, node: &str) {
            self.pushed.push(node.into());
        }
        fn set_link(&mut self, a: &str, b: &str, up: bool) -> Result<(), String> {
            if self.no_network {
                return Err("没有网络 (no network)".into());
            }
            let key = (a.to_string(), b.to_string());
            if up {
                self.cut.remove(&key);
                self.restored.push((key, self.now));
            } else {
                self.cut.insert(key);
            }
            Ok(())
        }
        fn live_both_ways(&self, a: &str, b: &str) -> bool {
            let key = (a.to_string(), b.to_string());
            !self.cut.contains(&key)
                && self
                    .restored
                    .iter()
                    .rev()
                    .find(|(k, _)| *k == key)
                    .is_none_or(|(_, t)| self.now.duration_since(*t) >= self.catch_up)
        }
        fn now(&self) -> Instant {
            self.now
        }
    }

    fn plan() -> Plan {
        let d = District::demo();
        let grid = d.grids().next().expect("a grid").code.to_string();
        let text = format!(
            "name = \"测试演练\"\n\
             [[inject]]\nat = \"0m\"\ngrid = \"{grid}\"\ncategory = \"E0401\"\naddress = \"a\"\ndescription = \"井盖缺失\"\ncount = 2\n\
             [[inject]]\nat = \"30m\"\ngrid = \"{grid}\"\ncategory = \"E0402\"\naddress = \"b\"\ndescription = \"路面塌陷\"\n\
             [[link]]\nat = \"10m\"\ncut = [\"c11\", \"s1\"]\n\
             [[link]]\nat = \"20m\"\nrestore = [\"c11\", \"s1\"]\n"
        );
        let cat = crate::domain::catalogue::Catalogue::standard();
        Scenario::plan(&text, &d, &cat, &["c11", "s1", "d"]).expect("plan")
    }

    const MIN: Millis = 60_000;

    #[test]
    fn plays_due_cues_times_the_restore_and_ends() {
        let mut w = Fake::new();
        let mut r = Runner::new(plan());
        assert_eq!((r.cue_count(), r.length()), (4, 30 * MIN));
        let h = r.step(0, &mut w);
        assert_eq!(h.len(), 2, "two cases of the first injection: {h:?}");
        assert_eq!(r.injected(), 2);
        assert_eq!(w.pushed, ["c11"], "pushed once, after both");
        assert_eq!(r.log()[0].text, "注入 YJ0001、YJ0002 at c11 — 井盖缺失");
        assert!(r.step(5 * MIN, &mut w).is_empty(), "nothing due");
        r.step(10 * MIN, &mut w);
        assert!(w.cut.contains(&("c11".into(), "s1".into())));
        assert_eq!(r.log()[1].text, "断开 c11–s1");
        r.step(20 * MIN, &mut w);
        assert!(r.restoring());
        assert_eq!(r.log()[2].text, "恢复 c11–s1");
        w.now += Duration::from_millis(500);
        let h = r.step(25 * MIN, &mut w);
        assert_eq!(
            h,
            [Happened::Converged {
                a: "c11".into(),
                b: "s1".into(),
                restored_at: 20 * MIN,
                took: 500
            }]
        );
        assert_eq!(r.converge(), [("c11–s1".to_string(), 20 * MIN, 500)]);
        assert_eq!(r.log()[3].text, "c11–s1 双向追平，用时 500 ms");
        assert_eq!(r.log()[3].at, 25 * MIN, "logged at the clock it was seen");
        assert!(!r.done());
        let h = r.step(31 * MIN, &mut w);
        assert_eq!(h.last(), Some(&Happened::PlayedOut));
        assert!(r.done());
        assert_eq!(r.ended(), Some(31 * MIN));
        assert_eq!(r.injected(), 3);
        assert!(r.step(40 * MIN, &mut w).is_empty(), "ended: nothing more");
    }

    #[test]
    fn a_link_that_never_catches_up_is_given_up() {
        let mut w = Fake::new();
        w.catch_up = Duration::from_secs(3600);
        let mut r = Runner::new(plan());
        r.step(20 * MIN, &mut w);
        w.now += Duration::from_secs(119);
        assert!(r.step(21 * MIN, &mut w).is_empty());
        w.now += Duration::from_secs(2);
        let h = r.step(22 * MIN, &mut w);
        assert_eq!(
            h,
            [Happened::GaveUp {
                a: "c11".into(),
                b: "s1".into()
            }]
        );
        let last = r.log().last().expect("a line");
        assert!(last.error);
        assert_eq!(last.text, "c11–s1 两分钟内未追平 (not caught up in 2 min)");
        assert!(r.converge().is_empty());
        r.step(30 * MIN, &mut w);
        assert!(r.done());
    }

    #[test]
    fn holding_waits_for_each_restore_before_the_next_cue() {
        let mut w = Fake::new();
        let mut r = Runner::new(plan())
            .hold_cues_while_restoring()
            .give_up_after(Duration::from_secs(60));
        r.step(20 * MIN, &mut w);
        // The 30m injection is due but waits for the restore.
        r.step(30 * MIN, &mut w);
        assert_eq!(r.played(), 3);
        assert_eq!(r.next_at(), Some(30 * MIN));
        w.now += Duration::from_millis(400);
        let h = r.step(30 * MIN, &mut w);
        assert!(
            matches!(h[0], Happened::Converged { took: 400, .. }),
            "{h:?}"
        );
        let h = r.step(30 * MIN, &mut w);
        assert!(matches!(&h[0], Happened::Reported { number, .. } if number == "YJ0003"));
        assert!(r.done());
        // The give-up limit is the driver's.
        let mut w = Fake::new();
        w.catch_up = Duration::from_secs(3600);
        let mut r = Runner::new(plan())
            .hold_cues_while_restoring()
            .give_up_after(Duration::from_secs(60));
        r.step(20 * MIN, &mut w);
        w.now += Duration::from_secs(61);
        let h = r.step(20 * MIN, &mut w);
        assert!(matches!(h[0], Happened::GaveUp { .. }));
        assert!(
            r.log()
                .last()
                .unwrap()
                .text
                .ends_with("1分钟内未追平 (not caught up in 1 min)")
        );
    }

    #[test]
    fn failures_are_logged_and_counted_as_far_as_they_went() {
        let mut w = Fake::new();
        w.fail_after = Some(1);
        w.no_network = true;
        let mut r = Runner::new(plan());
        let h = r.step(20 * MIN, &mut w);
        assert_eq!(r.injected(), 1, "the case before the failure counts");
        assert!(w.pushed.is_empty(), "a failed injection pushes nothing");
        assert!(matches!(&h[1], Happened::Failed { why, .. } if why.contains("store full")));
        let texts: Vec<_> = r.log().iter().map(|l| (l.text.as_str(), l.error)).collect();
        assert_eq!(
            texts,
            [
                ("注入失败 at c11: store full", true),
                ("断开 c11–s1: 没有网络 (no network)", true),
                ("恢复 c11–s1: 没有网络 (no network)", true),
            ]
        );
        assert!(!r.restoring(), "a restore that failed is not waited for");
    }

    #[test]
    fn stopping_ends_it_at_the_clock_given() {
        let mut w = Fake::new();
        let mut r = Runner::new(plan());
        r.step(0, &mut w);
        r.stop(7 * MIN, "演练被停止 (stopped)");
        assert!(r.done());
        assert_eq!(r.ended(), Some(7 * MIN));
        assert!(r.step(30 * MIN, &mut w).is_empty());
        assert_eq!(r.played(), 1);
    }
}
