// Command gt is Gas Town in one terminal. Started under the name bd it is the
// beads CLI; otherwise it is gt. All behaviour lives in the packages it wires.
package main

import "os"

func main() { os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr)) }
