package town

import "testing"

func TestDerivePrefix(t *testing.T) {
	cases := map[string]string{
		"my-project":  "mp",
		"my_project":  "mp",
		"myProject":   "mp",
		"MyCoolApp":   "mca",
		"gastown":     "gt",
		"Gastown":     "gt",
		"crawlville":  "cv",
		"newport":     "np",
		"marketplace": "mp",
		"wonderland":  "wl",
		"springfield": "sf",
		"hollywood":   "hw",
		"oxford":      "of",
		"backend":     "ba",
		"myproject":   "my",
		"api":         "api",
		"go":          "go",
		"tool-py":     "to",
		"tool-go":     "to",
		"web-api-go":  "wa",
		"town":        "to",
		"x":           "x",
		"a1b2":        "a1",
	}
	for in, want := range cases {
		if got := DerivePrefix(in); got != want {
			t.Errorf("DerivePrefix(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestJSONLPrefix(t *testing.T) {
	cases := []struct{ data, want string }{
		{"", ""},
		{`{"id":"gt-abc12"}` + "\n" + `{"id":"gt-def34"}` + "\n" + `{"id":"hq-x7k2m"}`, "gt"},
		{`{"id":"my-proj-abc12"}` + "\n" + `{"id":"my-proj-abc12.1"}`, "my-proj"},
		{`{"id":"mp-mol-abc12"}` + "\n" + `{"id":"mp-abc12"}` + "\n" + `{"id":"zz-abc12"}`, "mp"},
		{"not json\n\n" + `{"id":"bb-1"}` + "\n" + `{"id":"aa-1"}`, "aa"},
		{`{"title":"no id"}`, ""},
	}
	for _, c := range cases {
		if got := JSONLPrefix([]byte(c.data)); got != c.want {
			t.Errorf("JSONLPrefix(%q) = %q, want %q", c.data, got, c.want)
		}
	}
}

func TestValidatePrefix(t *testing.T) {
	for _, p := range []string{"a", "gt", "my-proj", "A1", "abcdefghijklmnopqrst"} {
		if err := ValidatePrefix(p); err != nil {
			t.Errorf("%q rejected: %v", p, err)
		}
	}
	for _, p := range []string{"", "1a", "-a", "a_b", "a.b", "abcdefghijklmnopqrstu"} {
		if err := ValidatePrefix(p); err == nil {
			t.Errorf("%q accepted", p)
		}
	}
}
