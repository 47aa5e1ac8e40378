//! JSON:API rendering of Persona objects, kebab-case (the wire default; `inflection` recases).
//!
//! The inquiry follows the spec's `components.schemas.inquiry`: every attribute present (null
//! where the sandbox has nothing), every relationship present.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Value, json};

use super::model::{Event, Fields, Inquiry, InquiryStatus, ShareToken, Verification};
use crate::clock::{Millis, iso8601};

fn time(ms: Option<Millis>) -> Value {
    ms.map_or(Value::Null, |ms| Value::String(iso8601(ms)))
}

/// The inquiry resource object (what goes under `data`), as a `Value` for the answers that
/// rewrite or embed it (lists, events, `include`); single-inquiry answers serialize
/// [`InquiryDocument`] straight to bytes.
pub fn inquiry(inq: &Inquiry) -> Value {
    serde_json::to_value(InquiryResource(inq)).unwrap_or(Value::Null)
}

/// `{"data": <inquiry>, "included": []}`: a single-inquiry response, and an event's payload.
/// `meta` is added when given (`resume`'s session token, a one-time link).
pub fn inquiry_document(inq: &Inquiry) -> InquiryDocument<'_> {
    InquiryDocument {
        data: InquiryResource(inq),
        included: [],
        meta: None,
    }
}

/// `{"data": [<inquiry>...], "links": …}`: a page of the inquiry list.
pub fn inquiry_list<'a>(items: &'a [&'a Inquiry], links: &'a Value) -> impl Serialize + 'a {
    #[derive(Serialize)]
    struct Page<'a> {
        data: Vec<InquiryResource<'a>>,
        links: &'a Value,
    }
    Page {
        data: items.iter().map(|i| InquiryResource(i)).collect(),
        links,
    }
}

/// See [`inquiry_document`]. Typed, so an answer is written in one pass with no `Value` tree.
#[derive(Serialize)]
pub struct InquiryDocument<'a> {
    data: InquiryResource<'a>,
    included: [(); 0],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Value>,
}

/// The spec's `components.schemas.inquiry`, rendered from the model by reference.
struct InquiryResource<'a>(&'a Inquiry);

impl Serialize for InquiryResource<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let inq = self.0;
        let mut map = s.serialize_map(Some(4))?;
        map.serialize_entry("type", "inquiry")?;
        map.serialize_entry("id", &inq.id)?;
        map.serialize_entry("attributes", &InquiryAttributes(inq))?;
        map.serialize_entry("relationships", &InquiryRelationships(inq))?;
        map.end()
    }
}

/// Every attribute present, `null` where the sandbox has nothing.
struct InquiryAttributes<'a>(&'a Inquiry);

/// The named fields Persona also lifts to top-level attributes.
const FIELD_ATTRIBUTES: [&str; 15] = [
    "name-first",
    "name-middle",
    "name-last",
    "birthdate",
    "address-street-1",
    "address-street-2",
    "address-city",
    "address-subdivision",
    "address-subdivision-abbr",
    "address-postal-code",
    "address-postal-code-abbr",
    "social-security-number",
    "identification-number",
    "email-address",
    "phone-number",
];

impl Serialize for InquiryAttributes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let inq = self.0;
        let (previous_step, next_step) = match inq.status.as_str() {
            "created" => (None, Some("start")),
            "pending" => (Some("start"), Some("verification")),
            "failed" => (Some("verification"), Some("fail")),
            "expired" => (None, None),
            _ => (Some("verification"), Some("success")),
        };
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("status", inq.status.as_str())?;
        map.serialize_entry("reference-id", &inq.reference_id)?;
        map.serialize_entry("note", &inq.note)?;
        map.serialize_entry("behaviors", &Behaviors)?;
        map.serialize_entry("tags", &inq.tags)?;
        map.serialize_entry("creator", "API")?;
        map.serialize_entry("reviewer-comment", &inq.rare().reviewer_comment)?;
        map.serialize_entry("created-at", &Time(inq.created_at))?;
        map.serialize_entry("updated-at", &Time(inq.updated_at))?;
        map.serialize_entry("started-at", &inq.started_at.map(Time))?;
        map.serialize_entry("completed-at", &inq.rare().completed_at.map(Time))?;
        map.serialize_entry("failed-at", &inq.rare().failed_at.map(Time))?;
        map.serialize_entry(
            "marked-for-review-at",
            &inq.rare().marked_for_review_at.map(Time),
        )?;
        map.serialize_entry("decisioned-at", &inq.rare().decisioned_at.map(Time))?;
        map.serialize_entry("expired-at", &inq.rare().expired_at.map(Time))?;
        map.serialize_entry("redacted-at", &inq.rare().redacted_at.map(Time))?;
        map.serialize_entry("previous-step-name", &previous_step)?;
        map.serialize_entry("next-step-name", &next_step)?;
        for name in FIELD_ATTRIBUTES {
            map.serialize_entry(name, inq.fields.get(name).unwrap_or(&Value::Null))?;
        }
        map.serialize_entry("fields", &TypedFields(&inq.fields))?;
        map.end()
    }
}

