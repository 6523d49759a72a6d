//! `GET /v2/sso/{tenant_id}/{integration_id}/saml/metadata` (public): this SP's SAML
//! metadata for one connection (entity id, ACS URL, NameID formats, signed assertions
//! wanted, and the AuthnRequest signing certificate when it signs), for IdPs that
//! import it. The URL is also the SP's entity id.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::App;
use gatehouse::config::Needs;
use gatehouse::http::schema::of;
use gatehouse::http::{Problem, ProblemType};
use gatehouse::sso::base_url;
use gatehouse::sso_service::saml::metadata::sp_metadata;
use gatehouse::sso_service::saml::{acs_url, sp_entity_id};
use lambda_http::{Body, Request, Response};

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::INTEGRATIONS.with(Needs::SSO);

pub const ACTION: &str = "sso.saml_metadata";

pub const DOC: Operation = Operation {
    description: "The SP metadata to give a SAML IdP for this connection: its entity id (this URL), the ACS URL (HTTP-POST) and the NameID formats. Assertions must be signed.",
    ..Operation::new(
        Tag::Integrations,
        "Get a SAML connection's SP metadata",
        &[Reply::document(
            200,
            "The SP's EntityDescriptor",
            "application/samlmetadata+xml",
            of::<String>(),
        )],
    )
};

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    let connection = match super::path_connection(app, &req).await {
        Ok(connection) => connection,
        Err(problem) => return problem.into_response(),
    };
    let Some(saml) = connection.saml() else {
        return Problem::new(ProblemType::NotFound, "no such SAML connection").into_response();
    };
    let base = base_url(app, &req);
    let (tenant, id) = (&connection.tenant_id, &connection.connection_id);
    let xml = sp_metadata(
        &sp_entity_id(&base, tenant, id),
        &acs_url(&base, tenant, id),
        &saml.name_id_format,
        saml.request_signing
            .as_ref()
            .map(|s| s.certificate_pem.as_str()),
    );
    Response::builder()
        .status(200)
        .header("content-type", "application/samlmetadata+xml")
        .body(Body::Text(xml))
        .unwrap_or_default()
}
