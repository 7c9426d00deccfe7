pub mod polling;
