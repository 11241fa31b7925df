//! weft-sandbox (in progress).
