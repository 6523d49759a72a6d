//! Usage tracking: requests through the local gateway become access-log lines, which
//! usage ingest turns into statistics, `last_used_at` and the tenant report; synthetic
//! traffic shows each anomaly being found, reported once, audited, published and
//! noted on the key.

use gatehouse::usage::ingest::ingest;
use gatehouse_integration_tests::TestStack;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

#[tokio::test]
async fn requests_through_the_gateway_become_usage_statistics() {
    let stack = TestStack::new().await;
    let tenant = stack.tenant("Acme").await;
    let admin = tenant.admin_key.expose().to_owned();
    let (reader, reader_id) = stack
        .create_key(&admin, json!({"name": "reader", "scopes": ["keys:read"]}))
        .await;
    for _ in 0..3 {
        stack
            .send("GET", "/v2/api-keys", &reader, None)
            .await
            .assert_status(200);
    }
    stack
        .send("GET", "/v2/api-keys/nosuchkey0", &reader, None)
        .await
        .assert_status(404);
    // Refused by the authorizer: no key context, so not counted for the key.
    stack
        .send(
            "DELETE",
            &format!("/v2/api-keys/{reader_id}"),
            &reader,
            Some(json!({"reason": "x"})),
        )
        .await
        .assert_status(403);
    let summary = stack.gateway.flush_access_log().await.unwrap();
    assert_eq!(summary.skipped, 1, "{summary:?}");

    let usage = stack
        .send(
            "GET",
            &format!("/v2/api-keys/{reader_id}/usage?granularity=minute&time_range=10m"),
            &admin,
            None,
        )
        .await;
    usage.assert_status(200);
    let usage = usage.json();
    assert_eq!(usage["totals"]["requests"], 4, "{usage}");
    assert_eq!(usage["totals"]["status"]["2xx"], 3);
    assert_eq!(usage["totals"]["status"]["4xx"], 1);
    let routes: Value = usage["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| b["routes"].as_object().unwrap().clone())
        .collect::<serde_json::Map<_, _>>()
        .into();
    assert!(routes.get("GET /v2/api-keys").is_some(), "{routes}");
    assert!(
        routes.get("GET /v2/api-keys/{key_id}").is_some(),
        "{routes}"
    );

    let key = stack
        .send("GET", &format!("/v2/api-keys/{reader_id}"), &admin, None)
        .await
        .json();
    let last_used = OffsetDateTime::parse(
        key["last_used_at"].as_str().expect("last_used_at set"),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert!(OffsetDateTime::now_utc() - last_used < Duration::minutes(1));

    let report = stack
        .send("GET", "/v2/usage/report", &admin, None)
        .await
        .json();
    let keys = report["keys"].as_array().unwrap();
    let row = keys
        .iter()
        .find(|k| k["key_id"] == reader_id.as_str())
        .expect("the reader in the report");
    assert_eq!(row["usage"]["requests"], 4);
    assert!(report["totals"]["requests"].as_u64().unwrap() >= 4);
}

fn line(at: OffsetDateTime, tenant: &str, key: &str, status: u16, ip: &str, ua: &str) -> String {
    json!({
        "requestId": "r",
        "requestTimeEpoch": (at.unix_timestamp_nanos() / 1_000_000).to_string(),
        "routeKey": "GET /orders",
        "method": "GET",
        "status": status.to_string(),
        "latencyMs": "12",
        "sourceIp": ip,
        "userAgent": ua,
        "tenantId": tenant,
        "keyId": key,
    })
    .to_string()
}

#[tokio::test]
async fn synthetic_traffic_raises_each_anomaly_once() {
    let stack = TestStack::new().await;
    let tenant = stack.tenant("Acme").await;
    let admin = tenant.admin_key.expose().to_owned();
    let (_, key_id) = stack
        .create_key(&admin, json!({"name": "svc", "scopes": ["keys:read"]}))
        .await;
    let t = tenant.tenant.tenant_id.as_str();
    let k = key_id.as_str();
    let now = OffsetDateTime::now_utc()
        .replace_second(0)
        .unwrap()
        .replace_nanosecond(0)
        .unwrap();
    let ingest_lines = |lines: Vec<String>| {
        let app = stack.function_app("UsageIngestFunction");
        async move {
            ingest(&app, lines.iter().map(String::as_str))
                .await
                .expect("ingest")
        }
    };

    // History: a quiet key, 2 requests a minute over the previous day, from one place.
    let mut history = Vec::new();
    for minutes_ago in (90..24 * 60).step_by(10) {
        let at = now - Duration::minutes(minutes_ago);
        for _ in 0..20 {
            history.push(line(at, t, k, 200, "198.51.100.1", "billing/1.0"));
        }
    }
    let quiet = ingest_lines(history).await;
    assert_eq!(quiet.findings, 0, "learning: {quiet:?}");

    // A burst: 150 requests in one minute, 50 times the baseline.
    let burst: Vec<String> = (0..150)
        .map(|_| line(now, t, k, 200, "198.51.100.1", "billing/1.0"))
        .collect();
    assert_eq!(ingest_lines(burst.clone()).await.findings, 1);
    // The same burst again is the same finding: not reported twice.
    assert_eq!(ingest_lines(burst).await.findings, 0);

    // A 401/403 storm in the next minute, and a new source IP with a new user agent.
    let next = now + Duration::minutes(1);
    let mut storm: Vec<String> = (0..25)
        .map(|_| line(next, t, k, 403, "198.51.100.1", "billing/1.0"))
        .collect();
    storm.push(line(next, t, k, 200, "203.0.113.66", "curl/8.5.0"));
    assert_eq!(ingest_lines(storm).await.findings, 3);

    let usage = stack
        .send("GET", &format!("/v2/api-keys/{key_id}/usage"), &admin, None)
        .await
        .json();
    let mut kinds: Vec<&str> = usage["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        ["burst", "error_storm", "new_source_ip", "new_user_agent"]
    );

    let key = stack
        .send("GET", &format!("/v2/api-keys/{key_id}"), &admin, None)
        .await
        .json();
    assert_eq!(key["anomalies"]["count"], 4, "{key}");

    let audited = stack.audit(&admin, "action=api_key.anomaly").await;
    assert_eq!(audited.len(), 4);
    let events = stack.events().await;
    let security: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "api_key.anomaly" && e["category"] == "security")
        .collect();
    assert_eq!(security.len(), 4, "{events:?}");
}

#[tokio::test]
async fn quota_thresholds_are_noticed_once_each_from_the_access_logs() {
    let stack = TestStack::new().await;
    let tenant = stack.tenant("Acme").await;
    let admin = tenant.admin_key.expose().to_owned();
    let (key, key_id) = stack
        .create_key(
            &admin,
            json!({"name": "metered", "scopes": ["keys:read"],
                   "limits": {"all_routes": {"per_day": 5}}}),
        )
        .await;
    let notices = |events: Vec<Value>| -> Vec<Value> {
        events
            .into_iter()
            .filter(|e| e["type"] == "api_key.quota_threshold")
            .map(|e| e["data"].clone())
            .collect()
    };
    stack.events().await;
    let use_key = |n: usize| {
        let (stack, key) = (&stack, key.clone());
        async move {
            for _ in 0..n {
                stack.send("GET", "/v2/api-keys", &key, None).await;
            }
        }
    };

    use_key(3).await; // 60 %
    stack.gateway.flush_access_log().await.unwrap();
    assert!(notices(stack.events().await).is_empty(), "below 80 %");

    use_key(1).await; // 80 %
    let summary = stack.gateway.flush_access_log().await.unwrap();
    assert_eq!(summary.quota_notices, 1, "{summary:?}");
    let sent = notices(stack.events().await);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["key_id"], key_id.as_str());
    assert_eq!(
        (
            &sent[0]["threshold_percent"],
            &sent[0]["used"],
            &sent[0]["limit"]
        ),
        (&json!(80), &json!(4), &json!(5))
    );
    assert_eq!(sent[0]["window"], "day");

    use_key(3).await; // the 5th is admitted, the rest refused at the limit
    let summary = stack.gateway.flush_access_log().await.unwrap();
    assert_eq!(summary.quota_notices, 1, "{summary:?}");
    let sent = notices(stack.events().await);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["threshold_percent"], 100);

    use_key(1).await;
    let summary = stack.gateway.flush_access_log().await.unwrap();
    assert_eq!(summary.quota_notices, 0, "each threshold once per window");
}
