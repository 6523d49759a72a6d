//! X-Ray subsegments: the interceptor every AWS client gets under active tracing sends
//! one subsegment per SDK call to the daemon's UDP address, under the invocation's
//! trace, with the service, the operation, the status and the failure class. The
//! daemon here is a UDP socket; the calls go to moto.

use gatehouse::xray::{AwsCalls, Sink};
use gatehouse_integration_tests::sdk_config;
use serde_json::Value;
use std::net::UdpSocket;
use std::sync::Arc;
use std::time::Duration;

const TRACE: &str = "Root=1-65dfb5a1-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1";

/// The next datagram: the daemon header line, then the subsegment.
fn receive(daemon: &UdpSocket) -> Value {
    let mut buffer = [0u8; 65_536];
    let n = daemon.recv(&mut buffer).expect("a subsegment within 5 s");
    let text = std::str::from_utf8(&buffer[..n]).unwrap();
    let (header, document) = text
        .split_once('\n')
        .expect("header line, then the document");
    assert_eq!(
        serde_json::from_str::<Value>(header).unwrap(),
        serde_json::json!({"format": "json", "version": 1})
    );
    serde_json::from_str(document).expect("the subsegment is JSON")
}

/// A daemon socket, and a DynamoDB client on moto whose calls are traced to it under
/// the header `trace` gives.
async fn traced(
    trace: fn() -> Option<String>,
    wait: Duration,
) -> (UdpSocket, aws_sdk_dynamodb::Client) {
    let daemon = UdpSocket::bind("127.0.0.1:0").unwrap();
    daemon.set_read_timeout(Some(wait)).unwrap();
    let sink = Sink::new(daemon.local_addr().unwrap(), trace).unwrap();
    let sdk = sdk_config().await;
    let config = aws_sdk_dynamodb::config::Builder::from(&sdk)
        .interceptor(AwsCalls::new(Arc::new(sink)))
        .build();
    (daemon, aws_sdk_dynamodb::Client::from_conf(config))
}

#[tokio::test]
async fn each_aws_call_is_a_subsegment_of_the_invocation() {
    let (daemon, dynamodb) = traced(|| Some(TRACE.to_owned()), Duration::from_secs(5)).await;

    dynamodb.list_tables().send().await.unwrap();
    let ok = receive(&daemon);
    assert_eq!(ok["type"], "subsegment");
    assert_eq!(ok["name"], "DynamoDB");
    assert_eq!(ok["namespace"], "aws");
    assert_eq!(ok["aws"]["operation"], "ListTables");
    assert_eq!(ok["trace_id"], "1-65dfb5a1-0123456789abcdef01234567");
    assert_eq!(ok["parent_id"], "53995c3f42cd8ad8");
    assert_eq!(ok["http"]["response"]["status"], 200);
    assert!(ok["end_time"].as_f64().unwrap() >= ok["start_time"].as_f64().unwrap());
    assert!(ok.get("fault").is_none() && ok.get("error").is_none());

    let missing = dynamodb
        .describe_table()
        .table_name("no-such-table")
        .send()
        .await;
    assert!(missing.is_err());
    let failed = receive(&daemon);
    assert_eq!(failed["aws"]["operation"], "DescribeTable");
    assert_eq!(failed["http"]["response"]["status"], 400);
    assert_eq!(failed["error"], true);
    assert_ne!(failed["id"], ok["id"]);
}

#[tokio::test]
async fn an_unsampled_invocation_sends_nothing() {
    let (daemon, dynamodb) = traced(
        || Some(TRACE.replace("Sampled=1", "Sampled=0")),
        Duration::from_millis(300),
    )
    .await;
    dynamodb.list_tables().send().await.unwrap();
    let mut buffer = [0u8; 1024];
    assert!(daemon.recv(&mut buffer).is_err(), "nothing sent");
}
