//! Every misuse of the derives is a compiler error on the offending token (one trybuild
//! run: each case is `tests/ui/<case>.rs` with its expected `<case>.stderr`).

#[test]
fn misuses_are_errors_on_the_right_token() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
