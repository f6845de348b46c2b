//! Reports: kops output (update dry-run, rolling-update tables) parsed into structured change
//! sets, per-cluster summaries, and their text, markdown and JSON renderings.
