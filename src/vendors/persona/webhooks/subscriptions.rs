//! The webhooks created through `/api/v1/webhooks` in one namespace: their settings, secrets and
//! status.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::change::WebhookChange;
use crate::clock::{Millis, iso8601};
use crate::webhooks::Target;

/// The `api-version` a webhook gets when none is given (the spec's default).
const DEFAULT_API_VERSION: &str = "2023-01-05";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WebhookStatus {
    Enabled,
    Disabled,
    Archived,
}

impl WebhookStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookStatus::Enabled => "enabled",
            WebhookStatus::Disabled => "disabled",
            WebhookStatus::Archived => "archived",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Secret {
    value: String,
    /// Sandbox time after which it no longer signs; `None` for the current secret.
    expires_at: Option<Millis>,
}

impl Secret {
    fn valid_at(&self, now: Millis) -> bool {
        self.expires_at.is_none_or(|at| at > now)
    }
}

/// One webhook (`wbh_…`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Webhook {
    pub id: String,
    pub status: WebhookStatus,
    url: String,
    enabled_events: Vec<String>,
    /// Newest first.
    secrets: Vec<Secret>,
    api_version: String,
    key_inflection: String,
    attributes_blocklist: Vec<String>,
    file_access_token_expires_in: i64,
    payload_filter: Option<Value>,
    created_at: Millis,
}

impl Webhook {
    /// A new, enabled webhook. Defaults are the spec's (`2023-01-05`, kebab, 21600 s).
    pub fn new(id: String, secret: String, change: WebhookChange, now: Millis) -> Self {
        let mut hook = Webhook {
            id,
            status: WebhookStatus::Enabled,
            url: String::new(),
            enabled_events: Vec::new(),
            secrets: vec![Secret {
                value: secret,
                expires_at: None,
            }],
            api_version: DEFAULT_API_VERSION.to_string(),
            key_inflection: "kebab".to_string(),
            attributes_blocklist: Vec::new(),
            file_access_token_expires_in: 21_600,
            payload_filter: None,
            created_at: now,
        };
        hook.apply(change);
        hook
    }

    pub fn apply(&mut self, change: WebhookChange) {
        let WebhookChange {
            url,
            enabled_events,
            api_version,
            key_inflection,
            attributes_blocklist,
            file_access_token_expires_in,
            payload_filter,
        } = change;
        self.url = url.unwrap_or(std::mem::take(&mut self.url));
        self.enabled_events = enabled_events.unwrap_or(std::mem::take(&mut self.enabled_events));
        self.api_version = api_version.unwrap_or(std::mem::take(&mut self.api_version));
        self.key_inflection = key_inflection.unwrap_or(std::mem::take(&mut self.key_inflection));
        self.attributes_blocklist =
            attributes_blocklist.unwrap_or(std::mem::take(&mut self.attributes_blocklist));
        self.file_access_token_expires_in =
            file_access_token_expires_in.unwrap_or(self.file_access_token_expires_in);
        if let Some(filter) = payload_filter {
            self.payload_filter = Some(filter);
        }
    }

    /// `camel`, `kebab` or `snake`: the key casing of the bodies sent to it.
    pub fn key_inflection(&self) -> &str {
        &self.key_inflection
    }

    /// Whether an event called `name` goes to this webhook.
    pub fn enables(&self, name: &str) -> bool {
        self.enabled_events.iter().any(|e| e == "*" || e == name)
    }

