use super::*;

#[test]
fn fixed_width_encoding() {
    assert_eq!(encode_fixed(0, 6), "000000");
    assert_eq!(encode_fixed(61, 2), "0z");
    assert_eq!(encode_fixed(62, 2), "10");
    assert_eq!(encode_fixed(u64::from(u32::MAX), 6), "4gfFC3");
}

#[test]
fn random_strings_have_the_requested_length_and_alphabet() {
    let s = random_string(100).unwrap();
    assert_eq!(s.len(), 100);
    assert!(is_base62(&s));
    assert_ne!(s, random_string(100).unwrap());
}

#[test]
fn random_characters_cover_the_alphabet_evenly() {
    let s = random_string(62 * 400).unwrap();
    let mut counts = [0u32; 62];
    for b in s.bytes() {
        let idx = ALPHABET.iter().position(|&a| a == b).unwrap();
        counts[idx] += 1;
    }
    // Expected 400 each; a biased sampler (plain `% 62`) over-weights the first 8.
    assert!(
        counts.iter().all(|&c| (250..=550).contains(&c)),
        "{counts:?}"
    );
}
