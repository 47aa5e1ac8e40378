//! Who answers a path: the admin API, one of the vendors, or nobody. Decided from the path alone
//! (the vendors' real paths do not collide), before anything else looks at the request.

use crate::admin;
use crate::http::{ApiRequest, ApiResponse};
use crate::vendor::Vendor;
use crate::vendors;

/// Who answers a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    Admin,
    Vendor(Vendor),
    Unknown,
}

impl Area {
    pub fn of(path: &str) -> Area {
        if path == "/__admin" || path.starts_with("/__admin/") {
            Area::Admin
        } else {
            vendors::owning(path).map_or(Area::Unknown, |api| Area::Vendor(api.vendor()))
        }
    }

    /// An error in the envelope of whoever owns the path; plain JSON for the rest.
    pub fn error(self, status: u16, message: &str, req: &ApiRequest) -> ApiResponse {
        match self {
            Area::Vendor(vendor) => vendors::get(vendor).error(status, message, req),
            Area::Admin | Area::Unknown => admin::error(status, message),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Area::Admin => "admin",
            Area::Vendor(v) => v.as_str(),
            Area::Unknown => "none",
        }
    }
}
