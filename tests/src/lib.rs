//! Integration tests over the definitions this repository ships (see `tests/`).
