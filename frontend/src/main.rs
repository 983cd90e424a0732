//! Browser entry: everything lives in the library so native tests can render it.

fn main() {
    frontend::start();
}
