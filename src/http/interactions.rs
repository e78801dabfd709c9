//! `/api/v1/interactions` and `/api/v1/cases`: the unified interaction log as seen by people
//! and CRM integrations. Everything written here is an event through the log writer.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::domain::{
    CaseId, Channel, CustomerId, Direction, IdentificationLevel, InteractionId, Timestamp,
};
use crate::interaction_log::{EventBody, NewEvent, Subject};
use crate::store::WriteItem;
use crate::store::interactions::{CaseRecord, InteractionFilter, InteractionRecord};

use super::body::{ApiJson, ApiQuery, PageQuery, path_id};
use super::error::ApiError;
use super::route::Route;
use super::session::Caller;
use super::state::ApiState;
use super::view::{
    CaseView, EventView, InteractionView, PageView, SegmentView, case_view, event_view,
    interaction_view, segment_view,
};

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::get("/api/v1/interactions", list)
            .summary("Interactions, newest first; filter by customer, channel, from, to")
            .answers::<PageView<InteractionView>>(),
        Route::post("/api/v1/interactions", create)
            .summary("Record a contact (e.g. from a CRM or a walk-in)")
            .body::<InteractionBody>()
            .answers::<InteractionView>()
            .status(201),
        Route::get("/api/v1/interactions/{id}", get_one)
            .summary("One interaction with its segments and events")
            .answers::<InteractionDetail>(),
        Route::post("/api/v1/interactions/{id}/notes", add_note)
            .summary("Add a note")
            .body::<NoteBody>()
            .answers::<EventView>()
            .status(201),
        Route::post("/api/v1/interactions/{id}/wrap-up", wrap_up)
            .summary("Record the disposition and notes")
            .body::<WrapUpBody>()
            .answers::<InteractionView>(),
        Route::put("/api/v1/interactions/{id}/customer", relink)
            .summary("Link the contact to a customer; the history follows")
            .body::<RelinkBody>()
            .answers::<InteractionView>(),
        Route::get("/api/v1/cases", list_cases)
            .summary("A customer's cases (customer= is required)")
            .answers::<PageView<CaseView>>(),
        Route::post("/api/v1/cases", create_case)
            .summary("Open a case, optionally linked to an interaction")
            .body::<CaseBody>()
            .answers::<CaseView>()
            .status(201),
        Route::get("/api/v1/cases/{id}", get_case)
            .summary("One case")
            .answers::<CaseView>(),
        Route::patch("/api/v1/cases/{id}", update_case)
            .summary("Change a case's status or follow-up date")
            .body::<CasePatch>()
            .answers::<CaseView>(),
    ]
}

/// Interaction filters.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ListQuery {
    customer: Option<String>,
    channel: Option<String>,
    /// RFC 3339.
    from: Option<String>,
    /// RFC 3339.
    to: Option<String>,
    offset: Option<i64>,
    limit: Option<i64>,
}

/// A contact to record.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct InteractionBody {
    /// `voice`, `email`, `chat` or `form`.
    channel: String,
    /// `inbound` (default) or `outbound`.
    direction: Option<String>,
    customer: Option<String>,
    remote_address: Option<String>,
    subject: Option<String>,
}

/// One interaction in full.
#[derive(Debug, Serialize, JsonSchema)]
pub(super) struct InteractionDetail {
    interaction: InteractionView,
    segments: Vec<SegmentView>,
    events: Vec<EventView>,
}

/// A note.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NoteBody {
    text: String,
}

/// The outcome.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct WrapUpBody {
    disposition: String,
    #[serde(default)]
    notes: String,
}

/// The customer to link.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RelinkBody {
    customer: String,
}

/// Case filters.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CaseQuery {
    customer: Option<String>,
    offset: Option<i64>,
    limit: Option<i64>,
}

/// A case to open.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CaseBody {
    customer: String,
    title: String,
    /// RFC 3339.
    follow_up_at: Option<String>,
    /// An interaction to link.
    interaction: Option<String>,
}

/// Case changes.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CasePatch {
    /// `open`, `pending` or `closed`.
    status: Option<String>,
    /// RFC 3339, or null to clear.
    #[serde(default, deserialize_with = "super::body::double_option")]
    follow_up_at: Option<Option<String>>,
}

fn parse_time(field: &str, text: &str) -> Result<Timestamp, ApiError> {
    text.parse::<jiff::Timestamp>()
        .map(|t| Timestamp::from_millis(t.as_millisecond()))
        .map_err(|e| ApiError::invalid(field, format!("{text:?} is not an RFC 3339 time: {e}")))
}

