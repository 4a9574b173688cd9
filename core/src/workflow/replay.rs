//! Replay (回放): [`Rules::replay`] derives a case's state from the set of its events —
//! moves in topological order through their `after` links, each checked against the state
//! it was made on; tips, conflicts (冲突) and their branches; notes; resolutions (冲突处理)
//! and the moves they supersede — and [`Rules::check_live`] checks a move about to be made.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::domain::calendar::Millis;
use crate::domain::event::{Action, Event, EventId};
use crate::domain::intake::Intake;
use crate::domain::role::Role;
use crate::domain::unit::UnitId;

use super::case_state::{Act, CaseState, Step, SuperviseOrder};
use super::refusal::{Reason, Refusal, TextField};
use super::rules::Rules;

/// One branch of a conflict (冲突分支).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Branch {
    /// The branch's last move.
    pub tip: EventId,
    /// The state this branch leads to.
    pub state: CaseState,
    /// The moves on this branch since it parted from the others, oldest first.
    pub events: Vec<EventId>,
}

/// Everything replay derives from a trail (回放结果).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Derived {
    /// The current state (in a conflict: the branch with the latest tip).
    pub current: CaseState,
    /// The branches, when moves were made concurrently and not yet resolved.
    pub conflict: Option<Vec<Branch>>,
    /// Moves set aside by a resolution (they stay in the trail).
    pub superseded: BTreeSet<EventId>,
    /// Events that broke a rule against the state they were made on; never applied.
    pub invalid: Vec<(EventId, Refusal)>,
    /// The current tips (one unless in conflict).
    pub tips: Vec<EventId>,
}

impl Derived {
    /// Whether the case is in conflict (冲突).
    pub fn in_conflict(&self) -> bool {
        self.conflict.is_some()
    }

    /// The `after` links a new move should carry: the single tip (or, for a resolution, all
    /// tips).
    pub fn after_for(&self, action: &Action) -> Vec<EventId> {
        match action {
            Action::Resolve { .. } => self.tips.clone(),
            _ => vec![self.current.last.clone()],
        }
    }
}

