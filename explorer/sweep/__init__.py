"""A sweep's gallery: every run of a grid of settings as a small multiple, one cursor for all."""
