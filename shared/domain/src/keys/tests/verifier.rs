use super::*;

fn cheap() -> Argon2Params {
    Argon2Params {
        memory_kib: 256,
        iterations: 1,
        parallelism: 1,
    }
}

#[test]
fn verifies_the_right_secret_only() {
    let v = KeyVerifier::new(cheap()).unwrap();
    let phc = v.hash(b"correct horse").unwrap();
    assert!(phc.starts_with("$argon2id$v=19$m=256,t=1,p=1$"));
    assert_eq!(
        v.verify(b"correct horse", &phc),
        VerifyOutcome::Valid { rehashed: None }
    );
    assert_eq!(v.verify(b"correct horsf", &phc), VerifyOutcome::Mismatch);
}

#[test]
fn salts_make_every_verifier_different() {
    let v = KeyVerifier::new(cheap()).unwrap();
    assert_ne!(v.hash(b"same").unwrap(), v.hash(b"same").unwrap());
}

#[test]
fn weaker_stored_parameters_are_upgraded_on_use() {
    let old = KeyVerifier::new(cheap()).unwrap();
    let phc = old.hash(b"secret").unwrap();
    let stronger = KeyVerifier::new(Argon2Params {
        memory_kib: 512,
        ..cheap()
    })
    .unwrap();
    let VerifyOutcome::Valid {
        rehashed: Some(new_phc),
    } = stronger.verify(b"secret", &phc)
    else {
        panic!("expected a rehash");
    };
    assert!(new_phc.contains("m=512"));
    assert_eq!(
        stronger.verify(b"secret", &new_phc),
        VerifyOutcome::Valid { rehashed: None }
    );
}

#[test]
fn garbage_and_other_algorithms_are_corrupt_not_valid() {
    let v = KeyVerifier::new(cheap()).unwrap();
    assert_eq!(v.verify(b"x", "not a phc"), VerifyOutcome::CorruptVerifier);
    let argon2i = "$argon2i$v=19$m=256,t=1,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG";
    assert_eq!(v.verify(b"x", argon2i), VerifyOutcome::CorruptVerifier);
}

#[test]
fn invalid_parameters_are_refused() {
    assert!(
        Argon2Params {
            memory_kib: 1,
            iterations: 1,
            parallelism: 1
        }
        .validate()
        .is_err()
    );
    assert!(Argon2Params::DEFAULT.validate().is_ok());
}