impl<'a> Rules<'a> {
    /// Replays a trail into the derived state. Deterministic in the set of events: the order
    /// of `events` does not matter. Fails only if there is no valid report.
    pub fn replay(&self, intake: &Intake, events: &[Event]) -> Result<Derived, Refusal> {
        // Deduplicate by id, keeping the earliest by (time, id).
        let mut by_id: BTreeMap<&EventId, &Event> = BTreeMap::new();
        for e in events {
            by_id
                .entry(&e.id)
                .and_modify(|x| {
                    if e.order_key() < x.order_key() {
                        *x = e;
                    }
                })
                .or_insert(e);
        }
        let mut reports: Vec<&Event> = by_id
            .values()
            .copied()
            .filter(|e| matches!(e.action, Action::Report))
            .collect();
        reports.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
        let Some(report) = reports.first().copied() else {
            return Err(Refusal::new("report", Reason::NoReport));
        };
        let root_state = self.initial(intake, report)?;

        let mut invalid: Vec<(EventId, Refusal)> = Vec::new();
        for extra in reports.iter().skip(1) {
            invalid.push((
                extra.id.clone(),
                Refusal::new("report", Reason::ReportedTwice),
            ));
        }
        // Topological order of moves (Kahn), ties broken by (time, id).
        let moves: Vec<&Event> = by_id
            .values()
            .copied()
            .filter(|e| !e.action.is_note() && !matches!(e.action, Action::Report))
            .collect();
        let mut states: HashMap<&EventId, CaseState> = HashMap::new();
        let mut valid: BTreeSet<&EventId> = BTreeSet::new();
        states.insert(&report.id, root_state);
        valid.insert(&report.id);
        let mut remaining: Vec<&Event> = moves;
        remaining.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
        let mut progress = true;
        while progress && !remaining.is_empty() {
            progress = false;
            let mut next = Vec::with_capacity(remaining.len());
            for e in remaining {
                if !e.after.iter().all(|p| states.contains_key(p)) || e.after.is_empty() {
                    next.push(e);
                    continue;
                }
                progress = true;
                let result = self.replay_one(intake, e, &states, &valid);
                match result {
                    Ok(st) => {
                        states.insert(&e.id, st);
                        valid.insert(&e.id);
                    }
                    Err(why) => {
                        let base = states[&e.after[0]].clone();
                        states.insert(&e.id, base);
                        invalid.push((e.id.clone(), why));
                    }
                }
            }
            remaining = next;
        }
        for e in remaining {
            invalid.push((e.id.clone(), Refusal::new("after", Reason::AfterMissing)));
        }
        // Tips: valid moves no valid move was made after.
        let mut referenced: BTreeSet<&EventId> = BTreeSet::new();
        for id in &valid {
            for p in &by_id[id].after {
                referenced.insert(p);
            }
        }
        let mut tips: Vec<&Event> = valid
            .iter()
            .filter(|id| !referenced.contains(*id))
            .map(|id| by_id[id])
            .collect();
        tips.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
        let primary = *tips.last().unwrap_or(&report);
        let mut current = states[&primary.id].clone();

        // Notes: valid against the state of the event they were made after, in time order
        // (the earliest of concurrent ones wins where only one may be); 督办单 first, so that a
        // reply finds its order whatever the move it was made after.
        let mut notes: Vec<&Event> = by_id
            .values()
            .copied()
            .filter(|e| e.action.is_note())
            .collect();
        notes.sort_by_key(|e| (!matches!(e.action, Action::Order { .. }), e.order_key()));
        for note in notes {
            let Some(base) = note.after.first().and_then(|p| states.get(p)) else {
                invalid.push((note.id.clone(), Refusal::new("after", Reason::AfterMissing)));
                continue;
            };
            let with_notes;
            let base = if matches!(note.action, Action::Reply { .. }) {
                // A reply is judged with every order made (orders are notes: the move it was
                // made after knows none); concurrent replies to one order are all valid and
                // the earliest counts, as concurrent ratings of one unit and ticks do.
                with_notes = CaseState {
                    orders: current
                        .orders
                        .iter()
                        .map(|o| SuperviseOrder {
                            replied: None,
                            ..o.clone()
                        })
                        .collect(),
                    ..base.clone()
                };
                &with_notes
            } else {
                base
            };
            match self.check(intake, base, note) {
                Ok(()) => match &note.action {
                    Action::Order {
                        unit, due, auto, ..
                    } => {
                        current.notes += 1;
                        current.orders.push(SuperviseOrder {
                            id: note.id.clone(),
                            from: note.unit.clone(),
                            unit: unit.clone(),
                            at: note.millis(),
                            due: *due,
                            auto: *auto,
                            replied: None,
                        });
                    }
                    Action::Reply { order, .. } => {
                        if let Some(o) = current
                            .orders
                            .iter_mut()
                            .find(|o| &o.id == order && o.replied.is_none())
                        {
                            o.replied = Some(note.millis());
                            let due = Some(o.due);
                            current
                                .acts
                                .push(note_act(note, Step::Reply, &o.unit, due, true));
                        }
                    }
                    Action::Rate { unit, rating, .. } => {
                        if current.ratings.iter().any(|(u, _)| u == unit) {
                            continue;
                        }
                        current.ratings.push((unit.clone(), *rating));
                        let ok = rating.accepts();
                        current
                            .acts
                            .push(note_act(note, Step::Rated, unit, None, ok));
                    }
                    Action::Absorb { child } => {
                        if !current.children.contains(child) {
                            current.children.push(child.clone());
                        }
                    }
                    // Concurrent ticks of one item keep the earliest: order-independent.
                    Action::Tick { item, .. } => {
                        if let Some(it) = current
                            .incident
                            .as_mut()
                            .and_then(|i| i.checklist.get_mut(*item as usize))
                        {
                            let mine = (note.millis(), note.unit.clone());
                            if it.done.as_ref().is_none_or(|d| mine < *d) {
                                it.done = Some(mine);
                            }
                        }
                    }
                    _ => current.notes += 1,
                },
                Err(why) => invalid.push((note.id.clone(), why)),
            }
        }
        // The primary chain, and which moves are off it.
        let chain_of = |tip: &EventId| -> BTreeSet<EventId> {
            let mut out = BTreeSet::new();
            let mut cur = Some(tip.clone());
            while let Some(id) = cur {
                let e = by_id[&id];
                cur = match &e.action {
                    Action::Resolve { keep, .. } => Some(keep.clone()),
                    _ => e.after.first().cloned(),
                };
                out.insert(id);
            }
            out
        };
        let conflict = if tips.len() > 1 {
            let chains: Vec<BTreeSet<EventId>> = tips.iter().map(|t| chain_of(&t.id)).collect();
            let common: BTreeSet<EventId> =
                chains.iter().skip(1).fold(chains[0].clone(), |acc, c| {
                    acc.intersection(c).cloned().collect()
                });
            Some(
                tips.iter()
                    .zip(&chains)
                    .map(|(t, c)| {
                        let mut evs: Vec<&Event> = c
                            .iter()
                            .filter(|id| !common.contains(*id))
                            .map(|id| by_id[id])
                            .collect();
                        evs.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
                        Branch {
                            tip: t.id.clone(),
                            state: states[&t.id].clone(),
                            events: evs.into_iter().map(|e| e.id.clone()).collect(),
                        }
                    })
                    .collect::<Vec<_>>(),
            )
        } else {
            None
        };
        let mut on_chains: BTreeSet<EventId> = BTreeSet::new();
        for t in &tips {
            on_chains.extend(chain_of(&t.id));
        }
        let invalid_ids: BTreeSet<&EventId> = invalid.iter().map(|(id, _)| id).collect();
        let superseded = valid
            .iter()
            .filter(|id| !on_chains.contains(**id) && !invalid_ids.contains(*id))
            .map(|id| (*id).clone())
            .collect();
        invalid.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(Derived {
            current,
            conflict,
            superseded,
            invalid,
            tips: tips.iter().map(|t| t.id.clone()).collect(),
        })
    }

