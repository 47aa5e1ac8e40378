use std::collections::HashSet;

use super::*;

const NOW_MS: Millis = 1_709_686_052_250;
const NOW: i64 = 1_709_686_052;

fn header<'a>(case: &'a Case, name: &str) -> Option<&'a str> {
    case.headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn named<'a>(cases: &'a [Case], name: &str) -> &'a Case {
    cases
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("case {name}"))
}

fn all(vendor: Vendor) -> Vec<Case> {
    cases_at(vendor, "whsec_test", default_event(vendor), NOW_MS, 7)
}

#[test]
fn each_vendor_gets_its_cases_once_each_with_a_rule() {
    let names = |vendor| -> Vec<&str> { all(vendor).iter().map(|c| c.name).collect() };
    let common = [
        "valid",
        "replay",
        "raw-bytes-formatted",
        "body-modified",
        "wrong-secret",
        "signature-missing",
        "signature-empty",
        "signature-truncated",
        "reserialized-whitespace",
        "reserialized-key-order",
    ];
    let timed = ["stale-timestamp", "future-timestamp", "timestamp-missing"];
    for vendor in Vendor::ALL {
        let names = names(vendor);
        let unique: HashSet<&str> = names.iter().copied().collect();
        assert_eq!(unique.len(), names.len(), "{vendor}: {names:?}");
        assert!(common.iter().all(|n| unique.contains(n)), "{vendor}");
        let has_timed = timed.iter().all(|n| unique.contains(n));
        assert_eq!(has_timed, vendor != Vendor::Bitmama, "{vendor}");
        assert_eq!(
            unique.contains("rotated-secret"),
            vendor == Vendor::Persona,
            "only Persona documents rotation"
        );
        assert!(all(vendor).iter().all(|c| !c.rule.is_empty()), "{vendor}");
    }
}

#[test]
fn the_valid_case_is_signed_as_the_vendor_signs() {
    let persona = all(Vendor::Persona);
    let valid = named(&persona, "valid");
    let mut signed = format!("{NOW}.").into_bytes();
    signed.extend_from_slice(&valid.body);
    let expected = format!("t={NOW},v1={}", hmac_sha256_hex("whsec_test", &signed));
    assert_eq!(header(valid, "Persona-Signature"), Some(expected.as_str()));
    assert_eq!(header(valid, "Persona-Webhook-Attempts-Made"), Some("1"));
    let body: Value = serde_json::from_slice(&valid.body).unwrap_or_default();
    assert_eq!(body["data"]["type"], "event");
    assert_eq!(body["data"]["attributes"]["name"], "inquiry.approved");

    let coinflow = all(Vendor::Coinflow);
    let valid = named(&coinflow, "valid");
    assert_eq!(header(valid, "Authorization"), Some("whsec_test"));
    assert!(header(valid, "Coinflow-Signature").is_some_and(|s| s.starts_with("t=")));

    let bitmama = all(Vendor::Bitmama);
    let valid = named(&bitmama, "valid");
    let expected = hmac_sha256_hex("whsec_test", &valid.body);
    assert_eq!(
        header(valid, "X-Webhook-Signature"),
        Some(expected.as_str())
    );
}

#[test]
fn only_the_replay_repeats_a_body() {
    for vendor in Vendor::ALL {
        let cases = all(vendor);
        let valid = named(&cases, "valid");
        let replay = named(&cases, "replay");
        assert_eq!(
            (&replay.headers, &replay.body),
            (&valid.headers, &valid.body)
        );
        let bodies: HashSet<&[u8]> = cases.iter().map(|c| c.body.as_ref()).collect();
        assert_eq!(bodies.len(), cases.len() - 1, "{vendor}");
    }
}

#[test]
fn rotation_puts_the_receivers_secret_in_the_second_set() {
    let cases = all(Vendor::Persona);
    let rotated = named(&cases, "rotated-secret");
    let value = header(rotated, "Persona-Signature").unwrap_or_default();
    let sets: Vec<&str> = value.split(' ').collect();
    assert_eq!(sets.len(), 2);
    assert_eq!(
        sets[1],
        timestamped_signature("whsec_test", NOW, &rotated.body)
    );
    assert_ne!(sets[0], sets[1]);
}

#[test]
fn timestamps_sit_outside_the_tolerance() {
    let cases = all(Vendor::Coinflow);
    let t = |name| {
        let case = named(&cases, name);
        let value = header(case, "Coinflow-Signature").unwrap_or_default();
        assert!(value.starts_with("t="), "{name}: {value}");
        value[2..]
            .split(',')
            .next()
            .unwrap_or_default()
            .parse::<i64>()
            .ok()
    };
    assert_eq!(t("stale-timestamp"), Some(NOW - OUTSIDE_SECS));
    assert_eq!(t("future-timestamp"), Some(NOW + OUTSIDE_SECS));
    let missing = named(&cases, "timestamp-missing");
    assert!(header(missing, "Coinflow-Signature").is_some_and(|v| v.starts_with("v1=")));
    let no_sig = named(&cases, "signature-missing");
    assert_eq!(header(no_sig, "Coinflow-Signature"), None);
    assert_eq!(header(no_sig, "Authorization"), Some("whsec_test"));
}

#[test]
fn reserialized_cases_sign_other_bytes_than_they_send() {
    for vendor in Vendor::ALL {
        let cases = all(vendor);
        // What a receiver that parses and re-serializes gets back: the signed bytes.
        for (name, layout) in [
            ("reserialized-whitespace", KEPT),
            ("reserialized-key-order", SORTED),
        ] {
            let case = named(&cases, name);
            let sent: Value = serde_json::from_slice(&case.body).unwrap_or_default();
            let reserialized = bodies::write(&sent, layout);
            assert_ne!(case.body.as_ref(), reserialized.as_slice());
            let signature = header(case, signature_header(vendor)).unwrap_or_default();
            let expected = match vendor {
                Vendor::Bitmama => hmac_sha256_hex("whsec_test", &reserialized),
                _ => timestamped_signature("whsec_test", NOW, &reserialized),
            };
            assert_eq!(signature, expected, "{vendor} {name}");
        }
    }
}

#[test]
fn unknown_events_are_refused_with_the_known_ones() {
    let error = cases(Vendor::Coinflow, "k", Some("KYC Maybe")).err();
    assert!(error.is_some_and(|e| e.contains("KYC Success")));
    assert!(cases(Vendor::Bitmama, "k", Some("user.kyc-event")).is_ok());
}
