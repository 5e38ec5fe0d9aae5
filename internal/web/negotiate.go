package web

import (
	"net/http"
	"strconv"
	"strings"
)

// LangCookie is the cookie that remembers a visitor's explicit choice of
// language across visits.
const LangCookie = "lang"

// Negotiate returns the language of a request: an explicit choice first
// (the query's ?lang=, then the lang cookie), then the first language of
// Accept-Language, by weight, that the consoles speak, then English.
func Negotiate(r *http.Request) Lang {
	if l, ok := parseLang(r.URL.Query().Get("lang")); ok {
		return l
	}
	if c, err := r.Cookie(LangCookie); err == nil {
		if l, ok := parseLang(c.Value); ok {
			return l
		}
	}
	if l, ok := AcceptLanguage(r.Header.Get("Accept-Language")); ok {
		return l
	}
	return English
}

// RememberLang is the wrapper of a console's routes that sets the lang
// cookie when a request chose a language with ?lang=, so that the choice
// holds on the next pages and visits. It is a preference, not a
// credential, but no script needs to read it. The block page leaves it
// out: it sets no cookie on a name that is not the console's.
func RememberLang(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if l, ok := parseLang(r.URL.Query().Get("lang")); ok {
			http.SetCookie(w, &http.Cookie{
				Name: LangCookie, Value: string(l), Path: "/",
				MaxAge: 365 * 24 * 3600, HttpOnly: true, SameSite: http.SameSiteStrictMode,
				Secure: r.TLS != nil,
			})
		}
		next.ServeHTTP(w, r)
	})
}

// AcceptLanguage picks, from an Accept-Language header (RFC 9110 §12.5.4),
// the offered language with the highest weight; among equal weights the
// first listed wins. Regional tags match their language ("ar-MA" is ar);
// "*" and unknown languages match nothing. ok is false when nothing matched.
func AcceptLanguage(header string) (lang Lang, ok bool) {
	best := -1.0
	for part := range strings.SplitSeq(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		for p := range strings.SplitSeq(params, ";") {
			k, v, found := strings.Cut(strings.TrimSpace(p), "=")
			if found && strings.EqualFold(strings.TrimSpace(k), "q") {
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil || f < 0 || f > 1 {
					f = 0
				}
				q = f
			}
		}
		primary, _, _ := strings.Cut(strings.TrimSpace(tag), "-")
		l, known := parseLang(primary)
		if known && q > 0 && q > best {
			lang, best, ok = l, q, true
		}
	}
	return lang, ok
}
