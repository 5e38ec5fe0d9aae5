package console

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzSafeNext: whatever ?next= holds, the login redirects only to a path
// on this console, never to another host.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/", "/stats?lang=ar", "//evil.example/", "https://evil.example/", `/\evil.example`, "javascript:alert(1)", "", "/domains/a.example#history"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		if got == "" {
			return
		}
		u, err := url.Parse(got)
		if err != nil || u.Host != "" || u.Scheme != "" || !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.Contains(got, `\`) {
			t.Fatalf("safeNext(%q) = %q: not a path on this console", next, got)
		}
	})
}
