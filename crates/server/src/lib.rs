//! weft-server (in progress).
