//! Sensitive data cannot reach telemetry by construction: the generated telemetry types
//! have no member for a dropped value, so code that tries does not compile.

#[test]
fn sensitive_values_cannot_be_put_into_telemetry() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
