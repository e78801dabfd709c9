//! `/api/v1/customers`: search, read, create, update, tier override, merge, timeline.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::crm::{self, RawCustomer};
use crate::domain::{AgentId, CustomerId, PhoneNumber, Timestamp};
use crate::interaction_log::Subject;
use crate::store::Page;
use crate::store::customers::{CustomerQuery, CustomerRecord};
use crate::store::interactions::InteractionFilter;

use super::body::{ApiJson, ApiQuery, PageQuery, double_option, path_id};
use super::error::ApiError;
use super::route::{Access, Route};
use super::session::Caller;
use super::state::ApiState;
use super::view::{
    CaseView, CustomerView, EventView, InteractionView, PageView, case_view, customer_view,
    event_view, interaction_view,
};

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::get("/api/v1/customers", list)
            .summary("List customers; filter by phone, email, name, account, account_manager, tier")
            .answers::<PageView<CustomerView>>(),
        Route::post("/api/v1/customers", create)
            .summary("Create a customer")
            .body::<CustomerBody>()
            .answers::<CustomerView>()
            .status(201),
        Route::get("/api/v1/customers/{id}", get_one)
            .summary("One customer")
            .answers::<CustomerView>(),
        Route::patch("/api/v1/customers/{id}", update)
            .summary("Change some fields of a customer")
            .body::<CustomerPatch>()
            .answers::<CustomerView>(),
        Route::put("/api/v1/customers/{id}/tier", set_tier)
            .summary("Override the tier by hand (or clear the override with tier null)")
            .access(Access::Supervisor)
            .body::<TierBody>()
            .answers::<CustomerView>(),
        Route::post("/api/v1/customers/{id}/merge", merge)
            .summary("Merge this customer into another; contacts and cases follow")
            .access(Access::Supervisor)
            .body::<MergeBody>()
            .answers::<CustomerView>(),
        Route::get("/api/v1/customers/{id}/timeline", timeline)
            .summary(
                "The customer's contacts on every channel, cases and record changes, newest first",
            )
            .answers::<Timeline>(),
    ]
}

/// Search parameters.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ListQuery {
    phone: Option<String>,
    email: Option<String>,
    name: Option<String>,
    account: Option<String>,
    /// The account manager's login.
    account_manager: Option<String>,
    tier: Option<String>,
    offset: Option<i64>,
    limit: Option<i64>,
}

/// An amount in yuan, as a string (`"1234567.89"`) or a number.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub(super) enum Amount {
    /// `"1234567.89"`.
    Text(String),
    /// `1234567.89`.
    Number(serde_json::Number),
}

impl Amount {
    fn text(self) -> String {
        match self {
            Amount::Text(t) => t,
            Amount::Number(n) => n.to_string(),
        }
    }
}

/// A customer to create.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CustomerBody {
    name: String,
    external_id: Option<String>,
    #[serde(default)]
    phones: Vec<String>,
    #[serde(default)]
    emails: Vec<String>,
    #[serde(default)]
    accounts: Vec<String>,
    /// The account manager's login.
    account_manager: Option<String>,
    risk_profile: Option<String>,
    preferred_channel: Option<String>,
    assets: Option<Amount>,
    turnover: Option<Amount>,
    commission: Option<Amount>,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
}

/// Fields to change; absent fields keep their value, `null` clears an optional one.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CustomerPatch {
    name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    external_id: Option<Option<String>>,
    phones: Option<Vec<String>>,
    emails: Option<Vec<String>>,
    accounts: Option<Vec<String>>,
    #[serde(default, deserialize_with = "double_option")]
    account_manager: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    risk_profile: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    preferred_channel: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    assets: Option<Option<Amount>>,
    #[serde(default, deserialize_with = "double_option")]
    turnover: Option<Option<Amount>>,
    #[serde(default, deserialize_with = "double_option")]
    commission: Option<Option<Amount>>,
    attributes: Option<BTreeMap<String, String>>,
}

/// A manual tier.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct TierBody {
    /// The tier to set, or null to go back to the rules.
    tier: Option<String>,
    /// Why (required when setting).
    #[serde(default)]
    reason: String,
}

