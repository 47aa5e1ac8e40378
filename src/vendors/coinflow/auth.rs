//! Coinflow's merchant auth: `Authorization: <raw merchant API key>` plus either
//! `x-coinflow-auth-user-id` or `x-coinflow-auth-wallet` + `x-coinflow-auth-blockchain`.
//!
//! Any non-empty key is a merchant (the sandbox has no merchant registry). The merchant id is
//! derived from the key, so the same key always is the same merchant (see [`Merchant::for_key`]).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::model::State;
use crate::clock::Millis;
use crate::http::{ApiRequest, ApiResponse};
use crate::namespace::DEFAULT_NAMESPACE;
use crate::store::World;
use crate::vendors::Ctx;

/// How long a session key from `GET /api/auth/session-key` is valid (24 h, sandbox time).
pub const SESSION_KEY_TTL_MS: Millis = 24 * 60 * 60 * 1000;

/// The blockchains Coinflow's SDK knows (`CoinflowBlockchain`), `user` for user-id withdrawers.
pub const BLOCKCHAINS: [&str; 9] = [
    "solana", "eth", "polygon", "base", "arbitrum", "stellar", "monad", "tempo", "user",
];

/// Separates merchant id and user id in the wallet of an API-key + user-id withdrawer, as in
/// Coinflow's own webhook samples (`testtestʬtest-withdrawer-f`).
pub const USER_WALLET_SEPARATOR: char = 'ʬ';

/// A merchant as the sandbox derives it from an API key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Merchant {
    /// The raw API key: what isolates one merchant's withdrawers from another's.
    pub key: String,
    /// The merchant id the SDK uses (`merchantId`): `sandbox-` and 8 hex digits of the key's hash.
    pub id: String,
}

impl Merchant {
    pub fn for_key(key: &str) -> Self {
        let digest = hex::encode(Sha256::digest(format!("coinflow-merchant:{key}")));
        Self {
            key: key.to_string(),
            id: format!("sandbox-{}", &digest[..8]),
        }
    }
}

/// The merchant's `_id` (a Mongo ObjectId) for a merchant id: stable, so the withdrawer's
/// `merchant` field and `GET /merchant/view/{merchantId}` agree.
pub fn merchant_object_id(merchant_id: &str) -> String {
    hex::encode(Sha256::digest(format!(
        "coinflow-merchant-oid:{merchant_id}"
    )))[..24]
        .to_string()
}

/// Who a request acts for: one user of one merchant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    pub merchant: Merchant,
    /// `x-coinflow-auth-user-id`, when the caller is identified that way.
    pub user_id: Option<String>,
    /// The withdrawer's wallet: the header's wallet, or `<merchantId>ʬ<userId>`.
    pub wallet: String,
    /// The header's blockchain, or `user`.
    pub blockchain: String,
}

impl Caller {
    /// How the 401 "No withdrawer associated with ..." names this caller.
    pub fn describe(&self) -> String {
        match &self.user_id {
            Some(user) => format!("user id {user}"),
            None => format!("wallet {} on {}", self.wallet, self.blockchain),
        }
    }
}

/// The caller, or the 401 message saying what is missing or malformed. A session key alone
/// (`x-coinflow-auth-session-key`, from `GET /api/auth/session-key`) stands for the caller
/// that obtained it.
pub fn authenticate(req: &ApiRequest, state: &State, now: Millis) -> Result<Caller, String> {
    if req.header("authorization").is_none()
        && let Some(session_key) = req.header("x-coinflow-auth-session-key").map(str::trim)
    {
        return match state.session(session_key) {
            Some((caller, expires)) if *expires > now => Ok(caller.clone()),
            Some(_) => {
                Err("Session key has expired: get a new one from /api/auth/session-key".into())
            }
            None => Err("Invalid session key".into()),
        };
    }
    authenticate_merchant(req)
}

