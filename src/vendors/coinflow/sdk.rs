//! The routes Coinflow's own SDK (`@coinflowlabs/react`, `lib-common`) calls on the API host:
//! with the sandbox on port 5000 the SDK's `local` environment works unchanged.

use serde_json::{Value, json};

use super::auth::merchant_object_id;
use super::error;
use super::validate::Fields;
use crate::http::{ApiRequest, ApiResponse};
use crate::store::World;
use crate::vendors::Ctx;
use crate::vendors::hmac_sha256_hex;

/// `GET /merchant/view/{merchantId}` (no auth, as the SDK calls it): the SDK reads
/// `nSureSettings.nSurePartnerId` (or `nSurePartnerId`) to start nSure's fraud SDK. Every
/// merchant id exists in the sandbox.
pub fn merchant_view(merchant_id: &str) -> ApiResponse {
    let partner_id = format!("sandbox-nsure-{}", &merchant_object_id(merchant_id)[..8]);
    ApiResponse::json(
        200,
        json!({
            "_id": merchant_object_id(merchant_id),
            "merchantId": merchant_id,
            "name": merchant_id,
            "color": "#000000",
            "currency": "USD",
            "blockchains": ["solana", "eth", "polygon", "base", "arbitrum", "user"],
            "nSureSettings": {"nSurePartnerId": partner_id},
            "nSurePartnerId": partner_id,
        }),
    )
}

/// `POST /api/telemetry/frontend-error`: the SDK reports its UI errors; accepted and dropped
/// (the request journal keeps them). An empty body is fine, a malformed one is not.
pub fn frontend_error(req: &ApiRequest) -> ApiResponse {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return ApiResponse::json(201, json!({}));
    }
    match req.json_value() {
        Ok(Value::Object(_)) => ApiResponse::json(201, json!({})),
        Ok(_) => error(400, "Request body must be a JSON object", req),
        Err(e) => error(400, &e.0, req),
    }
}

/// `POST /api/tokenize/iframe/config` `{origins, token?, merchantId?, checkoutJwt?}`: the
/// TokenEx iframe settings the SDK spreads into `TokenEx.Iframe(...)`. The authentication key
/// is an HMAC of the other values, as TokenEx computes it, under a fixed sandbox secret.
pub fn iframe_config(cx: &Ctx, world: &mut World) -> ApiResponse {
    let req = cx.req;
    let body = match req.json_value() {
        Ok(b) => b,
        Err(e) => return error(400, &e.0, req),
    };
    let origins = match parse_iframe_request(&body) {
        Ok(o) => o,
        Err(message) => return error(400, &message, req),
    };
    let now = world.clock.now_ms();
    let timestamp = chrono::DateTime::from_timestamp_millis(now)
        .unwrap_or_default()
        .format("%Y%m%d%H%M%S")
        .to_string();
    let token_ex_id = "sandbox-tokenex";
    let token_scheme = "sixTOKENfour";
    let origin = origins.join(",");
    let authentication_key = hmac_sha256_hex(
        "vendor-sandbox-tokenex",
        format!("{token_ex_id}|{origin}|{timestamp}|{token_scheme}").as_bytes(),
    );
    ApiResponse::json(
        201,
        json!({
            "tokenExID": token_ex_id,
            "origin": origin,
            "timestamp": timestamp,
            "tokenScheme": token_scheme,
            "authenticationKey": authentication_key,
            "pci": true,
        }),
    )
}

fn parse_iframe_request(body: &Value) -> Result<Vec<String>, String> {
    let fields = Fields::new(body, "")?;
    for name in ["token", "merchantId", "checkoutJwt"] {
        fields.optional(name)?;
    }
    if !fields.has("merchantId") && !fields.has("checkoutJwt") {
        return Err("merchantId should not be empty (or send checkoutJwt)".into());
    }
    let Some(Value::Array(origins)) = body.get("origins") else {
        return Err("origins must be an array of origins, e.g. [\"http://localhost:3000\"]".into());
    };
    if origins.is_empty() {
        return Err("origins should not be empty".into());
    }
    origins
        .iter()
        .map(|o| match o.as_str() {
            Some(s) if s.starts_with("http://") || s.starts_with("https://") => Ok(s.to_string()),
            _ => Err(format!(
                "each value in origins must be an http(s) origin, got {o}"
            )),
        })
        .collect()
}