/// The behavioural signals Persona's flow collects; the sandbox's flow shows none.
struct Behaviors;

impl Serialize for Behaviors {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        const ZEROS: [&str; 12] = [
            "request-spoof-attempts",
            "user-agent-spoof-attempts",
            "distraction-events",
            "hesitation-baseline",
            "hesitation-count",
            "hesitation-time",
            "shortcut-copies",
            "shortcut-pastes",
            "autofill-cancels",
            "autofill-starts",
            "completion-time",
            "hesitation-percentage",
        ];
        let mut map = s.serialize_map(Some(ZEROS.len() + 2))?;
        for name in ZEROS {
            map.serialize_entry(name, &0)?;
        }
        map.serialize_entry("devtools-open", &false)?;
        map.serialize_entry("behavior-threat-level", "low")?;
        map.end()
    }
}

/// `fields`: each stored value as `{"type": …, "value": …}`. Persona's own field types are
/// `string`, `date`, `number`, `boolean`, `array`, `hash`; a `YYYY-MM-DD` string is a date.
struct TypedFields<'a>(&'a Fields);

impl Serialize for TypedFields<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(name, value)| {
            // A birthdate without a value (cleared) is still a date, as Persona types it.
            let kind = (name == "birthdate" && value.is_null()).then_some("date");
            (name, TypedField(value, kind))
        }))
    }
}

/// A value as `{"type", "value"}`, its type read from the value unless given.
struct TypedField<'a>(&'a Value, Option<&'static str>);

struct TypedEntries<'a>(&'a serde_json::Map<String, Value>);

impl Serialize for TypedEntries<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(
            self.0
                .iter()
                .map(|(name, value)| (name, TypedField(value, None))),
        )
    }
}

struct TypedItems<'a>(&'a [Value]);

impl Serialize for TypedItems<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|item| TypedField(item, None)))
    }
}

impl Serialize for TypedField<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let kind = self.1.unwrap_or(match self.0 {
            Value::String(v) if super::fields::is_date(v) => "date",
            Value::Null | Value::String(_) => "string",
            Value::Number(_) => "number",
            Value::Bool(_) => "boolean",
            Value::Array(_) => "array",
            Value::Object(_) => "hash",
        });
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("type", kind)?;
        // A hash's entries and an array's items are typed too, as Persona renders them.
        match self.0 {
            Value::Object(entries) => map.serialize_entry("value", &TypedEntries(entries))?,
            Value::Array(items) => map.serialize_entry("value", &TypedItems(items))?,
            plain => map.serialize_entry("value", plain)?,
        }
        map.end()
    }
}

/// Every relationship present: `{"data": null}`, one link or a list.
struct InquiryRelationships<'a>(&'a Inquiry);

