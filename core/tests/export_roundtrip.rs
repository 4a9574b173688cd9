//! Export round-trips (导出/导入): a case written as an export record and read back — with its
//! Automerge document, or as a hand-made record of events only — derives the same state and
//! projection row, every event keeps its author's unit apart from the unit its move names,
//! and no key appears twice in an event (which made `import` refuse a file `export` wrote).

mod common;

use common::*;
use gridloop_core::doc::case_doc::{CaseDoc, to_hex};
use gridloop_core::domain::case_id::CaseId;
use gridloop_core::domain::emergency::{EmergencyLimits, Lane};
use gridloop_core::domain::event::{Action, Event, EventId, RequestKind};
use gridloop_core::domain::hlc::Hlc;
use gridloop_core::domain::role::{NodeId, Role};
use gridloop_core::engine::CaseRecord;
use gridloop_core::store::CaseSummary;
use gridloop_core::workload::bulk::build;
use proptest::prelude::*;

/// Counts each key of a JSON object as written (serde_json's `Value` keeps only the last of
/// a repeated key, so the text is scanned).
fn repeated_keys(object: &str) -> Vec<String> {
    struct Keys(Vec<String>);
    impl<'de> serde::de::Visitor<'de> for Keys {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            mut self,
            mut m: A,
        ) -> Result<Self::Value, A::Error> {
            while let Some(k) = m.next_key::<String>()? {
                m.next_value::<serde::de::IgnoredAny>()?;
                self.0.push(k);
            }
            Ok(self.0)
        }
    }
    let mut de = serde_json::Deserializer::from_str(object);
    let mut keys = serde::Deserializer::deserialize_map(&mut de, Keys(vec![])).unwrap();
    keys.sort();
    let mut repeated: Vec<String> = keys
        .windows(2)
        .filter(|w| w[0] == w[1])
        .map(|w| w[0].clone())
        .collect();
    repeated.dedup();
    repeated
}

/// Every move with each shape of what it carries, including the ones a random walk of the
/// rules rarely reaches (the emergency moves, an extension with a due time).
fn every_move(f: &Fixture) -> Vec<Action> {
    vec![
        Action::Report,
        Action::Reject {
            reason: "重复".into(),
        },
        Action::Register {
            category: f.category.clone(),
            grid: f.grid.clone(),
        },
        Action::Dispatch {
            lead: f.dept.clone(),
            assists: vec![f.dept2.clone()],
        },
        Action::DispatchDown {
            unit: f.community.clone(),
        },
        Action::Feedback {
            unit: f.dept.clone(),
            note: "已处置".into(),
            photos: vec!["p1".into()],
        },
        Action::Request {
            kind: RequestKind::Extension,
            unit: f.dept.clone(),
            reason: "雨天".into(),
            until: Some(T0 + 3 * DAY),
        },
        Action::Request {
            kind: RequestKind::SendBack,
            unit: f.dept.clone(),
            reason: "错派".into(),
            until: None,
        },
        Action::Decide {
            request: EventId("r1".into()),
            approve: false,
            note: String::new(),
        },
        Action::ReportIn {
            unit: f.dept2.clone(),
        },
        Action::Whistle {
            departments: vec![f.dept.clone(), f.dept2.clone()],
        },
        Action::SelfClose {
            evidence: vec![],
            note: "ok".into(),
        },
        Action::Resolve {
            keep: EventId("k".into()),
            note: "裁定".into(),
        },
        Action::Activate {
            plan: "flood".into(),
            name: "暴雨".into(),
            level: 2,
            area: vec![f.street.clone()],
            checklist: vec!["巡查".into(), "转移".into()],
            limits: EmergencyLimits::default(),
        },
        Action::Tick {
            item: 1,
            note: "已转移".into(),
        },
        Action::Summon {
            units: vec![f.dept.clone()],
            resources: vec!["泵车".into()],
        },
        Action::StandDown {
            note: "解除".into(),
        },
        Action::Link {
            lane: Lane {
                incident: CaseId("0123456789abcdef0123456789abcdef".into()),
                limits: EmergencyLimits::default(),
            },
        },
    ]
}

#[test]
fn every_move_writes_its_author_unit_apart_and_reads_back_the_same() {
    let f = Fixture::new();
    for (i, action) in every_move(&f).into_iter().enumerate() {
        let e = Event {
            id: EventId(format!("e{i}")),
            after: vec![EventId("prev".into())],
            at: Hlc::at(T0 + i as i64),
            node: NodeId("n-110101".into()),
            unit: f.street.clone(),
            role: Role::Handler,
            action,
            offline: i % 2 == 0,
            person: None,
        };
        let text = serde_json::to_string(&e).unwrap();
        assert_eq!(repeated_keys(&text), Vec::<String>::new(), "{text}");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["author_unit"], f.street.0.as_str(), "{text}");
        let back: Event = serde_json::from_str(&text).unwrap_or_else(|err| panic!("{text}: {err}"));
        assert_eq!(back, e);
    }
}

/// The export record of a copy, written and read back as `export` and `import` do.
fn through_json(id: &CaseId, doc: &CaseDoc, with_document: bool) -> CaseRecord {
    let rec = CaseRecord {
        id: id.clone(),
        intake: doc.intake().unwrap(),
        events: doc.events().unwrap(),
        document: with_document.then(|| to_hex(&doc.save())),
    };
    let line = serde_json::to_string(&rec).unwrap();
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("import refuses the export: {e}: {line}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn an_exported_case_reimports_to_the_same_state(
        community_case in any::<bool>(),
        picks in proptest::collection::vec(0usize..1000, 0..14),
        fork in proptest::collection::vec(0usize..1000, 0..4),
        with_document in any::<bool>(),
    ) {
        let f = Fixture::new();
        let base = base_doc(&f, community_case);
        let id = base.id().unwrap();
        let mut serial = 0;
        let mut a = Copy { doc: base.fork_as(&NodeId("a".into())), node: "a".into(), moved: false, t: T0 };
        play(&f, &mut a, &picks, &mut serial);
        // A concurrent copy merged in, so conflicts and resolutions are exported too.
        let mut b = Copy { doc: a.doc.fork_as(&NodeId("b".into())), node: "b".into(), moved: false, t: a.t + 60_000 };
        play(&f, &mut b, &fork, &mut serial);
        let mut doc = a.doc.clone();
        doc.merge(&b.doc).unwrap();

        let want = derive(&f, &doc);
        let rec = through_json(&id, &doc, with_document);
        for e in &rec.events {
            let text = serde_json::to_string(e).unwrap();
            prop_assert_eq!(repeated_keys(&text), Vec::<String>::new(), "{}", text);
        }
        prop_assert_eq!(&rec.events, &doc.events().unwrap());
        let built = build(&f.rules(), rec).unwrap();
        let got = derive(&f, &built.doc);
        prop_assert_eq!(&got, &want);
        let intake = doc.intake().unwrap();
        prop_assert_eq!(built.summary, CaseSummary::build(&id, &intake, &want));
    }
}
