//! Webhook secrets sealed with KMS envelope encryption (moto's KMS through the real
//! SDK): they open only for the tenant and webhook they were sealed for, and the
//! stored form holds nothing of the secret.

use gatehouse::store::envelope::{Envelope, SealContext};
use gatehouse::webhooks::sealed::{Owner, SealError, SecretSealer};
use gatehouse::webhooks::signature::SigningSecret;
use gatehouse_devtools::template::TemplateValue;
use gatehouse_integration_tests::TestStack;

#[tokio::test]
async fn a_sealed_secret_opens_only_for_its_owner() {
    let stack = TestStack::new().await;
    let key_id = stack
        .local
        .resolve(&TemplateValue::Ref("DataKey".into()))
        .expect("the template's KMS key");
    let sealer = SecretSealer::new(aws_sdk_kms::Client::new(&stack.sdk), key_id);
    let secret = SigningSecret::generate().unwrap();
    let owner = Owner {
        tenant_id: "tenantAAAA",
        webhook_id: "whk0000001",
    };
    let sealed = sealer.seal(&secret, owner).await.unwrap();
    let stored = serde_json::to_string(&sealed).unwrap();
    assert!(!stored.contains(&secret.expose()["whsec_".len()..]));

    assert_eq!(sealer.open(&sealed, owner).await.unwrap(), secret);
    for other in [
        Owner {
            tenant_id: "tenantBBBB",
            webhook_id: "whk0000001",
        },
        Owner {
            tenant_id: "tenantAAAA",
            webhook_id: "whk0000002",
        },
    ] {
        assert!(matches!(
            sealer.open(&sealed, other).await,
            Err(SealError::Corrupt | SealError::Kms(_))
        ));
    }
    let mut tampered = sealed.clone();
    tampered.ciphertext = sealed.nonce.clone() + &sealed.ciphertext[16..];
    assert!(sealer.open(&tampered, owner).await.is_err());
}

/// The envelope helper on its own, against moto's KMS: a value opens only under the
/// context it was sealed with, including contexts moto cannot tell apart (it joins the
/// pairs into one string); the associated data tells them apart.
#[tokio::test]
async fn the_envelope_binds_its_context_beyond_what_kms_compares() {
    let stack = TestStack::new().await;
    let key_id = stack
        .local
        .resolve(&TemplateValue::Ref("DataKey".into()))
        .expect("the template's KMS key");
    let envelope = Envelope::new(aws_sdk_kms::Client::new(&stack.sdk), key_id);
    let context = SealContext::new("vault-token")
        .with("tenant", "a")
        .with("integration", "bc");
    let sealed = envelope.seal(b"s.hvs.token", &context).await.unwrap();
    assert_eq!(sealed.version, gatehouse::store::envelope::ENVELOPE_V2);
    assert_eq!(
        envelope.open(&sealed, &context).await.unwrap().bytes(),
        b"s.hvs.token"
    );
    for other in [
        SealContext::new("vault-token")
            .with("tenant", "ab")
            .with("integration", "c"),
        SealContext::new("approle-secret-id")
            .with("tenant", "a")
            .with("integration", "bc"),
        SealContext::new("vault-token")
            .with("tenant", "a")
            .with("integration", "bc")
            .with("version", "1"),
    ] {
        assert!(
            matches!(
                envelope.open(&sealed, &other).await,
                Err(SealError::Corrupt | SealError::Kms(_))
            ),
            "{other:?}"
        );
    }
}

/// Webhook secrets sealed before the envelope helper (context `{tenant_id,
/// webhook_id}`, no `v`) still open, and only for their owner.
#[tokio::test]
async fn secrets_sealed_in_the_old_form_still_open() {
    let stack = TestStack::new().await;
    let key_id = stack
        .local
        .resolve(&TemplateValue::Ref("DataKey".into()))
        .expect("the template's KMS key");
    let kms = aws_sdk_kms::Client::new(&stack.sdk);
    let envelope = Envelope::new(kms.clone(), key_id.clone());
    let secret = SigningSecret::generate().unwrap();
    let old = envelope
        .seal(
            secret.bytes(),
            &SealContext::legacy_webhook("tenantAAAA", "whk0000001"),
        )
        .await
        .unwrap();
    let stored = serde_json::to_value(&old).unwrap();
    assert!(stored.get("v").is_none(), "{stored}");
    let sealer = SecretSealer::new(kms, key_id);
    let owner = Owner {
        tenant_id: "tenantAAAA",
        webhook_id: "whk0000001",
    };
    assert_eq!(sealer.open(&old, owner).await.unwrap(), secret);
    let other = Owner {
        tenant_id: "tenantAAAA",
        webhook_id: "whk0000002",
    };
    assert!(sealer.open(&old, other).await.is_err());
    // A new seal is in the new form, and is not accepted as an old one.
    let new = sealer.seal(&secret, owner).await.unwrap();
    let mut relabelled = new.clone();
    relabelled.version = 0;
    assert!(sealer.open(&relabelled, owner).await.is_err());
}
