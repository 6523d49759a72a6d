//! Tenant isolation: tenant B's admin key against every route, aimed at tenant A's
//! objects, always gets 404 (never 403: existence is not revealed), and nothing of
//! A's changes.

use gatehouse_integration_tests::TestStack;
use serde_json::{Value, json};

fn body_for(method: &str, path: &str) -> Option<Value> {
    match (method, path) {
        (_, p) if p.starts_with("/v2/secrets/data") => Some(json!({"data": {"stolen": "no"}})),
        ("PUT", p) if p.starts_with("/v2/secrets") => Some(json!({"max_versions": 1})),
        (_, p) if p.starts_with("/v2/secrets/") => Some(json!({"versions": [1]})),
        ("PUT", p) if p.starts_with("/v2/webhooks") => Some(json!({"description": "hijacked"})),
        ("PUT", p) if p.starts_with("/v2/integrations/siem") => Some(siem_destination("hijacked")),
        ("PUT", _) => Some(json!({"name": "hijacked", "status": "disabled"})),
        ("DELETE", _) => Some(json!({"reason": "cross-tenant"})),
        (_, p) if p.ends_with("/rotate") => Some(json!({"grace_period_seconds": 0})),
        (_, p) if p.ends_with("/disable") => Some(json!({"reason": "cross-tenant"})),
        (_, p) if p.ends_with("/recover") => Some(json!({
            "since": (time::OffsetDateTime::now_utc() - time::Duration::hours(1))
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap()
        })),
        (_, p) if p.ends_with("/compromise") => {
            Some(json!({"description": "cross-tenant", "replace": true}))
        }
        _ => None,
    }
}

fn siem_destination(name: &str) -> Value {
    json!({
        "name": name,
        "preset": "arcsight",
        "transport": {"kind": "syslog", "host": "siem.acme.example", "port": 6514},
    })
}

