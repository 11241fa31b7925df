//! weft-tools (in progress).
