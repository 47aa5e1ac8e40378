//! `POST /api/withdraw/kyc-doc` (Register User Via Document): a `multipart/form-data` body
//! with `email`, `country`, `idType`, `merchantId` and the document's images (`idFront`, and
//! `idBack` when it has one), for users outside the US KYC.
//!
//! It is the document verification `POST /api/withdraw/kyc` asks for (its 451 for an
//! `{email, country}` body): the withdrawer that registration made, still waiting for its
//! document, takes the upload; a caller without a withdrawer gets a new one. Either way the
//! withdrawer is `pending` under review *(choice: Coinflow documents no review API)* until
//! `POST /__admin/withdrawers/{id}/verify` or `/reject` decides it (`KYC Success` or
//! `KYC Failure`), as a review is everywhere else; Get Withdrawer answers 451 saying so.
//! Same checks, in the same order, as the other registrations: auth (401), body (400), an
//! existing withdrawer (409), email taken (409).

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::auth;
use super::error;
use super::kyc::{create, email_conflict};
use super::model::{DocumentFile, IdDocument, Method, VerificationStatus};
use super::validate::Fields;
use super::verification;
use crate::http::multipart::{self, Part};
use crate::http::{ApiRequest, ApiResponse};
use crate::store::World;
use crate::vendors::Ctx;

/// The spec's `idType`s.
pub const ID_TYPES: [&str; 4] = ["ID_CARD", "PASSPORT", "DRIVERS", "RESIDENCE_PERMIT"];

/// What a valid body says.
struct Upload {
    email: String,
    country: String,
    id_type: String,
    front: DocumentFile,
    back: Option<DocumentFile>,
}

pub fn register(cx: &Ctx, world: &mut World) -> ApiResponse {
    let (app, req) = (cx.app, cx.req);
    let caller = match auth::authenticate(req, &world.coinflow, world.clock.now_ms()) {
        Ok(c) => c,
        Err(message) => return error(401, &message, req),
    };
    let upload = match parse(req) {
        Ok(u) => u,
        Err(message) => return error(400, &message, req),
    };
    let now = world.clock.now_ms();
    let index = match world.coinflow.find_or_claim(&caller, Some(&upload.email)) {
        Some(index) => {
            let Some(w) = world.coinflow.get(index) else {
                return error(500, "Withdrawer was not stored", req);
            };
            let awaiting = w.status == VerificationStatus::Pending
                && w.method == Method::Document
                && w.documents.is_none();
            if !awaiting {
                return error(
                    409,
                    &format!(
                        "A withdrawer already exists for {} and is not waiting for a document (it is {})",
                        caller.describe(),
                        w.status.as_str()
                    ),
                    req,
                );
            }
            if !w.email.eq_ignore_ascii_case(&upload.email) {
                return error(
                    409,
                    &format!(
                        "The withdrawer of {} registered with email {}, not {}",
                        caller.describe(),
                        w.email,
                        upload.email
                    ),
                    req,
                );
            }
            index
        }
        None => {
            if world.coinflow.email_taken(&caller, &upload.email) {
                return email_conflict(&upload.email, req);
            }
            let details = BTreeMap::from([("country".to_string(), upload.country.clone())]);
            let email = upload.email.clone();
            create(
                world,
                cx.steer.as_ref(),
                &caller,
                email,
                Method::Document,
                details,
            )
        }
    };
    if let Some(w) = world.coinflow.get_mut(index) {
        w.details.insert("country".into(), upload.country.clone());
        w.documents = Some(IdDocument {
            id_type: upload.id_type,
            country: upload.country,
            front: upload.front,
            back: upload.back,
            uploaded_ms: now,
        });
        w.updated_ms = now;
    }
    // A scenario's outcome for the registration (a rejection, say) decides here.
    verification::advance(app, world, index);
    match world.coinflow.get(index) {
        Some(w) => ApiResponse::json(200, w.summary_json()),
        None => error(500, "Withdrawer was not stored", req),
    }
}

/// The form, checked: every problem is a 400 naming the field.
fn parse(req: &ApiRequest) -> Result<Upload, String> {
    let content_type = req.header("content-type").unwrap_or_default();
    let Some(boundary) = multipart::boundary(content_type) else {
        return Err(format!(
            "Content-Type must be multipart/form-data with a boundary (the document's images are files), got {content_type:?}"
        ));
    };
    let parts = multipart::parse(&boundary, &req.body)?;
    let first = |name: &str| parts.iter().find(|p| p.name == name);
    // The text fields, read as a JSON object so they are checked as the JSON bodies' are.
    let mut text = Map::new();
    for name in ["email", "country", "idType", "merchantId"] {
        if let Some(part) = first(name) {
            let value = part
                .text()
                .ok_or_else(|| format!("{name} is not UTF-8 text"))?;
            text.insert(name.into(), Value::String(value.trim().to_string()));
        }
    }
    let text = Value::Object(text);
    let fields = Fields::new(&text, "")?;
    let email = fields.email("email")?;
    let country = fields.country("country")?;
    let id_type = fields.required("idType")?;
    if !ID_TYPES.contains(&id_type.as_str()) {
        return Err(format!(
            "idType must be one of the following values: {} (got {id_type:?})",
            ID_TYPES.join(", ")
        ));
    }
    fields.required("merchantId")?;
    // Multer takes a file part only: one with a filename (a browser sends `filename=""` for no
    // file chosen, which Multer skips too). A text field of the name is not the file.
    let upload = |name: &str| {
        (parts.iter())
            .find(|p| p.name == name && p.filename.as_deref().is_some_and(|f| !f.is_empty()))
    };
    let Some(front) = upload("idFront") else {
        let text_only = match first("idFront") {
            Some(_) => " as a file (a part with a filename): a text field is not one",
            None => "",
        };
        return Err(format!(
            "idFront should not be empty: upload the front of the identity document{text_only}"
        ));
    };
    Ok(Upload {
        email,
        country,
        id_type,
        front: file(front)?,
        back: upload("idBack").map(file).transpose()?,
    })
}

fn file(part: &Part) -> Result<DocumentFile, String> {
    if part.data.is_empty() {
        return Err(format!("{} is an empty file", part.name));
    }
    Ok(DocumentFile {
        filename: part.filename.clone(),
        content_type: part.content_type.clone(),
        bytes: part.data.len(),
        sha256: hex::encode(Sha256::digest(part.data)),
    })
}
