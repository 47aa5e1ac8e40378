//! Verifications: the checks an inquiry's template runs. When an inquiry starts, its flow's
//! verifications (government id, selfie, database) are created `initiated`; when it completes
//! they pass (one may fail if a scenario said so: `selfie_mismatch`), when it fails they fail.
//! `GET /api/v1/verifications/{id}` (and the typed paths) read one.
//!
//! What a verification extracted comes from the inquiry's fields; its checks are named as in
//! the spec's examples (`id_inquiry_comparison`, `selfie_id_comparison`, ...).

use serde_json::{Map, Value, json};

use super::model::{Check, Inquiry, Verification, VerificationKind, VerificationStatus};
use super::{Ctx, Replies};
use crate::clock::{Millis, iso8601};
use crate::http::ApiResponse;
use crate::store::World;

/// The checks each kind runs; the first is the one that fails when the verification does.
fn check_names(kind: VerificationKind) -> &'static [(&'static str, &'static str)] {
    match kind {
        VerificationKind::GovernmentId => &[
            ("id_inquiry_comparison", "mismatch"),
            ("id_expired_detection", "expired"),
            ("id_tamper_detection", "tampered"),
            ("id_barcode_detection", "barcode_not_detected"),
            ("id_portrait_detection", "no_portrait"),
        ],
        VerificationKind::Selfie => &[
            ("selfie_id_comparison", "selfie_id_mismatch"),
            ("selfie_liveness_detection", "not_live"),
            ("selfie_pose_detection", "pose_not_detected"),
            ("selfie_multiple_faces_detection", "multiple_faces"),
        ],
        VerificationKind::Database => &[
            ("database_inquiry_comparison", "mismatch"),
            ("database_identity_comparison", "no_match"),
            ("database_deceased_detection", "deceased"),
        ],
    }
}

/// The inquiry fields each kind extracts (as its own attributes).
fn extracted_names(kind: VerificationKind) -> &'static [&'static str] {
    match kind {
        VerificationKind::GovernmentId => &[
            "name-first",
            "name-middle",
            "name-last",
            "birthdate",
            "address-street-1",
            "address-street-2",
            "address-city",
            "address-subdivision",
            "address-postal-code",
            "identification-number",
        ],
        VerificationKind::Selfie => &[],
        VerificationKind::Database => &[
            "name-first",
            "name-middle",
            "name-last",
            "birthdate",
            "phone-number",
            "email-address",
            "address-street-1",
            "address-street-2",
            "address-city",
            "address-subdivision",
            "address-postal-code",
            "identification-number",
        ],
    }
}

/// The flow's verifications for inquiry `inquiry_id`, `initiated`, unless it has them already
/// (a resumed inquiry).
pub(super) fn start(world: &mut World, inquiry_id: &str, at: Millis) {
    let Some(inquiry) = world.persona.inquiry(inquiry_id) else {
        return;
    };
    if inquiry.verifications.iter().any(|v| v.from_flow) {
        return;
    }
    for kind in VerificationKind::FLOW {
        let verification = Verification {
            id: world.ids.persona("ver_").into(),
            status: VerificationStatus::Initiated,
            template_id: None,
            kind,
            inquiry_id: inquiry_id.to_string(),
            from_flow: true,
            checks: Vec::new(),
            created_at: at,
            submitted_at: None,
            completed_at: None,
            extracted: Map::new(),
        };
        world.persona.add_verification(inquiry_id, verification);
    }
}

/// Ends the flow's verifications of inquiry `inquiry_id`: passed when the inquiry completed
/// (but the scenario's failing one), failed when it failed. Each takes what it extracted from
/// the inquiry's fields as they are now.
pub(super) fn finish(world: &mut World, inquiry_id: &str, at: Millis, completed: bool) {
    let Some(inquiry) = world.persona.inquiry_mut(inquiry_id) else {
        return;
    };
    let failing = inquiry.rare().failing_verification;
    let fields = inquiry.fields.clone();
    for verification in inquiry.verifications.iter_mut().filter(|v| v.from_flow) {
        if !matches!(
            verification.status,
            VerificationStatus::Initiated | VerificationStatus::Submitted
        ) {
            continue;
        }
        let passed = completed && failing != Some(verification.kind);
        verification.status = if passed {
            VerificationStatus::Passed
        } else {
            VerificationStatus::Failed
        };
        verification.submitted_at = Some(at);
        verification.completed_at = Some(at);
        verification.checks = check_names(verification.kind)
            .iter()
            .enumerate()
            .map(|(n, (name, reason))| {
                let failed = !passed && n == 0;
                Check {
                    name: (*name).to_string(),
                    status: if failed { "failed" } else { "passed" }.to_string(),
                    reasons: if failed {
                        vec![(*reason).to_string()]
                    } else {
                        Vec::new()
                    },
                }
            })
            .collect();
        verification.extracted = extracted_names(verification.kind)
            .iter()
            .filter_map(|name| Some(((*name).to_string(), fields.get(name)?.clone())))
            .collect();
    }
}

