//! `GET /__admin/state`: every entity of every vendor in the namespace, with its status, settled
//! against the namespace clock first (as a vendor read would). Each vendor renders its own part.

use serde_json::{Map, Value, json};

use crate::app::App;
use crate::http::{ApiRequest, ApiResponse};
use crate::vendors;

pub fn get(app: &App, req: &ApiRequest) -> ApiResponse {
    // A namespace not made yet shows a new one's world, and stays unmade.
    let body = app.store.view(&req.namespace, |world| {
        // As a vendor read would: whatever fell due in sandbox time shows as done.
        vendors::settle_all(app, world);
        let mut body = Map::new();
        body.insert("namespace".into(), json!(req.namespace));
        body.insert("now".into(), json!(world.clock.now_iso()));
        body.insert("scenario".into(), json!(world.scenario.selected));
        for api in vendors::REGISTRY {
            body.insert(api.vendor().as_str().into(), api.admin_state(world));
        }
        body
    });
    ApiResponse::json(200, Value::Object(body))
}
