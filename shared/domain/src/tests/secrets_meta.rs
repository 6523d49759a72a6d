use super::*;
use time::macros::datetime;

const T0: OffsetDateTime = datetime!(2026-12-01 12:00 UTC);

fn secret() -> SecretMeta {
    SecretMeta::new(Settings::default(), T0)
}

#[test]
fn writes_number_versions_from_one() {
    let mut s = secret();
    assert_eq!(s.write(None, T0).unwrap().version, 1);
    assert_eq!(s.write(None, T0).unwrap().version, 2);
    assert_eq!(s.current_version, 2);
    assert_eq!(s.readable(None, T0), Ok(2));
    assert_eq!(s.readable(Some(0), T0), Ok(2));
    assert_eq!(s.readable(Some(1), T0), Ok(1));
    assert_eq!(s.readable(Some(3), T0), Err(SecretError::NoSuchVersion(3)));
}

#[test]
fn an_empty_secret_has_nothing_to_read() {
    assert_eq!(secret().readable(None, T0), Err(SecretError::NotFound));
}

#[test]
fn cas_zero_creates_only() {
    let mut s = secret();
    assert_eq!(s.write(Some(0), T0).unwrap().version, 1);
    assert_eq!(
        s.write(Some(0), T0),
        Err(SecretError::CasMismatch {
            given: 0,
            current: 1
        })
    );
    assert_eq!(s.write(Some(1), T0).unwrap().version, 2);
    assert_eq!(
        s.write(Some(1), T0),
        Err(SecretError::CasMismatch {
            given: 1,
            current: 2
        })
    );
}

#[test]
fn cas_required_refuses_a_blind_write() {
    let mut s = SecretMeta::new(
        Settings {
            cas_required: true,
            ..Settings::default()
        },
        T0,
    );
    assert_eq!(s.write(None, T0), Err(SecretError::CasRequired));
    assert!(s.write(Some(0), T0).is_ok());
}

#[test]
fn versions_beyond_max_versions_are_removed_oldest_first() {
    let mut s = SecretMeta::new(
        Settings {
            max_versions: 2,
            ..Settings::default()
        },
        T0,
    );
    s.write(None, T0).unwrap();
    s.write(None, T0).unwrap();
    let third = s.write(None, T0).unwrap();
    assert_eq!(third.removed, vec![1]);
    assert_eq!(s.oldest_version(), 2);
    assert_eq!(s.readable(Some(1), T0), Err(SecretError::NoSuchVersion(1)));
    // A lower limit applies at the next write.
    let mut settings = s.settings.clone();
    settings.max_versions = 1;
    s.configure(settings, T0).unwrap();
    assert_eq!(s.versions.len(), 2);
    assert_eq!(s.write(None, T0).unwrap().removed, vec![2, 3]);
}

#[test]
fn delete_undelete_and_destroy() {
    let mut s = secret();
    s.write(None, T0).unwrap();
    s.write(None, T0).unwrap();
    assert_eq!(s.delete(&[], T0).unwrap(), vec![2]);
    assert_eq!(s.readable(None, T0), Err(SecretError::VersionDeleted(2)));
    assert_eq!(s.readable(Some(1), T0), Ok(1));
    // Deleting again changes nothing; unknown versions are ignored.
    assert!(s.delete(&[2, 9], T0).unwrap().is_empty());
    assert_eq!(s.undelete(&[2], T0).unwrap(), vec![2]);
    assert_eq!(s.readable(None, T0), Ok(2));
    assert_eq!(s.destroy(&[1], T0).unwrap(), vec![1]);
    assert_eq!(
        s.readable(Some(1), T0),
        Err(SecretError::VersionDestroyed(1))
    );
    // A destroyed version cannot be undeleted or destroyed twice.
    assert!(s.undelete(&[1], T0).unwrap().is_empty());
    assert!(s.destroy(&[1], T0).unwrap().is_empty());
    assert!(s.versions[&1].destroyed);
}

