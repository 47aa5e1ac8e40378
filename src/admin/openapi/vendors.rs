//! The vendors' routes in the OpenAPI document.

use serde_json::json;

use super::{
    Op, Owner, bitmama_success, jsonapi_body, jsonapi_list, jsonapi_one, object, op, withdrawer,
};

/// Keep in step with the vendors' route tables (tests/it/admin.rs checks).
pub(super) fn operations() -> Vec<Op> {
    use Owner::*;
    let str_ = json!({"type": "string"});
    let inquiry_attrs = json!({
        "inquiry-template-id": str_, "template-id": str_, "inquiry-template-version-id": str_,
        "reference-id": str_, "account-id": str_, "redirect-uri": str_, "note": str_,
        "fields": {"type": "object"}, "tags": {"type": "array", "items": str_},
    });
    let card_user = object(
        &[
            "firstName",
            "lastName",
            "email",
            "phoneNumber",
            "accountPurpose",
            "ipAddress",
            "isTermsOfServiceAccepted",
            "program",
        ],
        json!({
            "firstName": str_, "lastName": str_, "email": {"type": "string", "format": "email"},
            "phoneNumber": {"type": "string", "example": "+14155555555"}, "accountPurpose": str_,
            "ipAddress": {"type": "string", "format": "ipv4"}, "isTermsOfServiceAccepted": {"const": true},
            "program": {"enum": ["custodial", "non_custodial"]}, "walletAddress": str_, "redirectUrl": str_,
        }),
    );
    let card_amount = object(
        &["serviceCardId", "amount"],
        json!({"serviceCardId": str_, "amount": {"type": "number"}}),
    );
    let simulate = object(
        &["meta"],
        json!({"meta": object(&["simulate-actions"], json!({"simulate-actions": {"type": "array", "items": object(&["type"], json!({"type": str_}))}}))}),
    );
    let any_object = || json!({"type": "object"});
    vec![
        // Persona
        op("POST", "/api/v1/inquiries", Persona, "Create an inquiry").body(jsonapi_body(inquiry_attrs)).ok(jsonapi_one()),
        op("GET", "/api/v1/inquiries", Persona, "List inquiries").ok(jsonapi_list()),
        op("GET", "/api/v1/inquiries/{inquiry-id}", Persona, "Retrieve an inquiry").ok(jsonapi_one()),
        op("POST", "/api/v1/inquiries/{inquiry-id}/approve", Persona, "Approve an inquiry").ok(jsonapi_one()),
        op("POST", "/api/v1/inquiries/{inquiry-id}/decline", Persona, "Decline an inquiry").ok(jsonapi_one()),
        op("POST", "/api/v1/inquiries/{inquiry-id}/expire", Persona, "Expire an inquiry").ok(jsonapi_one()),
        op("POST", "/api/v1/inquiries/{inquiry-id}/resume", Persona, "Resume an inquiry").ok(jsonapi_one()),
        op("POST", "/api/v1/inquiries/{inquiry-id}/perform-simulate-actions", Persona, "Simulate actions on a sandbox inquiry").body(simulate).ok(jsonapi_one()),
        op("GET", "/api/v1/events", Persona, "List events").ok(jsonapi_list()),
        op("GET", "/api/v1/events/{event-id}", Persona, "Retrieve an event").ok(jsonapi_one()),
        op("POST", "/api/v1/connect/share-tokens", Persona, "Create a share token").body(jsonapi_body(json!({"connection-id": str_, "source-id": str_}))).ok(jsonapi_one()),
        op("GET", "/api/v1/connect/share-tokens", Persona, "List share tokens").ok(jsonapi_list()),
        op("GET", "/api/v1/connect/share-tokens/{share-token-id}", Persona, "Retrieve a share token").ok(jsonapi_one()),
        op("POST", "/api/v1/connect/share-tokens/{share-token-id}/expire", Persona, "Expire a share token").ok(jsonapi_one()),
        op("POST", "/api/v1/connect/share-tokens/{share-token-id}/redeem", Persona, "Redeem a share token").ok(jsonapi_one()),
        op("GET", "/api/v1/webhooks", Persona, "List webhooks").ok(jsonapi_list()),
        op("POST", "/api/v1/webhooks", Persona, "Create a webhook").body(jsonapi_body(json!({"url": str_, "enabled-events": {"type": "array", "items": str_}}))).ok(jsonapi_one()),
        op("GET", "/api/v1/webhooks/{webhook-id}", Persona, "Retrieve a webhook").ok(jsonapi_one()),
        op("PATCH", "/api/v1/webhooks/{webhook-id}", Persona, "Update a webhook").body(jsonapi_body(json!({"url": str_}))).ok(jsonapi_one()),
        op("POST", "/api/v1/webhooks/{webhook-id}/enable", Persona, "Enable a webhook").ok(jsonapi_one()),
        op("POST", "/api/v1/webhooks/{webhook-id}/disable", Persona, "Disable a webhook").ok(jsonapi_one()),
        op("POST", "/api/v1/webhooks/{webhook-id}/archive", Persona, "Archive a webhook").ok(jsonapi_one()),
        op("POST", "/api/v1/webhooks/{webhook-id}/rotate-secret", Persona, "Rotate a webhook's secret").ok(jsonapi_one()),
        op("GET", "/verify", Persona, "Hosted verification page").html(),
        op("POST", "/verify/{inquiry-id}", Persona, "Submit the hosted verification page").html(),
        op("GET", "/widget", Persona, "Hosted verification page (embedded flow)").html(),
        op("POST", "/widget/{inquiry-id}", Persona, "Submit the embedded verification page").html(),
        // Coinflow
        op("POST", "/api/withdraw/kyc/share-token", Coinflow, "Register a withdrawer from a Persona share token").body(object(&["vendor", "shareToken", "email"], json!({"vendor": {"const": "persona"}, "shareToken": str_, "email": str_, "country": str_}))).ok(withdrawer()),
        op("POST", "/api/withdraw/kyc", Coinflow, "Register a withdrawer (US info or document verification)").body(any_object()).ok(withdrawer()),
        op("POST", "/api/withdraw/kyc/attested", Coinflow, "Register an attested withdrawer").body(any_object()).ok(withdrawer()),
        op("GET", "/api/withdraw", Coinflow, "Get Withdrawer").ok(withdrawer()),
        op("GET", "/api/auth/session-key", Coinflow, "Get a session key").ok(object(&["key"], json!({"key": str_}))),
        op("GET", "/merchant/view/{merchantId}", Coinflow, "Merchant settings the SDK reads"),
        op("POST", "/api/telemetry/frontend-error", Coinflow, "SDK error telemetry").body(any_object()),
        op("POST", "/api/tokenize/iframe/config", Coinflow, "Card tokenization iframe configuration").body(any_object()),
        op("GET", "/coinflow/verify/{token}", Coinflow, "Withdrawer verification page").html(),
        op("POST", "/coinflow/verify/{token}", Coinflow, "Submit the withdrawer verification page").html(),
        // Bitmama
        op("POST", "/api/v2/partner/card/users", Bitmama, "Create a card user").body(card_user).ok(bitmama_success()),
        op("GET", "/api/v1/partner/card/users", Bitmama, "List card users").ok(bitmama_success()),
        op("GET", "/api/v2/partner/card/users", Bitmama, "List card users").ok(bitmama_success()),
        op("DELETE", "/api/v1/partner/card/users/{serviceId}", Bitmama, "Delete a card user").ok(bitmama_success()),
        op("POST", "/api/v2/partner/card/users/{serviceId}/retry-kyc", Bitmama, "Retry a denied user's KYC").ok(bitmama_success()),
        op("POST", "/api/v1/partner/card", Bitmama, "Create a card").body(object(&["serviceId"], json!({"serviceId": str_, "amount": {"type": "number"}}))).ok(bitmama_success()),
        op("PATCH", "/api/v1/partner/card", Bitmama, "Freeze or unfreeze a card").body(object(&["serviceCardId", "status"], json!({"serviceCardId": str_, "status": {"enum": ["freeze", "unfreeze"]}}))).ok(bitmama_success()),
        op("POST", "/api/v1/partner/card/fund", Bitmama, "Fund a card").body(card_amount.clone()).ok(bitmama_success()),
        op("POST", "/api/v1/partner/card/withdraw", Bitmama, "Withdraw from a card").body(card_amount).ok(bitmama_success()),
        op("DELETE", "/api/v1/partner/card/terminate/{serviceCardId}", Bitmama, "Terminate a card").ok(bitmama_success()),
        op("GET", "/api/v1/partner/card/transactions", Bitmama, "Card transactions").ok(bitmama_success()),
        op("GET", "/api/v1/partner/wallet", Bitmama, "Partner wallet").ok(bitmama_success()),
        op("POST", "/api/v1/partner/profile/webhook", Bitmama, "Set the webhook URL").body(object(&["url"], json!({"url": str_}))).ok(bitmama_success()),
        op("POST", "/api/v1/partner/profile/redirect-url", Bitmama, "Set the redirect URL").body(object(&["url"], json!({"url": str_}))).ok(bitmama_success()),
        op("GET", "/bitmama/kyc/return", Bitmama, "Where the hosted KYC page returns").html(),
    ]
}