/// The surviving record.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct MergeBody {
    /// The id of the customer that survives.
    into: String,
}

/// A customer's history.
#[derive(Debug, Serialize, JsonSchema)]
pub(super) struct Timeline {
    customer: CustomerView,
    /// Contacts on every channel, newest first.
    interactions: Vec<InteractionView>,
    /// Cases, newest first.
    cases: Vec<CaseView>,
    /// Changes to the record (created, updated, tier changes, merges, cases opened), newest first.
    events: Vec<EventView>,
}

pub(super) async fn view_of(
    state: &ApiState,
    c: &CustomerRecord,
) -> Result<CustomerView, ApiError> {
    let manager = match c.account_manager {
        Some(id) => state.db.agent(id).await?.map(|a| a.login.to_string()),
        None => None,
    };
    Ok(customer_view(c, manager))
}

async fn list(
    State(state): State<ApiState>,
    _caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<PageView<CustomerView>>, ApiError> {
    let page = PageQuery {
        offset: q.offset,
        limit: q.limit,
    }
    .page()?;
    let phone = match q.phone.as_deref() {
        Some(p) => Some(
            PhoneNumber::parse(p, &state.config.site.dial_plan)
                .map_err(|e| ApiError::invalid("phone", e.to_string()))?,
        ),
        None => None,
    };
    let account_manager: Option<AgentId> = match q.account_manager.as_deref() {
        Some(login) => {
            let login = login.parse().map_err(|e: crate::domain::InvalidName| {
                ApiError::invalid("account_manager", e.to_string())
            })?;
            match state.db.agent_by_login(&login).await? {
                Some(a) => Some(a.id),
                None => return Ok(Json(PageView::new(Vec::new(), page))),
            }
        }
        None => None,
    };
    let tier = q.tier.as_deref().map(str::parse).transpose().map_err(
        |e: crate::domain::customer::UnknownTier| ApiError::invalid("tier", e.to_string()),
    )?;
    let query = CustomerQuery {
        phone,
        email: q.email,
        name: q.name,
        account: q.account,
        account_manager,
        tier,
    };
    let rows = state.db.customers(&query, page).await?;
    let mut items = Vec::with_capacity(rows.len());
    for c in &rows {
        items.push(view_of(&state, c).await?);
    }
    Ok(Json(PageView::new(items, page)))
}

async fn load(state: &ApiState, id: &str) -> Result<CustomerRecord, ApiError> {
    let id: CustomerId = path_id(id, "customer")?;
    state
        .db
        .customer(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("customer {id}")))
}

async fn get_one(
    State(state): State<ApiState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<CustomerView>, ApiError> {
    let c = load(&state, &id).await?;
    Ok(Json(view_of(&state, &c).await?))
}

async fn create(
    State(state): State<ApiState>,
    caller: Caller,
    ApiJson(b): ApiJson<CustomerBody>,
) -> Result<(StatusCode, Json<CustomerView>), ApiError> {
    let raw = RawCustomer {
        name: Some(b.name),
        external_id: b.external_id,
        phones: b.phones,
        emails: b.emails,
        accounts: b.accounts,
        account_manager: b.account_manager,
        risk_profile: b.risk_profile,
        preferred_channel: b.preferred_channel,
        assets: b.assets.map(Amount::text),
        turnover: b.turnover.map(Amount::text),
        commission: b.commission.map(Amount::text),
        attributes: b.attributes,
    };
    let draft =
        crm::validate(&raw, &state.config.site.dial_plan).map_err(crm::CrmError::Invalid)?;
    let c = crm::create(
        &state.db,
        &state.log,
        draft,
        caller.actor(),
        Timestamp::now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(view_of(&state, &c).await?)))
}

/// The editable fields of a stored customer, as raw text.
async fn raw_of(state: &ApiState, c: &CustomerRecord) -> Result<RawCustomer, ApiError> {
    let manager = match c.account_manager {
        Some(id) => state.db.agent(id).await?.map(|a| a.login.to_string()),
        None => None,
    };
    Ok(RawCustomer {
        name: Some(c.name.clone()),
        external_id: c.external_id.clone(),
        phones: c.phones.iter().map(ToString::to_string).collect(),
        emails: c.emails.clone(),
        accounts: c.accounts.clone(),
        account_manager: manager,
        risk_profile: c.risk_profile.map(|r| r.to_string()),
        preferred_channel: c.preferred_channel.map(|p| p.to_string()),
        assets: c.assets.map(super::view::yuan),
        turnover: c.turnover.map(super::view::yuan),
        commission: c.commission.map(super::view::yuan),
        attributes: c.attributes.clone(),
    })
}

