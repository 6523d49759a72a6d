use super::*;

#[test]
fn vault_durations_read_as_seconds() {
    assert_eq!(duration_seconds("0s"), 0);
    assert_eq!(duration_seconds("90s"), 90);
    assert_eq!(duration_seconds("1h30m5s"), 5405);
    assert_eq!(duration_seconds("768h0m0s"), 768 * 3600);
}

#[test]
fn version_states_read_vaults_times() {
    let state = version_state(&json!({
        "created_time": "2026-12-01T17:57:11.401487525Z",
        "deletion_time": "",
        "destroyed": false
    }))
    .unwrap();
    assert!(state.deleted_at.is_none());
    let deleted = version_state(&json!({
        "created_time": "2026-12-01T17:57:11Z",
        "deletion_time": "2026-12-02T00:00:00Z",
        "destroyed": true
    }))
    .unwrap();
    assert!(deleted.destroyed && deleted.deleted_at.is_some());
    assert!(version_state(&json!({})).is_none());
}