/// API key plus user id, or plus wallet and blockchain (what a session key is issued for).
pub fn authenticate_merchant(req: &ApiRequest) -> Result<Caller, String> {
    let key = api_key(req)?;
    let header = |name: &str| req.header(name).map(str::trim);
    let user_id = header("x-coinflow-auth-user-id");
    let wallet = header("x-coinflow-auth-wallet");
    let blockchain = header("x-coinflow-auth-blockchain");
    let merchant = Merchant::for_key(key);
    match (user_id, wallet, blockchain) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => Err(
            "Send either x-coinflow-auth-user-id, or x-coinflow-auth-wallet with x-coinflow-auth-blockchain, not both"
                .into(),
        ),
        (Some(user), None, None) => {
            if user.is_empty() {
                return Err("x-coinflow-auth-user-id is empty".into());
            }
            if user.chars().count() > 256 {
                return Err("x-coinflow-auth-user-id is longer than 256 characters".into());
            }
            Ok(Caller {
                wallet: format!("{}{USER_WALLET_SEPARATOR}{user}", merchant.id),
                blockchain: "user".into(),
                user_id: Some(user.to_string()),
                merchant,
            })
        }
        (None, Some(wallet), Some(blockchain)) => {
            if wallet.is_empty() {
                return Err("x-coinflow-auth-wallet is empty".into());
            }
            let blockchain = blockchain.to_ascii_lowercase();
            if !BLOCKCHAINS.contains(&blockchain.as_str()) {
                return Err(format!(
                    "x-coinflow-auth-blockchain {blockchain:?} is not one of {}",
                    BLOCKCHAINS.join(", ")
                ));
            }
            Ok(Caller {
                wallet: wallet.to_string(),
                blockchain,
                user_id: None,
                merchant,
            })
        }
        (None, Some(_), None) => {
            Err("x-coinflow-auth-wallet needs x-coinflow-auth-blockchain as well".into())
        }
        (None, None, Some(_)) => {
            Err("x-coinflow-auth-blockchain needs x-coinflow-auth-wallet as well".into())
        }
        (None, None, None) => Err(
            "Missing x-coinflow-auth-user-id (or x-coinflow-auth-wallet and x-coinflow-auth-blockchain)"
                .into(),
        ),
    }
}

/// `GET /api/auth/session-key`: a key that alone authenticates this caller for 24 hours (what
/// the SDK's withdraw UI passes as `sessionKey`). Opaque here, not a JWT; outside the default
/// namespace it ends with `.NAMESPACE`.
pub fn session_key(cx: &Ctx, world: &mut World) -> ApiResponse {
    let req = cx.req;
    let caller = match authenticate_merchant(req) {
        Ok(c) => c,
        Err(message) => return super::error(401, &message, req),
    };
    let mut key = format!("cfsk_{}", world.ids.alphanumeric(40));
    // The SDK's iframe URL cannot name a namespace: the key does, for the withdraw pages.
    if req.namespace != DEFAULT_NAMESPACE {
        key.push_str(&format!(".{}", req.namespace));
    }
    let expires = world.clock.now_ms() + SESSION_KEY_TTL_MS;
    world.coinflow.add_session(key.clone(), caller, expires);
    ApiResponse::json(200, serde_json::json!({"key": key}))
}

/// The raw merchant API key from `Authorization`.
pub fn api_key(req: &ApiRequest) -> Result<&str, String> {
    let Some(value) = req.header("authorization").map(str::trim) else {
        return Err("Missing Authorization header: send your merchant API key".into());
    };
    if value.is_empty() {
        return Err("Authorization header is empty: send your merchant API key".into());
    }
    if value
        .get(..7)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("bearer "))
    {
        return Err(
            "Authorization must be the raw merchant API key, without the \"Bearer \" prefix".into(),
        );
    }
    if value.chars().any(char::is_whitespace) {
        return Err("Authorization is not a valid merchant API key (it contains spaces)".into());
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(headers: &[(&str, &str)]) -> ApiRequest {
        ApiRequest {
            headers: headers.iter().copied().collect(),
            ..ApiRequest::default()
        }
    }

    #[test]
    fn user_id_caller_gets_a_user_wallet() {
        let caller = authenticate_merchant(&req(&[
            ("authorization", "k1"),
            ("x-coinflow-auth-user-id", "u1"),
        ]))
        .unwrap();
        assert_eq!(caller.blockchain, "user");
        assert_eq!(caller.wallet, format!("{}ʬu1", Merchant::for_key("k1").id));
        assert_ne!(Merchant::for_key("k1").id, Merchant::for_key("k2").id);
    }

    #[test]
    fn multibyte_keys_do_not_panic() {
        // Byte 7 falls inside `é`: slicing there would panic.
        let caller = authenticate_merchant(&req(&[
            ("authorization", "abcdefé-key"),
            ("x-coinflow-auth-user-id", "u1"),
        ]));
        assert_eq!(
            caller.map(|c| c.merchant.key).ok(),
            Some("abcdefé-key".into())
        );
        assert!(authenticate_merchant(&req(&[("authorization", "bearé")])).is_err());
    }

    #[test]
    fn malformed_auth_is_refused() {
        for headers in [
            vec![("x-coinflow-auth-user-id", "u1")],
            vec![
                ("authorization", "Bearer k"),
                ("x-coinflow-auth-user-id", "u1"),
            ],
            vec![("authorization", "k")],
            vec![("authorization", "k"), ("x-coinflow-auth-wallet", "w")],
            vec![
                ("authorization", "k"),
                ("x-coinflow-auth-wallet", "w"),
                ("x-coinflow-auth-blockchain", "doge"),
            ],
        ] {
            assert!(
                authenticate_merchant(&req(&headers)).is_err(),
                "{headers:?}"
            );
        }
    }
}
