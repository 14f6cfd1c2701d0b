package ptyhost

import "testing"

// TestStyleSGR: the pane's SGR writer is the engine's; an indexed underline
// colour is written as 58;5;n (there is no 58+n short form as for 30/40).
func TestStyleSGR(t *testing.T) {
	cases := []struct {
		s    Style
		want string
	}{
		{Style{}, "\x1b[m"},
		{Style{Fg: IndexedColor(1), Attrs: AttrBold}, "\x1b[0;1;31m"},
		{Style{Bg: IndexedColor(9)}, "\x1b[0;101m"},
		{Style{Fg: RGBColor(1, 2, 3)}, "\x1b[0;38;2;1;2;3m"},
		{Style{Underline: UnderlineCurly, UnderlineColor: IndexedColor(3)}, "\x1b[0;4:3;58;5;3m"},
		{Style{Underline: UnderlineSingle, UnderlineColor: RGBColor(9, 8, 7)}, "\x1b[0;4;58;2;9;8;7m"},
	}
	for _, c := range cases {
		if got := string(c.s.AppendSGR(nil)); got != c.want {
			t.Errorf("%+v: %q, want %q", c.s, got, c.want)
		}
	}
}