fn text_field(field: &str, text: &str, max: usize) -> Result<String, ApiError> {
    let t = text.trim();
    if t.is_empty() || t.chars().count() > max {
        return Err(ApiError::invalid(
            field,
            format!("give 1 to {max} characters"),
        ));
    }
    Ok(t.to_owned())
}

async fn customer_exists(
    state: &ApiState,
    field: &str,
    text: &str,
) -> Result<CustomerId, ApiError> {
    let id: CustomerId = text
        .parse()
        .map_err(|_| ApiError::invalid(field, "not a customer id"))?;
    match state.db.customer(id).await? {
        Some(c) if c.merged_into.is_none() => Ok(id),
        Some(_) => Err(ApiError::invalid(
            field,
            "this customer was merged into another",
        )),
        None => Err(ApiError::invalid(field, "no such customer")),
    }
}

async fn load(state: &ApiState, id: &str) -> Result<InteractionRecord, ApiError> {
    let id: InteractionId = path_id(id, "interaction")?;
    state
        .db
        .interaction(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("interaction {id}")))
}

async fn list(
    State(state): State<ApiState>,
    _caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<PageView<InteractionView>>, ApiError> {
    let page = PageQuery {
        offset: q.offset,
        limit: q.limit,
    }
    .page()?;
    let customer = q
        .customer
        .as_deref()
        .map(|c| {
            c.parse::<CustomerId>()
                .map_err(|_| ApiError::invalid("customer", "not a customer id"))
        })
        .transpose()?;
    let channel = q
        .channel
        .as_deref()
        .map(|c| {
            c.parse::<Channel>()
                .map_err(|e| ApiError::invalid("channel", e.to_string()))
        })
        .transpose()?;
    let filter = InteractionFilter {
        customer,
        channel: channel.map(|c| c.as_str().to_owned()),
        from: q
            .from
            .as_deref()
            .map(|t| parse_time("from", t))
            .transpose()?,
        to: q.to.as_deref().map(|t| parse_time("to", t)).transpose()?,
    };
    let rows = state.db.interactions(&filter, page).await?;
    Ok(Json(PageView::new(
        rows.iter().map(interaction_view).collect(),
        page,
    )))
}

async fn create(
    State(state): State<ApiState>,
    caller: Caller,
    ApiJson(b): ApiJson<InteractionBody>,
) -> Result<(StatusCode, Json<InteractionView>), ApiError> {
    let channel: Channel =
        b.channel
            .parse()
            .map_err(|e: crate::domain::channel::UnknownChannel| {
                ApiError::invalid("channel", e.to_string())
            })?;
    let direction: Direction = b
        .direction
        .as_deref()
        .unwrap_or("inbound")
        .parse()
        .map_err(|e: crate::domain::channel::UnknownDirection| {
            ApiError::invalid("direction", e.to_string())
        })?;
    let customer = match b.customer.as_deref() {
        Some(c) => Some(customer_exists(&state, "customer", c).await?),
        None => None,
    };
    let id = InteractionId::generate();
    let body = EventBody::InteractionCreated {
        channel,
        direction,
        customer,
        identification: if customer.is_some() {
            IdentificationLevel::Verified
        } else {
            IdentificationLevel::Unknown
        },
        remote_address: b.remote_address,
        local_address: None,
        subject: b.subject,
    };
    state
        .log
        .append(NewEvent::new(
            Subject::Interaction(id),
            Timestamp::now(),
            caller.actor(),
            body,
        ))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(interaction_view(&load(&state, &id.to_string()).await?)),
    ))
}

async fn get_one(
    State(state): State<ApiState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<InteractionDetail>, ApiError> {
    let i = load(&state, &id).await?;
    let segments = state.db.segments(i.id).await?;
    let events = state.db.events_of(Subject::Interaction(i.id)).await?;
    Ok(Json(InteractionDetail {
        interaction: interaction_view(&i),
        segments: segments.iter().map(segment_view).collect(),
        events: events.iter().map(event_view).collect(),
    }))
}

async fn add_note(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<NoteBody>,
) -> Result<(StatusCode, Json<EventView>), ApiError> {
    let i = load(&state, &id).await?;
    let text = text_field("text", &b.text, 4000)?;
    let e = state
        .log
        .append(NewEvent::new(
            Subject::Interaction(i.id),
            Timestamp::now(),
            caller.actor(),
            EventBody::NoteAdded { text },
        ))
        .await?;
    Ok((StatusCode::CREATED, Json(event_view(&e))))
}

async fn wrap_up(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<WrapUpBody>,
) -> Result<Json<InteractionView>, ApiError> {
    let i = load(&state, &id).await?;
    let disposition = text_field("disposition", &b.disposition, 64)?;
    if b.notes.chars().count() > 4000 {
        return Err(ApiError::invalid(
            "notes",
            "notes are at most 4000 characters",
        ));
    }
    let body = EventBody::WrapUpRecorded {
        disposition,
        notes: b.notes,
    };
    state
        .log
        .append(NewEvent::new(
            Subject::Interaction(i.id),
            Timestamp::now(),
            caller.actor(),
            body,
        ))
        .await?;
    Ok(Json(interaction_view(&load(&state, &id).await?)))
}

async fn relink(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<RelinkBody>,
) -> Result<Json<InteractionView>, ApiError> {
    let i = load(&state, &id).await?;
    let to = customer_exists(&state, "customer", &b.customer).await?;
    if i.customer == Some(to) {
        return Ok(Json(interaction_view(&i)));
    }
    let body = EventBody::InteractionRelinked {
        from: i.customer,
        to,
    };
    state
        .log
        .append(NewEvent::new(
            Subject::Interaction(i.id),
            Timestamp::now(),
            caller.actor(),
            body,
        ))
        .await?;
    Ok(Json(interaction_view(&load(&state, &id).await?)))
}

async fn load_case(state: &ApiState, id: &str) -> Result<CaseRecord, ApiError> {
    let id: CaseId = path_id(id, "case")?;
    state
        .db
        .case(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("case {id}")))
}

