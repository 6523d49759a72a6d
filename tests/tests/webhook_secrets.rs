//! Webhook secrets sealed with KMS envelope encryption (moto's KMS through the real
//! SDK): they open only for the tenant and webhook they were sealed for, and the
//! stored form holds nothing of the secret.

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
