//! Z85 (RFC 32): 4 bytes become 5 printable characters, big-endian base 85.

use crate::error::{Error, Result};

const ALPHABET: &[u8; 85] =
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/// Character -> digit value; `INVALID` for bytes outside the alphabet.
const INVALID: u8 = 0xFF;
const DIGITS: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < ALPHABET.len() {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// Length of the text for `len` bytes; `len` must be a multiple of 4.
pub fn encoded_len(len: usize) -> Result<usize> {
    if !len.is_multiple_of(4) {
        return Err(Error::Invalid);
    }
    Ok(len / 4 * 5)
}

/// Length of the bytes for a text of `len` characters: a non-zero
/// multiple of 5 (libzmq refuses to decode an empty string).
pub fn decoded_len(len: usize) -> Result<usize> {
    if len == 0 || !len.is_multiple_of(5) {
        return Err(Error::Invalid);
    }
    Ok(len / 5 * 4)
}

/// Encodes `data` into `out`, which must be exactly `encoded_len` long.
pub fn encode_into(data: &[u8], out: &mut [u8]) -> Result<()> {
    if encoded_len(data.len())? != out.len() {
        return Err(Error::Invalid);
    }
    for (chunk, text) in data.chunks_exact(4).zip(out.chunks_exact_mut(5)) {
        let mut value = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        for slot in text.iter_mut().rev() {
            *slot = ALPHABET[(value % 85) as usize];
            value /= 85;
        }
    }
    Ok(())
}

/// Decodes `text` into `out`, which must be exactly `decoded_len` long.
/// A character outside the alphabet, or a group worth more than 2^32 - 1,
/// is an error.
pub fn decode_into(text: &[u8], out: &mut [u8]) -> Result<()> {
    if decoded_len(text.len())? != out.len() {
        return Err(Error::Invalid);
    }
    for (group, bytes) in text.chunks_exact(5).zip(out.chunks_exact_mut(4)) {
        let mut value: u64 = 0;
        for &c in group {
            let digit = DIGITS[c as usize];
            if digit == INVALID {
                return Err(Error::Invalid);
            }
            value = value * 85 + u64::from(digit);
        }
        let value = u32::try_from(value).map_err(|_| Error::Invalid)?;
        bytes.copy_from_slice(&value.to_be_bytes());
    }
    Ok(())
}

/// Encodes `data` (a multiple of 4 bytes) as a Z85 string.
pub fn encode(data: &[u8]) -> Result<String> {
    let mut out = vec![0; encoded_len(data.len())?];
    encode_into(data, &mut out)?;
    // Every byte written comes from the ASCII alphabet.
    String::from_utf8(out).map_err(|_| Error::Invalid)
}

/// Decodes a Z85 string (a multiple of 5 characters).
pub fn decode(text: &str) -> Result<Vec<u8>> {
    let mut out = vec![0; decoded_len(text.len())?];
    decode_into(text.as_bytes(), &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HELLO: [u8; 8] = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B];

    #[test]
    fn rfc_test_vector() {
        assert_eq!(encode(&HELLO).unwrap(), "HelloWorld");
        assert_eq!(decode("HelloWorld").unwrap(), HELLO);
    }

    #[test]
    fn round_trips_every_length_and_extreme_values() {
        let mut data = Vec::new();
        for i in 0..256u32 {
            data.extend_from_slice(&(i.wrapping_mul(2_654_435_761)).to_be_bytes());
            assert_eq!(decode(&encode(&data).unwrap()).unwrap(), data);
        }
        assert_eq!(encode(&[0xFF; 4]).unwrap(), "%nSc0");
        assert_eq!(encode(&[0; 4]).unwrap(), "00000");
        assert_eq!(decode("%nSc0").unwrap(), [0xFF; 4]);
        assert_eq!(encode(&[]).unwrap(), "");
        assert_eq!(decode(""), Err(Error::Invalid));
    }

    #[test]
    fn every_alphabet_character_decodes_to_its_digit() {
        for (i, &c) in ALPHABET.iter().enumerate() {
            let text = [b'0', b'0', b'0', b'0', c];
            let mut out = [0u8; 4];
            decode_into(&text, &mut out).unwrap();
            assert_eq!(u32::from_be_bytes(out), i as u32);
        }
    }

    #[test]
    fn rejects_wrong_lengths() {
        assert_eq!(encode(&[1, 2, 3]), Err(Error::Invalid));
        assert_eq!(decode("Hello"), Ok(vec![0x86, 0x4F, 0xD2, 0x6F]));
        assert_eq!(decode("HelloWorl"), Err(Error::Invalid));
        let mut small = [0u8; 3];
        assert_eq!(decode_into(b"Hello", &mut small), Err(Error::Invalid));
        let mut short = [0u8; 4];
        assert_eq!(encode_into(&[0; 4], &mut short), Err(Error::Invalid));
    }

    #[test]
    fn rejects_characters_outside_the_alphabet() {
        for c in 0..=255u8 {
            if ALPHABET.contains(&c) {
                continue;
            }
            let text = [b'a', b'b', c, b'c', b'd'];
            let mut out = [0u8; 4];
            assert_eq!(
                decode_into(&text, &mut out),
                Err(Error::Invalid),
                "byte {c}"
            );
        }
    }

    #[test]
    fn rejects_groups_above_u32_max() {
        assert_eq!(decode("%nSc1"), Err(Error::Invalid));
        assert_eq!(decode("%%%%%"), Err(Error::Invalid));
        assert_eq!(decode("#####"), Err(Error::Invalid));
    }
}