async fn list_cases(
    State(state): State<ApiState>,
    _caller: Caller,
    ApiQuery(q): ApiQuery<CaseQuery>,
) -> Result<Json<PageView<CaseView>>, ApiError> {
    let page = PageQuery {
        offset: q.offset,
        limit: q.limit,
    }
    .page()?;
    let customer = q
        .customer
        .as_deref()
        .ok_or_else(|| ApiError::invalid("customer", "give the customer whose cases to list"))?;
    let customer: CustomerId = customer
        .parse()
        .map_err(|_| ApiError::invalid("customer", "not a customer id"))?;
    let rows = state.db.cases_of(customer, page).await?;
    Ok(Json(PageView::new(
        rows.iter().map(case_view).collect(),
        page,
    )))
}

async fn create_case(
    State(state): State<ApiState>,
    caller: Caller,
    ApiJson(b): ApiJson<CaseBody>,
) -> Result<(StatusCode, Json<CaseView>), ApiError> {
    let customer = customer_exists(&state, "customer", &b.customer).await?;
    let title = text_field("title", &b.title, 200)?;
    let follow_up_at = b
        .follow_up_at
        .as_deref()
        .map(|t| parse_time("follow_up_at", t))
        .transpose()?;
    let interaction = match b.interaction.as_deref() {
        Some(i) => {
            let id: InteractionId = i
                .parse()
                .map_err(|_| ApiError::invalid("interaction", "not an interaction id"))?;
            state
                .db
                .interaction(id)
                .await?
                .ok_or_else(|| ApiError::invalid("interaction", "no such interaction"))?;
            Some(id)
        }
        None => None,
    };
    let case = CaseId::generate();
    let now = Timestamp::now();
    let mut events = vec![NewEvent::new(
        Subject::Customer(customer),
        now,
        caller.actor(),
        EventBody::CaseOpened {
            case,
            title,
            follow_up_at: follow_up_at.map(Timestamp::as_millis),
        },
    )];
    if let Some(i) = interaction {
        events.push(NewEvent::new(
            Subject::Interaction(i),
            now,
            caller.actor(),
            EventBody::CaseLinked { case },
        ));
    }
    state
        .log
        .commit(WriteItem {
            events,
            mutations: Vec::new(),
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(case_view(&load_case(&state, &case.to_string()).await?)),
    ))
}

async fn get_case(
    State(state): State<ApiState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<CaseView>, ApiError> {
    Ok(Json(case_view(&load_case(&state, &id).await?)))
}

async fn update_case(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<CasePatch>,
) -> Result<Json<CaseView>, ApiError> {
    let c = load_case(&state, &id).await?;
    let status = p.status.unwrap_or_else(|| c.status.clone());
    if !["open", "pending", "closed"].contains(&status.as_str()) {
        return Err(ApiError::invalid("status", "use open, pending or closed"));
    }
    let follow_up_at = match p.follow_up_at {
        Some(Some(t)) => Some(parse_time("follow_up_at", &t)?),
        Some(None) => None,
        None => c.follow_up_at,
    };
    let body = EventBody::CaseUpdated {
        case: c.id,
        status,
        follow_up_at: follow_up_at.map(Timestamp::as_millis),
    };
    state
        .log
        .append(NewEvent::new(
            Subject::Customer(c.customer),
            Timestamp::now(),
            caller.actor(),
            body,
        ))
        .await?;
    Ok(Json(case_view(&load_case(&state, &id).await?)))
}