#[tokio::test]
async fn another_tenant_gets_404_on_every_object_route_and_changes_nothing() {
    let bao = gatehouse_integration_tests::openbao::OpenBao::start().await;
    let stack = TestStack::with_params(&[
        ("AuthCacheTtlSeconds", "0"),
        ("WebhookAllowHosts", "127.0.0.1:9"),
        ("IntegrationAllowHosts", bao.host_port()),
    ])
    .await;
    let acme = stack.tenant("Acme").await;
    let globex = stack.tenant("Globex").await;
    let acme_admin = acme.admin_key.expose();
    let (_, acme_key_id) = stack
        .create_key(
            acme_admin,
            json!({"name": "acme ci", "scopes": ["keys:read"]}),
        )
        .await;
    stack
        .send(
            "POST",
            "/v2/scopes",
            acme_admin,
            Some(json!({"name": "billing:read", "description": "Acme billing"})),
        )
        .await;
    let acme_hook = stack
        .send(
            "POST",
            "/v2/webhooks",
            acme_admin,
            Some(json!({"url": "http://127.0.0.1:9/acme", "event_types": ["*"]})),
        )
        .await;
    acme_hook.assert_status(201);
    let acme_hook_id = acme_hook.json()["webhook_id"].as_str().unwrap().to_owned();
    let event = gatehouse::events::DomainEvent::new(
        "api_key.created",
        gatehouse::events::Category::Lifecycle,
        &acme.tenant.tenant_id,
        time::OffsetDateTime::now_utc(),
        json!({}),
    );
    gatehouse::webhooks::dispatch::fan_out(&stack.app, &event, time::OffsetDateTime::now_utc())
        .await
        .unwrap();
    let acme_deliveries = stack
        .send(
            "GET",
            &format!("/v2/webhooks/{acme_hook_id}/deliveries"),
            acme_admin,
            None,
        )
        .await
        .json();
    let acme_delivery_id = acme_deliveries["items"][0]["delivery_id"]
        .as_str()
        .unwrap()
        .to_owned();
    stack
        .send(
            "POST",
            "/v2/secrets/data/acme/db",
            acme_admin,
            Some(json!({"data": {"password": "acme-only"}})),
        )
        .await
        .assert_status(201);
    let acme_lease = stack
        .send(
            "POST",
            "/v2/leases",
            acme_admin,
            Some(json!({"role": "tenant-files"})),
        )
        .await;
    acme_lease.assert_status(201);
    let acme_lease_id = acme_lease.json()["lease"]["lease_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // A's SSO connection, seeded in the store (the discovery check is the SSO tests').
    let acme_sso = gatehouse::sso_domain::SsoConnection {
        tenant_id: acme.tenant.tenant_id.clone(),
        connection_id: gatehouse::ids::IntegrationId::generate().unwrap(),
        name: "Acme IdP".into(),
        protocol: gatehouse::sso_domain::Protocol::Oidc(gatehouse::sso_domain::OidcConfig {
            preset: gatehouse::sso_domain::Preset::Custom,
            issuer: "https://idp.acme.example".into(),
            client_id: "gatehouse".into(),
            client_secret: gatehouse::integrations::Credential::Reference {
                secret_ref: gatehouse::integrations::SecretRef {
                    path: gatehouse::secrets::SecretPath::parse("sso/acme").unwrap(),
                    key: "client_secret".into(),
                    version: None,
                },
            },
            scopes: vec!["email".into()],
            groups_claim: "groups".into(),
            hosted_domain: None,
            entra_tenant_id: None,
        }),
        domains: vec!["acme.example".into()],
        rules: Vec::new(),
        default_scopes: Vec::new(),
        return_urls: Vec::new(),
        session_hours: 8,
        domain_token: String::new(),
        verified_domains: Vec::new(),
        enabled: true,
        created_at: time::OffsetDateTime::now_utc(),
        created_by: "user:admin@example.com".into(),
        updated_at: None,
        version: 1,
    };
    let acme_principal = gatehouse::store::sso_table::Principal {
        tenant_id: acme.tenant.tenant_id.clone(),
        principal_id: gatehouse::ids::PrincipalId::generate().unwrap().to_string(),
        issuer: "https://idp.acme.example".into(),
        subject: "alice".into(),
        connection_id: acme_sso.connection_id.clone(),
        email: Some("alice@acme.example".into()),
        name: None,
        groups: Vec::new(),
        scopes: Vec::new(),
        claims: serde_json::Map::new(),
        disabled: false,
        sessions: Vec::new(),
        first_login: time::OffsetDateTime::now_utc(),
        last_login: time::OffsetDateTime::now_utc(),
        version: 1,
    };
    let mut batch = gatehouse::store::WriteBatch::new();
    stack
        .app
        .sso
        .connections
        .put(&mut batch, &acme_sso)
        .unwrap();
    stack
        .app
        .sso
        .principals
        .put(&mut batch, &acme_principal)
        .unwrap();
    stack.app.dynamo.commit(batch).await.unwrap();
    let acme_siem = stack
        .send(
            "POST",
            "/v2/integrations/siem",
            acme_admin,
            Some(siem_destination("Acme ArcSight")),
        )
        .await;
    acme_siem.assert_status(201);
    let acme_siem_id = acme_siem.json()["destination_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = stack.snapshot(&acme.tenant).await;
    let acme_secret_before = stack
        .send("GET", "/v2/secrets/metadata/acme/db", acme_admin, None)
        .await
        .json();
    let globex_admin = globex.admin_key.expose();

    // Every route naming one of A's objects, with every placeholder filled by A's ids.
    let targets: [(&str, Vec<&str>); 6] = [
        (
            "{key_id}",
            vec![acme_key_id.as_str(), acme.admin_record.key_id.as_str()],
        ),
        ("{webhook_id}", vec![acme_hook_id.as_str()]),
        ("{delivery_id}", vec![acme_delivery_id.as_str()]),
        ("{lease_id}", vec![acme_lease_id.as_str()]),
        ("{principal_id}", vec![acme_principal.principal_id.as_str()]),
        ("{destination_id}", vec![acme_siem_id.as_str()]),
    ];
    let mut routes_per_placeholder = Vec::new();
    for (placeholder, ids) in &targets {
        let mut routes = 0;
        for route in stack
            .template
            .routes
            .iter()
            .filter(|r| r.path.contains(placeholder))
        {
            routes += 1;
            for id in ids {
                let path = route.path.replace(placeholder, id);
                let response = stack
                    .send(
                        &route.method,
                        &path,
                        globex_admin,
                        body_for(&route.method, &route.path),
                    )
                    .await;
                response.assert_problem(404, "not-found");
            }
        }
        routes_per_placeholder.push(routes);
    }
    // Secrets are named by path within the caller's tenant: B's reads and changes of
    // `acme/db` find nothing, and its writes make a secret of B's own.
    let creates = |r: &&gatehouse_devtools::template::Route| {
        matches!(
            (r.method.as_str(), r.path.as_str()),
            ("POST", "/v2/secrets/data/{path+}") | ("PUT", "/v2/secrets/metadata/{path+}")
        )
    };
    let (writes, others): (Vec<_>, Vec<_>) = stack
        .template
        .routes
        .iter()
        .filter(|r| r.path.contains("{path+}"))
        .partition(creates);
    let mut secret_routes = 0;
    // The routes that find nothing first; then the two that create B's own secret.
    for route in others.into_iter().chain(writes) {
        secret_routes += 1;
        let path = route.path.replace("{path+}", "acme/db");
        let response = stack
            .send(
                &route.method,
                &path,
                globex_admin,
                body_for(&route.method, &route.path),
            )
            .await;
        match (route.method.as_str(), route.path.as_str()) {
            ("POST", "/v2/secrets/data/{path+}") => response.assert_status(201),
            ("PUT", "/v2/secrets/metadata/{path+}") => response.assert_status(200),
            _ => {
                response.assert_problem(404, "not-found");
            }
        }
    }
    assert_eq!(secret_routes, 9);
    let own = stack
        .send("GET", "/v2/secrets/data/acme/db", globex_admin, None)
        .await
        .json();
    assert_eq!(
        own["data"],
        json!({"stolen": "no"}),
        "B reads its own secret"
    );
    let acme_value = stack
        .send("GET", "/v2/secrets/data/acme/db", acme_admin, None)
        .await
        .json();
    assert_eq!(acme_value["data"], json!({"password": "acme-only"}));
    let acme_secret_after = stack
        .send("GET", "/v2/secrets/metadata/acme/db", acme_admin, None)
        .await
        .json();
    assert_eq!(
        acme_secret_after, acme_secret_before,
        "A's secret untouched"
    );
    let listed = stack
        .send("GET", "/v2/secrets", globex_admin, None)
        .await
        .json();
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));

    // A's Vault integration: B has none of its own, and A's id is not B's.
    let acme_vault = stack
        .send(
            "POST",
            "/v2/integrations/vault",
            acme_admin,
            Some(json!({"address": bao.address, "auth": {"method": "token", "token": bao.root_token}})),
        )
        .await;
    acme_vault.assert_status(201);
    let acme_vault_id = acme_vault.json()["integration_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let acme_vault_before = stack
        .send("GET", "/v2/integrations/vault", acme_admin, None)
        .await
        .json();
    let mut integration_routes = 0;
    for route in stack
        .template
        .routes
        .iter()
        .filter(|r| r.path == "/v2/integrations/vault" && r.method != "POST")
    {
        integration_routes += 1;
        let body =
            (route.method == "PUT").then(|| json!({"address": "https://vault.globex.example"}));
        stack
            .send(&route.method, &route.path, globex_admin, body)
            .await
            .assert_problem(404, "not-found");
    }
    stack
        .send(
            "POST",
            &format!("/v2/integrations/{acme_vault_id}/test"),
            globex_admin,
            None,
        )
        .await
        .assert_problem(404, "not-found");
    assert_eq!(integration_routes, 3, "GET, PUT, DELETE");
    assert_eq!(
        stack
            .send("GET", "/v2/integrations/vault", acme_admin, None)
            .await
            .json(),
        acme_vault_before,
        "A's integration untouched"
    );

    assert_eq!(
        routes_per_placeholder,
        [7, 9, 2, 2, 4, 5],
        "keys: GET, PUT, DELETE, rotate, compromise, usage, usage reset; \
         webhooks: GET, PUT, DELETE, disable, enable, rotate-secret, test, deliveries, recover; \
         deliveries: GET, retry; leases: renew, revoke; principals: GET, disable, enable, sync-keys; \
         SIEM destinations: GET, PUT, DELETE, test, stats"
    );
    let mut sso_routes = 0;
    for route in stack
        .template
        .routes
        .iter()
        .filter(|r| r.path == "/v2/integrations/sso/{integration_id}")
    {
        sso_routes += 1;
        let path = route
            .path
            .replace("{integration_id}", acme_sso.connection_id.as_str());
        stack
            .send(&route.method, &path, globex_admin, None)
            .await
            .assert_problem(404, "not-found");
    }
    assert_eq!(sso_routes, 3, "GET, PUT, DELETE");
    stack
        .send(
            "POST",
            "/v2/integrations/sso/test",
            globex_admin,
            Some(json!({"connection_id": acme_sso.connection_id.as_str()})),
        )
        .await
        .assert_problem(404, "not-found");
    let connections = stack
        .send("GET", "/v2/integrations/sso", globex_admin, None)
        .await
        .json();
    assert_eq!(
        connections["items"],
        json!([]),
        "B lists none of A's connections"
    );
    let leases = stack
        .send("GET", "/v2/leases", globex_admin, None)
        .await
        .json();
    assert_eq!(leases["items"], json!([]), "B sees none of A's leases");
    let hooks = stack
        .send("GET", "/v2/webhooks", globex_admin, None)
        .await
        .json();
    assert_eq!(hooks["items"], json!([]), "B sees none of A's webhooks");
    let hook_report = stack
        .send("GET", "/v2/webhooks/report", globex_admin, None)
        .await
        .json();
    assert_eq!(
        hook_report["items"],
        json!([]),
        "B's report has none of A's webhooks"
    );

    // Collection routes show B only its own objects.
    let keys = stack
        .send(
            "GET",
            "/v2/api-keys?include_inactive=true",
            globex_admin,
            None,
        )
        .await
        .json();
    let ids: Vec<&str> = keys["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["key_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![globex.admin_record.key_id.as_str()]);
    let scopes = stack
        .send("GET", "/v2/scopes", globex_admin, None)
        .await
        .json();
    assert!(!scopes.to_string().contains("billing:read"));
    let audit = stack
        .send("GET", "/v2/audit?limit=200", globex_admin, None)
        .await
        .json();
    assert!(!audit.to_string().contains(acme.tenant.tenant_id.as_str()));
    // B's trail holds only B's own calls (including its refused attempts on A's ids).
    for event in audit["items"].as_array().unwrap() {
        assert_eq!(
            event["actor"]["key_id"],
            globex.admin_record.key_id.as_str()
        );
    }
    // B may define a scope of the same name: scopes are per tenant.
    let own = stack
        .send(
            "POST",
            "/v2/scopes",
            globex_admin,
            Some(json!({"name": "billing:read", "description": "Globex billing"})),
        )
        .await;
    assert_eq!(own.status, 201);
    // B's access policy and usage report are B's alone.
    let policy =
        json!({"route_scopes": {"GET /orders": "orders:read"}, "deny_unlisted_routes": true});
    stack
        .send("PUT", "/v2/access-policy", globex_admin, Some(policy))
        .await
        .assert_status(200);
    let read = stack
        .send("GET", "/v2/access-policy", acme_admin, None)
        .await
        .json();
    assert_eq!(read["version"], 0, "A's policy untouched: {read}");
    stack
        .send(
            "PUT",
            "/v2/key-policy",
            globex_admin,
            Some(json!({"max_active_keys_per_tenant": 1})),
        )
        .await
        .assert_status(200);
    let read = stack
        .send("GET", "/v2/key-policy", acme_admin, None)
        .await
        .json();
    assert_eq!(read["version"], 0, "A's key policy untouched: {read}");
    let report = stack
        .send("GET", "/v2/usage/report", globex_admin, None)
        .await
        .json();
    assert_eq!(report["tenant_id"], globex.tenant.tenant_id.as_str());

    assert_eq!(
        stack.snapshot(&acme.tenant).await,
        before,
        "tenant A's items changed"
    );
    // Every route of the template was exercised by one of the checks above.
    // (POST /v2/integrations/vault makes B's own: tests/tests/integrations.rs.)
    let health = stack
        .send("GET", "/v2/integrations/health", globex_admin, None)
        .await
        .json();
    assert_eq!(health["items"], json!([]), "B's health lists none of A's");
    // (POST /v2/leases issues B's own: tests/tests/leases.rs.)
    let report = stack
        .send("GET", "/v2/integrations/report", globex_admin, None)
        .await
        .json();
    assert_eq!(
        report["integrations"],
        json!([]),
        "B's report has none of A's"
    );
    assert_eq!(report["leases"]["active"], 0);
    // B's SIEM destinations are B's alone, and a filter preview reads B's events only.
    let listed = stack
        .send("GET", "/v2/integrations/siem", globex_admin, None)
        .await
        .json();
    assert_eq!(
        listed["items"],
        json!([]),
        "B lists none of A's destinations"
    );
    let preview = stack
        .send(
            "POST",
            "/v2/integrations/siem/preview",
            globex_admin,
            Some(json!({"limit": 200})),
        )
        .await;
    preview.assert_status(200);
    assert!(
        !preview.json().to_string().contains(acme_siem_id.as_str()),
        "B's preview shows none of A's events"
    );
    // (POST /v2/integrations/siem makes B's own: tests/tests/siem_destinations.rs.)
    assert!(!report.to_string().contains(acme_lease_id.as_str()));
    // (The SSO login, callback, logout and keys are the SSO tests'; so are SAML's
    // metadata and ACS, public routes that name their tenant in the path.)
    assert_eq!(stack.template.routes.len(), 85);
}
