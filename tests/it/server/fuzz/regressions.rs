//! Inputs the fuzzers found that once panicked, replayed as plain tests.

use super::*;

fn header(name: &str, value: &str) -> Vec<(String, String)> {
    vec![(name.to_string(), value.to_string())]
}

/// Found by `router`: Coinflow's merchant-key check sliced `Authorization` at byte 7, inside a
/// multi-byte character. (Over the wire hyper only hands over ASCII header values today, so this
/// needs an in-process caller; a handler must not panic on any request data.)
#[test]
fn coinflow_authorization_with_multibyte_characters_is_a_401_not_a_panic() {
    let app = in_process_app();
    for value in ["¡0꥟¡", "A઼𝔍", "J🪞ஃ\"ಘh"] {
        for path in ["/api/withdraw", "/api/auth/session-key"] {
            let req = api_request("GET", path, &header("authorization", value), b"");
            let answer = route_checked(&app, req, Ok(()))
                .unwrap_or_else(|e| panic!("GET {path} with Authorization {value:?}: {e}"));
            assert_eq!(answer["statusCode"], 401, "{answer}");
        }
    }
}
