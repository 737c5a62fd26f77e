//! Links the shared library as libzmq.so.5 and proves, at every build, that
//! the Rust exports match the prototypes in include/zmq.h: cbindgen writes C
//! declarations from zmq-capi's `extern "C"` functions, and a C translation
//! unit that includes zmq.h and them must compile (any difference in a
//! parameter or return type is a conflicting-types error).

use std::env;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libzmq.so.5");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=zmq-capi/src");
    println!("cargo:rerun-if-changed=include");
    check_exports_against_header();
}

fn check_exports_against_header() {
    let root =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let exports = out_dir.join("zmq_exports.h");

    let mut config = cbindgen::Config {
        language: cbindgen::Language::C,
        no_includes: true,
        usize_is_size_t: true,
        ..Default::default()
    };
    // The types come from zmq.h itself.
    config.export.exclude = vec![
        "zmq_msg_t".into(),
        "zmq_pollitem_t".into(),
        "zmq_poller_event_t".into(),
    ];
    config
        .export
        .rename
        .insert("iovec".into(), "struct iovec".into());
    // Draft exports are declared under the draft API's macro, as in zmq.h.
    config
        .defines
        .insert("feature = draft".into(), "ZMQ_BUILD_DRAFT_API".into());
    cbindgen::Builder::new()
        .with_config(config)
        .with_crate(root.join("zmq-capi"))
        .generate()
        .expect("cbindgen reads zmq-capi")
        .write_to_file(&exports);

    let check = out_dir.join("check_exports.c");
    std::fs::write(
        &check,
        format!(
            "#include \"{}\"\n#include \"{}\"\n",
            root.join("include/zmq.h").display(),
            exports.display()
        ),
    )
    .expect("write the check unit");
    let cc = env::var("CC").unwrap_or_else(|_| "cc".into());
    // The draft API's zmq_ppoll takes a sigset_t, which ISO C lacks.
    let draft = ["-DZMQ_BUILD_DRAFT_API", "-D_POSIX_C_SOURCE=200809L"];
    for extra in [&[][..], &draft[..]] {
        let output = Command::new(&cc)
            .args(["-fsyntax-only", "-std=c99", "-Wall", "-Werror", "-I"])
            .arg(root.join("include"))
            .args(extra)
            .arg(&check)
            .output()
            .unwrap_or_else(|e| panic!("cannot run the C compiler '{cc}': {e}"));
        assert!(
            output.status.success(),
            "zmq.h and the Rust exports disagree ({}):\n{}",
            exports.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
