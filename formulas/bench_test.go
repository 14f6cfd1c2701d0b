package formulas

import (
	"fmt"
	"strings"
	"testing"
)

func BenchmarkCookRelease(b *testing.B) {
	sp := NewSearchPath("", "", "")
	opt := CookOptions{Vars: map[string]string{"version": "1.2.0"}, Pour: true}
	for b.Loop() {
		if _, err := sp.Cook("release", opt); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCookLarge cooks a 500-step chain, the size of a big generated
// formula.
func BenchmarkCookLarge(b *testing.B) {
	var src strings.Builder
	src.WriteString("formula = \"big\"\n[vars.v]\ndefault = \"x\"\n")
	for i := range 500 {
		fmt.Fprintf(&src, "[[steps]]\nid = \"s%d\"\ntitle = \"Step %d {{v}}\"\ndescription = \"Do thing %d with {{v}}\"\n", i, i, i)
		if i > 0 {
			fmt.Fprintf(&src, "needs = [\"s%d\"]\n", i-1)
		}
	}
	data := []byte(src.String())
	sp := NewSearchPath("", "", "")
	for b.Loop() {
		f, err := Parse("big"+FileSuffix, data)
		if err != nil {
			b.Fatal(err)
		}
		p, err := Cook(f, sp, CookOptions{})
		if err != nil || len(p.Steps) != 500 {
			b.Fatal(err)
		}
	}
}
