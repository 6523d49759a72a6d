//! What each route says about itself in the OpenAPI document. Every handler module
//! declares one [`Operation`] as `DOC`, beside its logic; `ROUTES` gives the method,
//! path and access, and [`super::document`] assembles the rest (operation id,
//! security, the errors every route shares) from the declaration.

use gatehouse::http::query::Param;
use gatehouse::http::schema::SchemaFn;

/// Groups of operations, in the order the document lists them.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Tag {
    ApiKeys,
    Scopes,
    Audit,
    AccessPolicy,
    Usage,
    Webhooks,
    Secrets,
    Integrations,
    ApiDescription,
}

impl Tag {
    pub const ALL: [Tag; 9] = [
        Tag::ApiKeys,
        Tag::Scopes,
        Tag::Audit,
        Tag::AccessPolicy,
        Tag::Usage,
        Tag::Webhooks,
        Tag::Secrets,
        Tag::Integrations,
        Tag::ApiDescription,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Tag::ApiKeys => "API keys",
            Tag::Scopes => "Scopes",
            Tag::Audit => "Audit",
            Tag::AccessPolicy => "Access policy",
            Tag::Usage => "Usage",
            Tag::Webhooks => "Webhooks",
            Tag::Secrets => "Secrets",
            Tag::Integrations => "Integrations",
            Tag::ApiDescription => "API description",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Tag::ApiKeys => "Issue, read, change, rotate, revoke and report compromised keys.",
            Tag::Scopes => "The scopes keys can hold, built in and the tenant's own.",
            Tag::Audit => "The tenant's append-only audit trail.",
            Tag::AccessPolicy => "Route scopes and plan limits for the tenant's own APIs.",
            Tag::Usage => "Usage statistics, counter resets and the tenant report.",
            Tag::Webhooks => "Endpoints, signed deliveries, retries, recovery and reports.",
            Tag::Integrations => {
                "The tenant's own services Gatehouse works with: its Vault as the secret store."
            }
            Tag::Secrets => {
                "The tenant's secrets: versions, check-and-set, delete, destroy and restore (Vault KV v2 semantics)."
            }
            Tag::ApiDescription => "This document.",
        }
    }
}

/// The request body a route reads.
#[derive(Clone, Copy)]
pub enum RequestBody {
    None,
    Required(SchemaFn),
    /// The route also answers a request without a body.
    Optional(SchemaFn),
    /// An HTML form post (`application/x-www-form-urlencoded`), as browsers send
    /// SAML's HTTP-POST binding.
    Form(SchemaFn),
}

/// A success response.
#[derive(Clone, Copy)]
pub struct Reply {
    pub status: u16,
    pub description: &'static str,
    pub schema: SchemaFn,
    /// A redirect: no body, a `Location` header.
    pub redirect: bool,
    /// The body's media type.
    pub media_type: &'static str,
}

impl Reply {
    pub const fn new(status: u16, description: &'static str, schema: SchemaFn) -> Self {
        Self {
            status,
            description,
            schema,
            redirect: false,
            media_type: "application/json",
        }
    }

    /// A body in another media type than JSON (SAML metadata's XML).
    pub const fn document(
        status: u16,
        description: &'static str,
        media_type: &'static str,
        schema: SchemaFn,
    ) -> Self {
        Self {
            media_type,
            ..Self::new(status, description, schema)
        }
    }

    /// A redirect (302, 303) to the `Location` header.
    pub const fn redirect(status: u16, description: &'static str) -> Self {
        Self {
            status,
            description,
            schema: gatehouse::http::schema::of::<String>(),
            redirect: true,
            media_type: "application/json",
        }
    }
}

/// One route's own part of the document.
#[derive(Clone, Copy)]
pub struct Operation {
    pub tag: Tag,
    pub summary: &'static str,
    /// Longer than the summary, or empty.
    pub description: &'static str,
    pub body: RequestBody,
    pub query: &'static [Param],
    pub replies: &'static [Reply],
    /// When the route answers 409, why.
    pub conflict: Option<&'static str>,
    /// When the route answers 410, why.
    pub gone: Option<&'static str>,
    /// When the route answers 424 (a tenant's own service refused), why.
    pub dependency: Option<&'static str>,
    /// When a public route answers 401 (a login refused), why.
    pub refused: Option<&'static str>,
    /// When a public route without path parameters answers 404, why.
    pub not_found: Option<&'static str>,
}

impl Operation {
    /// An operation with no body, query or conflict; fill in the rest with struct
    /// update syntax.
    pub const fn new(tag: Tag, summary: &'static str, replies: &'static [Reply]) -> Self {
        Self {
            tag,
            summary,
            description: "",
            body: RequestBody::None,
            query: &[],
            replies,
            conflict: None,
            gone: None,
            dependency: None,
            refused: None,
            not_found: None,
        }
    }
}
