"""API reference generator: protos (with comments) + servicer analysis → HTML and client table."""