async fn update(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<CustomerPatch>,
) -> Result<Json<CustomerView>, ApiError> {
    let c = load(&state, &id).await?;
    if c.merged_into.is_some() {
        return Err(ApiError::Conflict(
            "this customer was merged into another; change that one".into(),
        ));
    }
    let mut raw = raw_of(&state, &c).await?;
    if let Some(v) = p.name {
        raw.name = Some(v);
    }
    if let Some(v) = p.external_id {
        raw.external_id = v;
    }
    if let Some(v) = p.phones {
        raw.phones = v;
    }
    if let Some(v) = p.emails {
        raw.emails = v;
    }
    if let Some(v) = p.accounts {
        raw.accounts = v;
    }
    if let Some(v) = p.account_manager {
        raw.account_manager = v;
    }
    if let Some(v) = p.risk_profile {
        raw.risk_profile = v;
    }
    if let Some(v) = p.preferred_channel {
        raw.preferred_channel = v;
    }
    if let Some(v) = p.assets {
        raw.assets = v.map(Amount::text);
    }
    if let Some(v) = p.turnover {
        raw.turnover = v.map(Amount::text);
    }
    if let Some(v) = p.commission {
        raw.commission = v.map(Amount::text);
    }
    if let Some(v) = p.attributes {
        raw.attributes = v;
    }
    let draft =
        crm::validate(&raw, &state.config.site.dial_plan).map_err(crm::CrmError::Invalid)?;
    let c = crm::update(
        &state.db,
        &state.log,
        c.id,
        draft,
        caller.actor(),
        Timestamp::now(),
    )
    .await?;
    Ok(Json(view_of(&state, &c).await?))
}

async fn set_tier(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<TierBody>,
) -> Result<Json<CustomerView>, ApiError> {
    caller.require_supervisor()?;
    let c = load(&state, &id).await?;
    let tier = b.tier.as_deref().map(str::parse).transpose().map_err(
        |e: crate::domain::customer::UnknownTier| ApiError::invalid("tier", e.to_string()),
    )?;
    if tier.is_some() && b.reason.trim().is_empty() {
        return Err(ApiError::invalid(
            "reason",
            "say why the tier is set by hand",
        ));
    }
    let c = crm::override_tier(
        &state.db,
        &state.log,
        c.id,
        tier,
        b.reason.trim().to_owned(),
        caller.actor(),
        Timestamp::now(),
    )
    .await?;
    Ok(Json(view_of(&state, &c).await?))
}

async fn merge(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<MergeBody>,
) -> Result<Json<CustomerView>, ApiError> {
    caller.require_supervisor()?;
    let from = load(&state, &id).await?;
    let into: CustomerId = b
        .into
        .parse()
        .map_err(|_| ApiError::invalid("into", "not a customer id"))?;
    let c = crm::merge(
        &state.db,
        &state.log,
        from.id,
        into,
        caller.actor(),
        Timestamp::now(),
    )
    .await?;
    Ok(Json(view_of(&state, &c).await?))
}

async fn timeline(
    State(state): State<ApiState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Timeline>, ApiError> {
    let c = load(&state, &id).await?;
    let page = Page::new(0, 500);
    let filter = InteractionFilter {
        customer: Some(c.id),
        ..InteractionFilter::default()
    };
    let interactions = state.db.interactions(&filter, page).await?;
    let cases = state.db.cases_of(c.id, page).await?;
    let mut events = state.db.events_of(Subject::Customer(c.id)).await?;
    events.reverse();
    Ok(Json(Timeline {
        customer: view_of(&state, &c).await?,
        interactions: interactions.iter().map(interaction_view).collect(),
        cases: cases.iter().map(case_view).collect(),
        events: events.iter().map(event_view).collect(),
    }))
}
