//! Scenarios: the catalog, one scenario, and each namespace's selection.

use serde::Deserialize;
use serde_json::json;

use super::{body, error};
use crate::app::App;
use crate::http::{ApiRequest, ApiResponse};

/// Every scenario the server knows, and what is wrong in the `--scenarios` folder right now
/// (those files keep their last good version).
pub fn list(app: &App) -> ApiResponse {
    let catalog = &app.scenarios;
    ApiResponse::json(
        200,
        json!({"scenarios": catalog.list(), "problems": catalog.problems()}),
    )
}

/// One scenario: name, description, source, its initial state and how many rules it has.
pub fn get(app: &App, name: &str) -> ApiResponse {
    let catalog = &app.scenarios;
    if let Some(message) = crate::scenario::catalog::name_too_long(name) {
        return error(400, &message);
    }
    let scenario = match catalog.require(name) {
        Ok(s) => s,
        Err(message) => return error(404, &message),
    };
    let listed = catalog.list().into_iter().find(|l| l.name == scenario.name);
    ApiResponse::json(
        200,
        json!({
            "name": scenario.name,
            "description": scenario.description,
            "source": listed.map(|l| l.source),
            "initial_state": scenario.initial_state,
            "rules": scenario.rules.len(),
        }),
    )
}

/// Namespaces used so far, and the scenario each has selected.
pub fn namespaces(app: &App) -> ApiResponse {
    let names = app.store.names();
    let selected: serde_json::Map<String, serde_json::Value> = names
        .iter()
        .filter_map(|name| {
            let ns = app.store.existing(name)?;
            let scenario = ns.lock().scenario.selected.clone();
            Some((name.clone(), json!(scenario)))
        })
        .collect();
    ApiResponse::json(
        200,
        json!({
            "namespaces": names,
            "scenarios": selected,
            "count": names.len(),
            "max": app.config.max_namespaces,
        }),
    )
}

/// `DELETE /__admin/namespaces/{name}`: the namespace and its journal entries are gone, which
/// makes room under `--max-namespaces`. `default` can be deleted too: its next use starts it
/// afresh, like a reset.
pub fn delete_namespace(app: &App, name: &str) -> ApiResponse {
    if !app.store.remove(name) {
        return super::error(404, &format!("No namespace {name:?}"));
    }
    app.journal.clear_namespace(name);
    ApiResponse::json(200, json!({"deleted": name}))
}

/// The namespace's scenario; `available: false` when it is selected but no longer known (its
/// file was removed from the `--scenarios` folder, or a restart lacks the folder): its rules do
/// not apply then. A namespace not made yet answers a new one's selection, and stays unmade.
pub fn selected(app: &App, namespace: &str) -> ApiResponse {
    let selected = (app.store).view(namespace, |world| world.scenario.selected.clone());
    let mut answer = json!({"namespace": namespace, "scenario": selected});
    if let Some(name) = &selected {
        answer["available"] = json!(app.scenarios.get(name).is_some());
    }
    ApiResponse::json(200, answer)
}

/// `{"name": "NAME"}` selects a scenario for the namespace; `null` or `"none"` clears it.
pub fn select(app: &App, req: &ApiRequest) -> ApiResponse {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Select {
        /// Required, `null` included: `{}` is more likely a mistake than a wish to clear.
        #[serde(deserialize_with = "given")]
        name: Option<String>,
    }
    fn given<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Option::deserialize(d)
    }
    let select: Select = match body(req) {
        Ok(s) => s,
        Err(response) => return response,
    };
    let name = match select.name.as_deref().map(str::trim) {
        None | Some("none") => None,
        Some(name) => match app.scenarios.require(name) {
            Ok(scenario) => Some(scenario.name.clone()),
            Err(message) => return error(400, &message),
        },
    };
    app.store.select_scenario(&req.namespace, name);
    selected(app, &req.namespace)
}
