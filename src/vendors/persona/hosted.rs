//! The hosted verification flow: `GET /verify?inquiry-id=…` (and `/widget`), an HTML page usable
//! without JavaScript, and the form posts that finish the inquiry.

use crate::app::App;
use crate::http::{ApiRequest, ApiResponse};

pub fn page(_app: &App, req: &ApiRequest) -> ApiResponse {
    super::error(404, "Hosted flow not emulated yet", req)
}

pub fn submit(_app: &App, req: &ApiRequest) -> ApiResponse {
    super::error(404, "Hosted flow not emulated yet", req)
}
