//! The Vault backend's client against a real OpenBao server (`bao server -dev`):
//! writes, check-and-set, reads by version, metadata, settings, delete / undelete /
//! destroy and listing map onto the same domain refusals as the AWS backend, and
//! Vault's own refusals read as a person can act on them.

use gatehouse::outbound::OutboundClient;
use gatehouse::secrets::vault::{VaultError, VaultKv, VaultTarget, VersionOp};
use gatehouse::secrets::{SecretData, SecretError, SecretPath, Settings};
use gatehouse::webhooks::ssrf::AllowList;
use gatehouse_integration_tests::openbao::OpenBao;
use serde_json::json;
use std::time::Duration;

fn client(bao: &OpenBao, token: &str, mount: &str) -> VaultKv {
    let http = OutboundClient::for_integration(
        AllowList::parse(bao.host_port()),
        Duration::from_secs(5),
        None,
    )
    .unwrap();
    VaultKv::new(
        http,
        VaultTarget {
            address: bao.address.clone(),
            namespace: None,
            mount: mount.to_owned(),
        },
        token.to_owned(),
    )
}

fn data(value: serde_json::Value) -> SecretData {
    SecretData::new(value.as_object().unwrap().clone()).unwrap()
}

#[tokio::test]
async fn kv2_through_the_vault_client() {
    let bao = OpenBao::start().await;
    let kv = client(&bao, &bao.root_token, "secret");
    kv.check().await.unwrap();
    let path = SecretPath::parse("payments/db").unwrap();
    assert_eq!(kv.metadata(&path).await.unwrap(), None);
    assert_eq!(
        kv.read(&path, None).await.unwrap(),
        Err(SecretError::NotFound)
    );
    let (v1, _) = kv
        .write(&path, &data(json!({"password": "one"})), Some(0))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v1, 1);
    assert_eq!(
        kv.write(&path, &data(json!({"password": "x"})), Some(0))
            .await
            .unwrap(),
        Err(SecretError::CasMismatch {
            given: 0,
            current: 1
        })
    );
    kv.write(&path, &data(json!({"password": "two"})), Some(1))
        .await
        .unwrap()
        .unwrap();
    let (version, value, _) = kv.read(&path, None).await.unwrap().unwrap();
    assert_eq!(
        (version, value.field("password").as_deref()),
        (2, Some("two"))
    );
    let (_, old, _) = kv.read(&path, Some(1)).await.unwrap().unwrap();
    assert_eq!(old.field("password").as_deref(), Some("one"));
    assert!(matches!(
        kv.read(&path, Some(9)).await.unwrap(),
        Err(SecretError::NoSuchVersion(9) | SecretError::VersionDeleted(_) | SecretError::NotFound)
    ));

    // Settings: cas_required and max_versions, as Vault applies them.
    kv.configure(
        &path,
        &Settings {
            max_versions: 2,
            cas_required: true,
            delete_version_after_seconds: 3600,
            custom_metadata: [("team".to_owned(), "payments".to_owned())].into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        kv.write(&path, &data(json!({"password": "x"})), None)
            .await
            .unwrap(),
        Err(SecretError::CasRequired)
    );
    kv.write(&path, &data(json!({"password": "three"})), Some(2))
        .await
        .unwrap()
        .unwrap();
    let meta = kv.metadata(&path).await.unwrap().unwrap();
    assert_eq!(meta.current_version, 3);
    assert_eq!(meta.settings.max_versions, 2);
    assert!(meta.settings.cas_required);
    assert_eq!(meta.settings.delete_version_after_seconds, 3600);
    assert_eq!(meta.settings.custom_metadata["team"], "payments");
    assert_eq!(
        meta.versions.keys().copied().collect::<Vec<_>>(),
        vec![2, 3]
    );

    // Delete, undelete, destroy.
    kv.change_versions(VersionOp::Delete, &path, &[3])
        .await
        .unwrap();
    assert_eq!(
        kv.read(&path, None).await.unwrap(),
        Err(SecretError::VersionDeleted(3))
    );
    kv.change_versions(VersionOp::Undelete, &path, &[3])
        .await
        .unwrap();
    assert!(kv.read(&path, None).await.unwrap().is_ok());
    kv.change_versions(VersionOp::Destroy, &path, &[2])
        .await
        .unwrap();
    assert_eq!(
        kv.read(&path, Some(2)).await.unwrap(),
        Err(SecretError::VersionDestroyed(2))
    );
    assert!(kv.metadata(&path).await.unwrap().unwrap().versions[&2].destroyed);

    // Listing is per folder.
    kv.write(
        &SecretPath::parse("payments/api").unwrap(),
        &data(json!({"t": "1"})),
        None,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(kv.list("payments/").await.unwrap(), vec!["api", "db"]);
    assert_eq!(kv.list("").await.unwrap(), vec!["payments/"]);
}

#[tokio::test]
async fn vaults_refusals_say_what_is_wrong() {
    let bao = OpenBao::start().await;
    let path = SecretPath::parse("x").unwrap();
    let wrong_token = client(&bao, "not-a-token", "secret");
    assert_eq!(wrong_token.check().await, Err(VaultError::AuthRefused));
    let no_mount = client(&bao, &bao.root_token, "nowhere");
    assert_eq!(
        no_mount.check().await,
        Err(VaultError::MountMissing("nowhere".into()))
    );
    assert!(matches!(
        no_mount.read(&path, None).await,
        Err(VaultError::MountMissing(_))
    ));
    // A token whose policy allows only reading one folder.
    let root = client(&bao, &bao.root_token, "secret");
    bao.admin(
        "PUT",
        "sys/policies/acl/reader",
        json!({"policy": "path \"secret/data/app/*\" { capabilities = [\"read\"] }"}),
    )
    .await;
    let created = bao
        .admin(
            "POST",
            "auth/token/create",
            json!({"policies": ["reader"], "ttl": "10m"}),
        )
        .await;
    let reader = client(
        &bao,
        created["auth"]["client_token"].as_str().unwrap(),
        "secret",
    );
    root.write(
        &SecretPath::parse("app/one").unwrap(),
        &data(json!({"k": "v"})),
        None,
    )
    .await
    .unwrap()
    .unwrap();
    assert!(
        reader
            .read(&SecretPath::parse("app/one").unwrap(), None)
            .await
            .unwrap()
            .is_ok()
    );
    assert!(matches!(
        reader
            .write(
                &SecretPath::parse("app/one").unwrap(),
                &data(json!({"k": "w"})),
                None
            )
            .await,
        Err(VaultError::PermissionDenied(_))
    ));
    // The outbound client refuses a Vault on loopback that the allow list does not name.
    let http = OutboundClient::for_integration(AllowList::default(), Duration::from_secs(5), None)
        .unwrap();
    let unlisted = VaultKv::new(
        http,
        VaultTarget {
            address: bao.address.clone(),
            namespace: None,
            mount: "secret".into(),
        },
        bao.root_token.clone(),
    );
    assert!(matches!(
        unlisted.check().await,
        Err(VaultError::Unreachable(_))
    ));
}

/// A write while Vault is stopped (SIGSTOP) is refused (the client times out), and
/// nothing half-written shows once Vault runs again.
#[tokio::test]
async fn a_write_to_a_stopped_vault_is_refused_and_leaves_nothing() {
    let bao = OpenBao::start().await;
    let http = OutboundClient::for_integration(
        AllowList::parse(bao.host_port()),
        Duration::from_millis(800),
        None,
    )
    .unwrap();
    let kv = VaultKv::new(
        http,
        VaultTarget {
            address: bao.address.clone(),
            namespace: None,
            mount: "secret".into(),
        },
        bao.root_token.clone(),
    );
    let path = SecretPath::parse("fault/db").unwrap();
    kv.write(&path, &data(json!({"v": "1"})), None)
        .await
        .unwrap()
        .unwrap();
    bao.signal("STOP");
    let stopped = kv.write(&path, &data(json!({"v": "2"})), Some(1)).await;
    bao.signal("CONT");
    match stopped {
        // Refused: Vault still holds version 1 only, or (if the request reached it
        // before the stop) version 2 whole; never a torn value.
        Err(VaultError::Unreachable(_)) => {
            let (version, value, _) = kv.read(&path, None).await.unwrap().unwrap();
            assert!(
                (version == 1 && value.field("v").as_deref() == Some("1"))
                    || (version == 2 && value.field("v").as_deref() == Some("2"))
            );
        }
        other => panic!("a write to a stopped Vault must time out: {other:?}"),
    }
}