    fn replay_one(
        &self,
        intake: &Intake,
        e: &Event,
        states: &HashMap<&EventId, CaseState>,
        valid: &BTreeSet<&EventId>,
    ) -> Result<CaseState, Refusal> {
        if let Some(r) = self.in_force(e.millis()) {
            return r.replay_one(intake, e, states, valid);
        }
        match &e.action {
            Action::Resolve { keep, note } => {
                if e.after.len() < 2 || !e.after.contains(keep) {
                    return Err(Refusal::new("resolve", Reason::ResolveBranches));
                }
                if !valid.contains(keep) {
                    return Err(Refusal::new(
                        "resolve",
                        Reason::KeptInvalid { keep: keep.clone() },
                    ));
                }
                let base = &states[keep];
                self.need_text("resolve", TextField::Note, note)?;
                self.roles_at(
                    "resolve",
                    e,
                    &[Role::ShiftLead, Role::Leader],
                    &base.holder,
                    true,
                )?;
                Ok(self.apply(intake, base, e))
            }
            _ => {
                if e.after.len() != 1 {
                    return Err(Refusal::new("after", Reason::NotSingleAfter));
                }
                let base = &states[&e.after[0]];
                self.check(intake, base, e)?;
                Ok(self.apply(intake, base, e))
            }
        }
    }

    /// Checks a move about to be made on the live case: in a conflict only a resolution or a
    /// note may be made; a resolution must keep one of the current tips.
    pub fn check_live(&self, intake: &Intake, d: &Derived, e: &Event) -> Result<(), Refusal> {
        if let Some(r) = self.in_force(e.millis()) {
            return r.check_live(intake, d, e);
        }
        if let Some(branches) = &d.conflict {
            return match &e.action {
                Action::Resolve { keep, note } => {
                    let Some(b) = branches.iter().find(|b| &b.tip == keep) else {
                        return Err(Refusal::new(
                            "resolve",
                            Reason::NotConflictTip { keep: keep.clone() },
                        ));
                    };
                    self.need_text("resolve", TextField::Note, note)?;
                    self.roles_at(
                        "resolve",
                        e,
                        &[Role::ShiftLead, Role::Leader],
                        &b.state.holder,
                        true,
                    )
                }
                a if a.is_note() => self.check(intake, &d.current, e),
                _ => Err(Refusal::new("conflict", Reason::InConflict)),
            };
        }
        self.check(intake, &d.current, e)
    }
}

/// The assessed act a note records (督办回复, 街道评价), for `unit`.
fn note_act(note: &Event, step: Step, unit: &UnitId, due: Option<Millis>, ok: bool) -> Act {
    Act {
        step,
        unit: unit.clone(),
        role: note.role,
        at: note.millis(),
        due,
        ok,
        offline: note.offline,
        by: None,
        person: note.person.clone(),
    }
}