#[test]
fn delete_version_after_dates_each_new_version() {
    let mut s = SecretMeta::new(
        Settings {
            delete_version_after_seconds: 60,
            ..Settings::default()
        },
        T0,
    );
    s.write(None, T0).unwrap();
    assert_eq!(s.readable(None, T0 + Duration::seconds(59)), Ok(1));
    assert_eq!(
        s.readable(None, T0 + Duration::seconds(60)),
        Err(SecretError::VersionDeleted(1))
    );
    // Undelete clears the date.
    s.undelete(&[1], T0 + Duration::seconds(61)).unwrap();
    assert_eq!(s.readable(None, T0 + Duration::days(9)), Ok(1));
}

#[test]
fn delete_all_blocks_everything_until_restored() {
    let mut s = secret();
    s.write(None, T0).unwrap();
    assert!(s.delete_all(3, T0).is_err());
    let deletion = s.delete_all(7, T0).unwrap();
    assert_eq!(deletion.purge_at, T0 + Duration::days(7));
    assert!(matches!(
        s.write(None, T0),
        Err(SecretError::ScheduledForDeletion { .. })
    ));
    assert!(matches!(
        s.readable(None, T0),
        Err(SecretError::ScheduledForDeletion { .. })
    ));
    s.restore(T0 + Duration::days(1)).unwrap();
    assert_eq!(s.readable(None, T0), Ok(1));
    assert_eq!(s.restore(T0), Err(SecretError::NotDeleted));
    s.delete_all(7, T0).unwrap();
    assert_eq!(
        s.restore(T0 + Duration::days(7)),
        Err(SecretError::NotFound)
    );
}

#[test]
fn settings_are_bounded() {
    let bad = [
        Settings {
            max_versions: 0,
            ..Settings::default()
        },
        Settings {
            max_versions: 91,
            ..Settings::default()
        },
        Settings {
            custom_metadata: (0..65).map(|i| (format!("k{i}"), String::new())).collect(),
            ..Settings::default()
        },
        Settings {
            custom_metadata: [("k".to_owned(), "v".repeat(513))].into(),
            ..Settings::default()
        },
        Settings {
            custom_metadata: [("".to_owned(), "v".to_owned())].into(),
            ..Settings::default()
        },
    ];
    for settings in bad {
        assert!(settings.validate().is_err(), "{settings:?}");
    }
    assert!(Settings::default().validate().is_ok());
}

#[test]
fn paths_cannot_climb_or_hide() {
    for bad in [
        "",
        "/a",
        "a/",
        "a//b",
        "..",
        "a/../b",
        "./a",
        "a/.hidden",
        "a b",
        "a\nb",
        "a\\b",
        "ä",
    ] {
        assert!(crate::secrets::SecretPath::parse(bad).is_err(), "{bad:?}");
    }
    assert!(crate::secrets::SecretPath::parse(&"a".repeat(513)).is_err());
    for good in ["a", "team/app/db", "x.y/z-1_@+=", &"a".repeat(512)] {
        assert!(crate::secrets::SecretPath::parse(good).is_ok(), "{good:?}");
    }
    let path = crate::secrets::SecretPath::parse("team/app").unwrap();
    assert!(path.is_under("team"));
    assert!(!path.is_under("tea"));
    assert!(path.is_under(""));
}

#[test]
fn values_are_bounded_and_never_printed() {
    use crate::secrets::SecretData;
    let mut fields = serde_json::Map::new();
    assert!(SecretData::new(fields.clone()).is_err());
    fields.insert("password".into(), "hunter2".into());
    let data = SecretData::new(fields.clone()).unwrap();
    assert!(!format!("{data:?}").contains("hunter2"));
    assert_eq!(SecretData::from_bytes(&data.to_bytes()), Some(data));
    fields.insert("blob".into(), "x".repeat(70_000).into());
    assert!(SecretData::new(fields).is_err());
}
