//! A scenario's seeds are held to what the API would hold: `vendor-sandbox check` (the parser)
//! and `scenarios/schema.json` refuse a negative wallet or payout balance, a partner key the
//! API would answer 401, and a seeded card user or withdrawer the API would refuse.

use serde_json::{Value, json};
use vendor_sandbox::scenario::parse::parse_scenario;

use super::repo;

fn with_bitmama(section: Value) -> Value {
    json!({"name": "seeds", "description": "d", "initial_state": {"bitmama": section}})
}

#[test]
fn seeds_the_api_would_refuse_are_refused_by_check_and_the_schema() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo("scenarios/schema.json")).expect("schema"),
    )
    .expect("schema is JSON");
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("a valid JSON Schema");
    let user = |changes: Value| {
        let mut user =
            json!({"partner": "sk_staging_acme", "email": "jo@example.com", "status": "approved"});
        for (key, value) in changes.as_object().expect("object") {
            user[key] = value.clone();
        }
        with_bitmama(json!({"users": [user]}))
    };
    let good = [
        with_bitmama(
            json!({"wallets": {"*": {"balance_cents": 0}, "sk_staging_acme": {"balance_cents": 100}}}),
        ),
        user(json!({})),
        user(json!({"partner": "*", "first_name": "Jo", "last_name": "Doe"})),
    ];
    for scenario in good {
        let parsed = parse_scenario(
            "seeds.json",
            &scenario.to_string(),
            1,
            vendor_sandbox::vendors::vocabulary(),
        );
        assert!(
            parsed.is_ok(),
            "{scenario}: {}",
            parsed.err().map(|p| p.to_string()).unwrap_or_default()
        );
        assert!(validator.is_valid(&scenario), "schema on {scenario}");
    }
    let bad = [
        (
            with_bitmama(json!({"wallets": {"*": {"balance_cents": -500}}})),
            "wallets.*.balance_cents is -500: a wallet is never negative",
        ),
        (
            with_bitmama(json!({"wallets": {"acme": {"balance_cents": 5}}})),
            "\"acme\" is not a partner API key",
        ),
        (
            with_bitmama(json!({"wallets": {"sk_staging_": {"balance_cents": 5}}})),
            "\"sk_staging_\" is not a partner API key",
        ),
        (
            user(json!({"email": "not-an-email"})),
            "users[0].email \"not-an-email\" is not a valid email address",
        ),
        (user(json!({"email": "a..b@example.com"})), "users[0].email"),
        (
            user(json!({"partner": "acme"})),
            "users[0].partner \"acme\" is not a partner API key",
        ),
        (
            user(json!({"first_name": "  "})),
            "users[0].first_name must be 1 to 100 characters",
        ),
        (
            user(json!({"last_name": "x".repeat(101)})),
            "users[0].last_name must be 1 to 100 characters",
        ),
    ];
    let coinflow = |section: Value| json!({"name": "seeds", "description": "d", "initial_state": {"coinflow": section}});
    let bad = bad.into_iter().chain([
        (
            coinflow(json!({"payout_balance_cents": -1})),
            "payout_balance_cents is -1: a payout balance is never negative",
        ),
        (
            coinflow(json!({"withdrawers": [{"email": "not-an-email", "status": "approved"}]})),
            "withdrawers[0].email \"not-an-email\" must be an email",
        ),
    ]);
    for (scenario, message) in bad {
        let refused = parse_scenario(
            "seeds.json",
            &scenario.to_string(),
            1,
            vendor_sandbox::vendors::vocabulary(),
        )
        .err()
        .map(|p| p.to_string())
        .unwrap_or_else(|| panic!("check accepts {scenario}"));
        assert!(refused.contains(message), "{message} in {refused}");
        assert!(refused.starts_with("seeds.json:1:"), "{refused}");
        assert!(!validator.is_valid(&scenario), "schema accepts {scenario}");
    }
}
