//! kops (in progress)
