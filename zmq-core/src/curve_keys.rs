//! CURVE key pairs: X25519 keys as libsodium's crypto_box makes them (a
//! random 32-byte secret; the public key is the clamped scalar times the
//! base point), shown as 40-character Z85 text.

use crate::error::{Error, Result};
use crate::z85;

/// Bytes in a public or secret key.
pub const KEY_LEN: usize = 32;
/// Characters in a key's Z85 text (without a terminating NUL).
pub const KEY_TEXT_LEN: usize = 40;

/// A new random key pair: (public, secret).
pub fn generate() -> Result<([u8; KEY_LEN], [u8; KEY_LEN])> {
    let mut secret = [0u8; KEY_LEN];
    getrandom::getrandom(&mut secret).map_err(|e| match e.raw_os_error() {
        Some(code) => Error::Os(code),
        None => Error::NotSupported,
    })?;
    Ok((public_from_secret(&secret), secret))
}

/// The public key that belongs to `secret`.
pub fn public_from_secret(secret: &[u8; KEY_LEN]) -> [u8; KEY_LEN] {
    *crypto_box::SecretKey::from(*secret).public_key().as_bytes()
}

/// A key from its Z85 text (exactly 40 characters).
pub fn key_from_text(text: &[u8]) -> Result<[u8; KEY_LEN]> {
    if text.len() != KEY_TEXT_LEN {
        return Err(Error::Invalid);
    }
    let mut key = [0u8; KEY_LEN];
    z85::decode_into(text, &mut key)?;
    Ok(key)
}

/// A key's Z85 text.
pub fn key_to_text(key: &[u8; KEY_LEN]) -> [u8; KEY_TEXT_LEN] {
    let mut text = [0u8; KEY_TEXT_LEN];
    // 32 is a multiple of 4 and the buffer has the matching length.
    let encoded = z85::encode_into(key, &mut text);
    debug_assert!(encoded.is_ok());
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key pair published with libzmq's CURVE tests (made by libsodium).
    const PUBLIC: &str = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";
    const SECRET: &str = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs";

    #[test]
    fn public_key_matches_libsodium() {
        let secret = key_from_text(SECRET.as_bytes()).unwrap();
        let public = public_from_secret(&secret);
        assert_eq!(&key_to_text(&public), PUBLIC.as_bytes());
    }

    #[test]
    fn rfc7748_base_point_multiplication() {
        // Alice's key pair from RFC 7748, section 6.1.
        let secret: [u8; 32] =
            hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        let public: [u8; 32] =
            hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
        assert_eq!(public_from_secret(&secret), public);
    }

    #[test]
    fn generated_pairs_are_consistent_and_distinct() {
        let (public_a, secret_a) = generate().unwrap();
        let (public_b, secret_b) = generate().unwrap();
        assert_eq!(public_from_secret(&secret_a), public_a);
        assert_ne!(secret_a, secret_b);
        assert_ne!(public_a, public_b);
    }

    #[test]
    fn bad_key_text_is_rejected() {
        assert_eq!(key_from_text(b"short"), Err(Error::Invalid));
        let mut bad = *b"D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs";
        bad[3] = b' ';
        assert_eq!(key_from_text(&bad), Err(Error::Invalid));
    }

    fn hex(text: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }
}
