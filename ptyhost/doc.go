// Package ptyhost runs agent processes in pseudo-terminals and keeps each
// one's screen in a terminal emulator. It never imports UI packages.
package ptyhost
