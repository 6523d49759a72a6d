use super::*;
use crate::keys::model::{DisplayName, Principal};
use crate::keys::{KeyEnvironment, KeyPrefix, KeyStatus, ScopeSet};

fn record(id: &str) -> KeyRecord {
    KeyRecord {
        tenant_id: TenantId::parse("tenant0001").unwrap(),
        key_id: KeyId::parse(id).unwrap(),
        name: DisplayName::parse("k").unwrap(),
        prefix: KeyPrefix::parse("gh").unwrap(),
        environment: KeyEnvironment::Live,
        hint: String::new(),
        verifier: String::new(),
        scopes: ScopeSet::default(),
        status: KeyStatus::Active,
        principal: Principal::parse("user:a").unwrap(),
        owner: None,
        created_at: OffsetDateTime::UNIX_EPOCH,
        created_by: None,
        expires_at: None,
        updated_at: None,
        rotated_from: None,
        rotated_to: None,
        revocation: None,
        limits: None,
        restrictions: None,
        last_used_at: None,
        anomalies: None,
        version: 1,
    }
}

fn at(secs: i64) -> OffsetDateTime {
    OffsetDateTime::UNIX_EPOCH + Duration::seconds(secs)
}

#[test]
fn positive_entries_serve_the_same_key_until_the_ttl() {
    let cache = KeyCache::new(Duration::seconds(5), Duration::seconds(60), 10);
    let r = record("key0000001");
    let good = digest("gh_live_good");
    cache.put(good, r.clone(), at(0));
    assert_eq!(
        cache.lookup(&r.tenant_id, &r.key_id, &good, at(4)),
        Lookup::Fresh(Box::new(r.clone()))
    );
    assert_eq!(
        cache.lookup(&r.tenant_id, &r.key_id, &good, at(5)),
        Lookup::Verified {
            verifier: r.verifier.clone()
        },
        "re-read at the TTL, without argon2"
    );
    assert_eq!(
        cache.lookup(&r.tenant_id, &r.key_id, &good, at(60)),
        Lookup::Miss
    );
    assert_eq!(
        cache.lookup(&r.tenant_id, &r.key_id, &digest("gh_live_other"), at(1)),
        Lookup::Miss
    );
}

#[test]
fn zero_ttl_disables_the_cache() {
    let cache = KeyCache::new(Duration::ZERO, Duration::ZERO, 10);
    let r = record("key0000001");
    cache.put(digest("k"), r.clone(), at(0));
    assert_eq!(
        cache.lookup(&r.tenant_id, &r.key_id, &digest("k"), at(0)),
        Lookup::Miss
    );
    cache.put_bad(digest("bad"), at(0));
    assert!(!cache.is_known_bad(&digest("bad"), at(0)));
}

#[test]
fn both_maps_stay_within_capacity() {
    let cache = KeyCache::new(Duration::seconds(60), Duration::seconds(60), 4);
    for i in 0..20 {
        cache.put(digest(&i.to_string()), record(&format!("key{i:07}")), at(i));
        cache.put_bad(digest(&format!("bad{i}")), at(i));
    }
    let (positive, negative) = cache.len();
    assert!(positive <= 4 && negative <= 4, "{positive} {negative}");
    assert!(cache.is_known_bad(&digest("bad19"), at(19)));
}

#[test]
fn negative_entries_expire() {
    let cache = KeyCache::new(Duration::seconds(5), Duration::seconds(60), 10);
    cache.put_bad(digest("bad"), at(0));
    assert!(cache.is_known_bad(&digest("bad"), at(59)));
    assert!(!cache.is_known_bad(&digest("bad"), at(60)));
}
