//! The subscription trie against a naive model: any sequence of adds,
//! removes and matches gives the model's answers, and depth chosen by the
//! input never recurses (CVE-2021-20236's class).
#![no_main]

use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;
use zmq_core::trie::Trie;

fuzz_target!(|data: &[u8]| {
    let mut trie = Trie::new();
    let mut model: HashMap<Vec<u8>, u32> = HashMap::new();
    let mut rest = data;
    while let [op, len, tail @ ..] = rest {
        let len = usize::from(*len).min(tail.len());
        // Long keys from short inputs: a run of one byte, to reach depth.
        let key: Vec<u8> = if op & 0x80 != 0 && len > 0 {
            vec![tail[0]; len * 64]
        } else {
            tail[..len].to_vec()
        };
        rest = &tail[len..];
        match op % 3 {
            0 => {
                let first = trie.add(&key);
                let count = model.entry(key).or_insert(0);
                *count += 1;
                assert_eq!(first, *count == 1);
            }
            1 => {
                let last = trie.remove(&key);
                let expected = match model.get_mut(&key) {
                    Some(count) => {
                        *count -= 1;
                        let gone = *count == 0;
                        if gone {
                            model.remove(&key);
                        }
                        gone
                    }
                    None => false,
                };
                assert_eq!(last, expected);
            }
            _ => {
                let expected = model.keys().any(|prefix| key.starts_with(prefix));
                assert_eq!(trie.matches(&key), expected);
            }
        }
    }
    assert_eq!(trie.len(), model.len());
    for (prefix, count) in &model {
        assert_eq!(trie.count(prefix), *count);
    }
});
