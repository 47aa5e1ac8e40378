//! Triggers that need no vendor auth: move an inquiry to completed, failed, approved or declined
//! (through every status in between, each with its event and webhook, as the hosted flow does),
//! and verify a Coinflow withdrawer.

use std::collections::VecDeque;

use serde_json::json;

use super::error;
use crate::app::App;
use crate::http::{ApiRequest, ApiResponse};
use crate::vendors::coinflow;
use crate::vendors::persona::{self, InquiryStatus};

/// `POST /__admin/inquiries/{id}/{complete|fail|approve|decline}`.
pub fn inquiry(app: &App, req: &ApiRequest, id: &str, action: &str) -> ApiResponse {
    let to = match action {
        "complete" => InquiryStatus::Completed,
        "fail" => InquiryStatus::Failed,
        "approve" => InquiryStatus::Approved,
        "decline" => InquiryStatus::Declined,
        _ => {
            return error(
                404,
                &format!(
                    "Unknown inquiry action {action:?}; expected complete, fail, approve or decline"
                ),
            );
        }
    };
    let no_inquiry = || {
        error(
            404,
            &format!("No inquiry {id} in namespace {}", req.namespace),
        )
    };
    // A namespace not made yet has no inquiry, and a refusal makes none.
    let Some(ns) = app.store.existing(&req.namespace) else {
        return no_inquiry();
    };
    let mut world = ns.lock();
    persona::settle(app, &mut world);
    let Some(from) = world.persona.inquiry(id).map(|i| i.status) else {
        return no_inquiry();
    };
    if from == to {
        return ApiResponse::json(200, json!({"id": id, "status": to.as_str(), "path": []}));
    }
    let Some(path) = path_between(from, to) else {
        return error(
            409,
            &format!("Inquiry {id} is {from} and can no longer become {to}"),
        );
    };
    if let Err(e) = persona::transition_through(app, &mut world, id, &path) {
        return error(409, &e.to_string());
    }
    let status = world.persona.inquiry(id).map(|i| i.status.as_str());
    let path: Vec<&str> = path.iter().map(|s| s.as_str()).collect();
    ApiResponse::json(200, json!({"id": id, "status": status, "path": path}))
}

/// The shortest legal path from `from` to `to` (excluding `from`), never passing through
/// `expired` or `needs_review` on the way: the way a person would get there in the hosted flow.
fn path_between(from: InquiryStatus, to: InquiryStatus) -> Option<Vec<InquiryStatus>> {
    let detour =
        |s: InquiryStatus| matches!(s, InquiryStatus::Expired | InquiryStatus::NeedsReview);
    let mut previous: Vec<(InquiryStatus, InquiryStatus)> = Vec::new();
    let mut queue = VecDeque::from([from]);
    while let Some(at) = queue.pop_front() {
        if at == to {
            let mut path = vec![to];
            let mut cursor = to;
            while let Some(&(_, before)) = previous.iter().find(|(s, _)| *s == cursor) {
                if before == from {
                    break;
                }
                path.push(before);
                cursor = before;
            }
            path.reverse();
            return Some(path);
        }
        for next in InquiryStatus::ALL {
            let seen = next == from || previous.iter().any(|(s, _)| *s == next);
            if !seen && at.can_move_to(next) && (next == to || !detour(next)) {
                previous.push((next, at));
                queue.push_back(next);
            }
        }
    }
    None
}

/// `POST /__admin/withdrawers/{id}/verify` (`approve`) or `/reject`: a reviewer's decision on
/// a pending Coinflow withdrawer, `approved` (`KYC Success`) or `rejected` (`KYC Failure`); an
/// approved one missing required fields stays `pending` until they are submitted, and the
/// answer names them.
/// Whatever fell due is settled first, so a verification that already finished on its own is
/// reported as such (409) rather than decided twice.
pub fn decide_withdrawer(app: &App, req: &ApiRequest, id: &str, approve: bool) -> ApiResponse {
    let no_withdrawer = || {
        error(
            404,
            &format!("No withdrawer {id} in namespace {}", req.namespace),
        )
    };
    // A namespace not made yet has no withdrawer, and a refusal makes none.
    let Some(ns) = app.store.existing(&req.namespace) else {
        return no_withdrawer();
    };
    let mut world = ns.lock();
    crate::vendors::settle_all(app, &mut world);
    match coinflow::decide_withdrawer(&mut world, id, approve) {
        Ok(coinflow::Decided::Final(status)) => {
            ApiResponse::json(200, json!({"id": id, "status": status}))
        }
        // Still pending: say so, and what it waits for, rather than claim an approval.
        Ok(coinflow::Decided::AwaitingFields(fields)) => ApiResponse::json(
            200,
            json!({
                "id": id,
                "status": "pending",
                "missing_fields": fields,
                "message": format!(
                    "Approved by the reviewer; the withdrawer stays pending until {} {} submitted on its verificationLink, then it is approved (KYC Success)",
                    fields.join(", "),
                    if fields.len() == 1 { "is" } else { "are" }
                ),
            }),
        ),
        Err(coinflow::VerifyError::NotFound) => no_withdrawer(),
        Err(coinflow::VerifyError::NotPending(status)) => error(
            409,
            &format!("Withdrawer {id} is already {status}; only a pending one can be decided"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use InquiryStatus::*;

    #[test]
    fn paths_go_the_way_the_hosted_flow_does() {
        assert_eq!(
            path_between(Created, Approved),
            Some(vec![Pending, Completed, Approved])
        );
        assert_eq!(path_between(Pending, Failed), Some(vec![Failed]));
        assert_eq!(path_between(NeedsReview, Declined), Some(vec![Declined]));
        assert_eq!(
            path_between(Expired, Completed),
            Some(vec![Pending, Completed])
        );
        assert_eq!(path_between(Approved, Declined), None);
        assert_eq!(path_between(Failed, Completed), None);
    }
}