impl Serialize for InquiryRelationships<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let inq = self.0;
        let template = |prefix: &str, kind: &'static str| {
            let link = (inq.template_id.as_deref())
                .filter(|id| id.starts_with(prefix))
                .map(|id| Link { kind, id });
            ToOne { data: link }
        };
        let decided = matches!(
            inq.status,
            InquiryStatus::Approved | InquiryStatus::Declined
        );
        let none = ToOne { data: None };
        let empty = ToMany(&[]);
        let mut map = s.serialize_map(Some(12))?;
        let account = (inq.account_id.as_deref()).map(|id| Link {
            kind: "account",
            id,
        });
        map.serialize_entry("account", &ToOne { data: account })?;
        map.serialize_entry("template", &template("tmpl_", "template"))?;
        map.serialize_entry("inquiry-template", &template("itmpl_", "inquiry-template"))?;
        map.serialize_entry(
            "inquiry-template-version",
            &template("itmplv_", "inquiry-template-version"),
        )?;
        map.serialize_entry("transaction", &none)?;
        let reviewer = decided.then_some(Link {
            kind: "user",
            id: "user_sandbox",
        });
        map.serialize_entry("reviewer", &ToOne { data: reviewer })?;
        map.serialize_entry("reports", &empty)?;
        map.serialize_entry("verifications", &ToMany(&inq.verifications))?;
        map.serialize_entry("sessions", &empty)?;
        map.serialize_entry("documents", &empty)?;
        map.serialize_entry("selfies", &empty)?;
        map.end()
    }
}

/// A resource identifier: `{"type": …, "id": …}`.
#[derive(Serialize)]
struct Link<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: &'a str,
}

/// A to-one relationship: `{"data": <link or null>}`.
#[derive(Serialize)]
struct ToOne<'a> {
    data: Option<Link<'a>>,
}

/// A to-many relationship of verifications: `{"data": [links]}`.
struct ToMany<'a>(&'a [Verification]);

impl Serialize for ToMany<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(1))?;
        map.serialize_entry("data", &VerificationLinks(self.0))?;
        map.end()
    }
}

struct VerificationLinks<'a>(&'a [Verification]);

impl Serialize for VerificationLinks<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|v| Link {
            kind: v.kind.type_name(),
            id: &v.id,
        }))
    }
}

/// A sandbox time as the API writes it (`2024-02-15T23:48:17.732Z`).
struct Time(Millis);

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 24];
        match crate::clock::iso8601_into(self.0, &mut buf) {
            Some(text) => s.serialize_str(text),
            None => s.serialize_str(&iso8601(self.0)),
        }
    }
}

/// The event resource object as the Events API answers it: the spec's `event` schema has the
/// payload's `data` only (the webhook body adds `included`).
pub fn event(evt: &Event) -> Value {
    event_object(evt, json!({"data": event_data(evt)}))
}

/// What the event is about: the inquiry or the account, as it was.
fn event_data(evt: &Event) -> Value {
    match (&evt.inquiry, &evt.account) {
        (Some(inq), _) => inquiry(inq),
        (None, Some(account)) => super::accounts::render(account),
        (None, None) => Value::Null,
    }
}

fn event_object(evt: &Event, payload: Value) -> Value {
    json!({
        "type": "event",
        "id": evt.id,
        "attributes": {
            "name": evt.name,
            "payload": payload,
            "created-at": iso8601(evt.created_at),
        },
    })
}

/// `{"data": <event>}` for the Events API.
pub fn event_document(evt: &Event) -> Value {
    json!({"data": event(evt)})
}

/// The webhook body: `{"data": <event>}` with the payload's `data` and `included` (the
/// inquiry's verifications as they were).
pub fn webhook_envelope(evt: &Event) -> Value {
    let included = match &evt.inquiry {
        Some(inquiry) => super::include::snapshot_verifications(inquiry),
        None => Vec::new(),
    };
    webhook_envelope_with(evt, included)
}

/// [`webhook_envelope`] with the payload's `included` given.
pub(super) fn webhook_envelope_with(evt: &Event, included: Vec<Value>) -> Value {
    let payload = json!({"data": event_data(evt), "included": included});
    json!({"data": event_object(evt, payload)})
}

/// The `connect/share-token` resource object.
pub fn share_token(token: &ShareToken) -> Value {
    json!({
        "type": "connect/share-token",
        "id": token.id,
        "attributes": {
            "status": token.status.as_str(),
            "direction": "outbound",
            "created-at": iso8601(token.created_at),
            "updated-at": iso8601(token.updated_at),
            "pending-at": time(token.pending_at),
            "redeemed-at": time(token.redeemed_at),
            "expires-at": iso8601(token.expires_at),
        },
        "relationships": {
            "connection": {"data": {"type": "connect/connection", "id": token.connection_id}},
            "creator": {"data": {"type": "api-key", "id": token.creator_id}},
            "source": {"data": {"type": "inquiry", "id": token.source_inquiry_id}},
        },
    })
}