fn time(ms: Option<Millis>) -> (Value, Value) {
    match ms {
        Some(ms) => (json!(iso8601(ms)), json!(ms.div_euclid(1000))),
        None => (Value::Null, Value::Null),
    }
}

/// The verification resource object, as the spec's `verification-<kind>` schema has it.
pub(super) fn render(v: &Verification, inquiry: &Inquiry) -> Value {
    let (created, created_ts) = time(Some(v.created_at));
    let (submitted, submitted_ts) = time(v.submitted_at);
    let (completed, completed_ts) = time(v.completed_at);
    let text = |name: &str| v.extracted.get(name).cloned().unwrap_or(Value::Null);
    let country = inquiry
        .fields
        .get("address-country-code")
        .cloned()
        .filter(|c| c.is_string() && inquiry.rare().redacted_at.is_none())
        .unwrap_or(if v.from_flow {
            json!("US")
        } else {
            Value::Null
        });
    let mut attributes = json!({
        "status": v.status.as_str(),
        "created-at": created,
        "created-at-ts": created_ts,
        "submitted-at": submitted,
        "submitted-at-ts": submitted_ts,
        "completed-at": completed,
        "completed-at-ts": completed_ts,
        "country-code": country,
        "checks": v.checks.iter().map(|c| json!({
            "name": c.name,
            "status": c.status,
            "reasons": c.reasons,
            "requirement": "required",
            "metadata": {},
        })).collect::<Vec<_>>(),
    });
    let names = extracted_names(v.kind);
    for name in names {
        attributes[*name] = text(name);
    }
    let finished = v.completed_at.is_some();
    match v.kind {
        VerificationKind::GovernmentId => {
            attributes["id-class"] = if finished { json!("dl") } else { Value::Null };
            attributes["capture-method"] = if finished {
                json!("upload")
            } else {
                Value::Null
            };
            attributes["entity-confidence-reasons"] = json!([]);
            attributes["document-number"] = Value::Null;
            attributes["issuing-subdivision"] = Value::Null;
            attributes["expiration-date"] = Value::Null;
        }
        VerificationKind::Selfie => {
            let score = match v.status {
                VerificationStatus::Passed => json!(98.5),
                VerificationStatus::Failed => json!(12.0),
                _ => Value::Null,
            };
            attributes["capture-method"] = if finished {
                json!("photo")
            } else {
                Value::Null
            };
            attributes["entity-confidence-reasons"] = json!([]);
            attributes["photo-urls"] = json!([]);
            attributes["selfie-similarity-score-left"] = score.clone();
            attributes["selfie-similarity-score-right"] = score;
        }
        VerificationKind::Database => {
            for (normalized, from) in [
                ("normalized-address-street-1", "address-street-1"),
                ("normalized-address-street-2", "address-street-2"),
                ("normalized-address-city", "address-city"),
                ("normalized-address-subdivision", "address-subdivision"),
                ("normalized-address-postal-code", "address-postal-code"),
            ] {
                attributes[normalized] = text(from);
            }
        }
    }
    let template = |prefix: &str, kind: &str| match &inquiry.template_id {
        Some(id) if id.starts_with(prefix) => json!({"data": {"type": kind, "id": id}}),
        _ => json!({"data": null}),
    };
    let verification_template = match &v.template_id {
        Some(id) => {
            json!({"data": {"type": format!("verification-template/{}", kind_word(v.kind)), "id": id}})
        }
        None => json!({"data": null}),
    };
    json!({
        "type": v.kind.type_name(),
        "id": v.id,
        "attributes": attributes,
        "relationships": {
            "inquiry": {"data": {"type": "inquiry", "id": inquiry.id}},
            "template": template("tmpl_", "template"),
            "inquiry-template": template("itmpl_", "inquiry-template"),
            "inquiry-template-version": template("itmplv_", "inquiry-template-version"),
            "transaction": {"data": null},
            "verification-template": verification_template,
            "verification-template-version": {"data": null},
        },
    })
}

fn kind_word(kind: VerificationKind) -> &'static str {
    kind.type_name()
        .strip_prefix("verification/")
        .unwrap_or_default()
}

/// `GET /api/v1/verifications/{id}`, and the typed `GET /api/v1/verification/<kinds>/{id}`
/// (`kind`: a verification of another kind is not found there).
pub(super) fn retrieve(
    ctx: &Ctx,
    world: &World,
    id: &str,
    kind: Option<VerificationKind>,
) -> ApiResponse {
    match world.persona.verification(id) {
        Some((v, inquiry)) if kind.is_none_or(|k| k == v.kind) => {
            ctx.ok(200, json!({"data": render(v, inquiry)}))
        }
        _ => ctx.not_found(),
    }
}