    /// Makes `secret` the current one; the current one stays valid for `expires_in` seconds.
    pub fn rotate(&mut self, secret: String, now: Millis, expires_in: i64) {
        for old in self.secrets.iter_mut().filter(|s| s.expires_at.is_none()) {
            old.expires_at = Some(now.saturating_add(expires_in.saturating_mul(1000)));
        }
        self.secrets.retain(|s| s.valid_at(now));
        self.secrets.insert(
            0,
            Secret {
                value: secret,
                expires_at: None,
            },
        );
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Where the outbox sends, signed with every secret valid at `now`.
    pub fn target(&self, now: Millis) -> Target {
        Target {
            url: self.url.clone(),
            secrets: self
                .secrets
                .iter()
                .filter(|s| s.valid_at(now))
                .map(|s| s.value.clone())
                .collect(),
        }
    }

    /// The `webhook` resource object; `with_secret` adds `secret` and `secrets` (the spec's
    /// `webhook-with-secret`).
    pub fn render(&self, now: Millis, with_secret: bool) -> Value {
        let mut attributes = json!({
            "status": self.status.as_str(),
            "url": self.url,
            "api-version": self.api_version,
            "api-key-inflection": self.key_inflection,
            "api-attributes-blocklist": self.attributes_blocklist,
            "file-access-token-expires-in": self.file_access_token_expires_in,
            "enabled-events": self.enabled_events,
            "payload-filter": self.payload_filter,
            "created-at": iso8601(self.created_at),
        });
        if with_secret && let Some(attributes) = attributes.as_object_mut() {
            let valid: Vec<&Secret> = self.secrets.iter().filter(|s| s.valid_at(now)).collect();
            attributes.insert(
                "secret".into(),
                json!(valid.first().map(|s| s.value.as_str())),
            );
            attributes.insert(
                "secrets".into(),
                valid
                    .iter()
                    .map(|s| json!({"value": s.value, "expires-at": s.expires_at.map(iso8601)}))
                    .collect(),
            );
        }
        json!({"type": "webhook", "id": self.id, "attributes": attributes})
    }
}

/// The webhooks of one namespace, in creation order.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Subscriptions {
    webhooks: Vec<Webhook>,
}

impl Subscriptions {
    pub fn all(&self) -> &[Webhook] {
        &self.webhooks
    }

    pub fn get(&self, id: &str) -> Option<&Webhook> {
        self.webhooks.iter().find(|w| w.id == id)
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut Webhook> {
        self.webhooks.iter_mut().find(|w| w.id == id)
    }

    pub fn insert(&mut self, hook: Webhook) {
        self.webhooks.push(hook);
    }

    pub fn set_status(&mut self, id: &str, to: WebhookStatus) -> Option<&Webhook> {
        let hook = self.get_mut(id)?;
        hook.status = to;
        Some(hook)
    }

    /// The webhooks events go to, oldest first: every enabled one (each subscription is
    /// independent, as Persona's are).
    pub fn enabled(&self) -> impl Iterator<Item = &Webhook> {
        self.webhooks
            .iter()
            .filter(|w| w.status == WebhookStatus::Enabled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(events: &[&str]) -> WebhookChange {
        WebhookChange {
            url: Some("http://127.0.0.1:1/hook".into()),
            enabled_events: Some(events.iter().map(|e| e.to_string()).collect()),
            ..WebhookChange::default()
        }
    }

    #[test]
    fn rotation_keeps_the_old_secret_until_it_expires() {
        let mut hook = Webhook::new("wbh_1".into(), "old".into(), change(&["*"]), 0);
        hook.rotate("new".into(), 1_000, 60);
        assert_eq!(hook.target(1_000).secrets, ["new", "old"]);
        assert_eq!(hook.target(60_999).secrets, ["new", "old"]);
        assert_eq!(hook.target(61_000).secrets, ["new"]);
        hook.rotate("newer".into(), 2_000, 0);
        assert_eq!(hook.target(2_000).secrets, ["newer", "old"]);
    }

    #[test]
    fn every_enabled_webhook_is_listed_oldest_first() {
        let ids = |subs: &Subscriptions| -> Vec<String> {
            subs.enabled().map(|w| w.id.clone()).collect()
        };
        let mut subs = Subscriptions::default();
        subs.insert(Webhook::new(
            "wbh_a".into(),
            "s".into(),
            change(&["inquiry.completed"]),
            0,
        ));
        subs.insert(Webhook::new("wbh_b".into(), "s".into(), change(&["*"]), 0));
        assert_eq!(ids(&subs), ["wbh_a", "wbh_b"]);
        subs.set_status("wbh_a", WebhookStatus::Disabled);
        assert_eq!(ids(&subs), ["wbh_b"]);
        subs.set_status("wbh_a", WebhookStatus::Enabled);
        assert_eq!(ids(&subs), ["wbh_a", "wbh_b"]);
        subs.set_status("wbh_a", WebhookStatus::Archived);
        subs.set_status("wbh_b", WebhookStatus::Archived);
        assert!(ids(&subs).is_empty());
    }
}
