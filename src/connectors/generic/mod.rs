//! The generic formats anyone can produce: an inventory (YAML or JSON) and a grant log
//! (JSON Lines or CSV). See docs/formats.md.
