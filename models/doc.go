// Package models holds the domain records that two or more gt packages share:
// beads and their enums, dependencies, comments, audit rows, town events,
// addresses and agent states. It imports only the standard library and has no
// behaviour beyond small pure methods.
package models
