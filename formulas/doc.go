// Package formulas parses, validates and cooks formula TOML files into
// molecule protos, and finds formulas along the search path.
package formulas
