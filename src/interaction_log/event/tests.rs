//! Round trips of event payloads, actors and subjects through their stored forms.
use super::*;

#[test]
fn payloads_round_trip_through_json() {
    let bodies = vec![
        EventBody::InteractionCreated {
            channel: Channel::Voice,
            direction: Direction::Inbound,
            customer: Some(CustomerId::generate()),
            identification: IdentificationLevel::Matched,
            remote_address: Some("+8613800138000".into()),
            local_address: Some("8000".into()),
            subject: None,
        },
        EventBody::TierChanged {
            from: Tier::Gold,
            to: Tier::Diamond,
            cause: TierCause::Override {
                reason: "board decision".into(),
            },
        },
        EventBody::AgentPasswordChanged,
        EventBody::SegmentStarted {
            segment: SegmentId::generate(),
            segment_kind: SegmentKind::Queue,
            queue: Some(QueueId::generate()),
            agent: None,
        },
        EventBody::IvrStarted {
            flow: "brokerage".into(),
        },
        EventBody::IvrNodeEntered {
            node: "main_menu".into(),
            node_kind: "menu".into(),
        },
        EventBody::IvrInput {
            node: Some("enter_pin".into()),
            input: "key *".into(),
        },
        EventBody::IvrVariableSet {
            var: "pin".into(),
            value: "***".into(),
        },
        EventBody::IvrDataDip {
            node: "balance_dip".into(),
            outcome: "timed_out".into(),
        },
        EventBody::IvrEnded {
            how: "aborted".into(),
            node: Some("loop".into()),
        },
    ];
    for body in bodies {
        let json = body.to_json();
        assert!(json.contains(body.kind()), "{json} carries its kind");
        assert_eq!(EventBody::from_json(&json), Ok(body));
    }
}

#[test]
fn actors_and_subjects_round_trip() {
    let agent = AgentId::generate();
    for actor in [
        Actor::System,
        Actor::Agent(agent),
        Actor::Customer,
        Actor::Cli,
        Actor::Anonymous("10.0.0.1".into()),
    ] {
        assert_eq!(actor.to_string().parse::<Actor>(), Ok(actor));
    }
    assert!("robot".parse::<Actor>().is_err());
    let s = Subject::Agent(agent);
    assert_eq!(Subject::from_parts(s.kind(), &s.id_text()), Ok(s));
    assert_eq!(Subject::from_parts("audit", "audit"), Ok(Subject::Audit));
    assert!(Subject::from_parts("planet", "x").is_err());
}
