package web

import (
	"crypto/subtle"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// CSRFField is the name of the hidden form field that carries the CSRF
// token; an API call sends it as the X-CSRF-Token header instead.
const CSRFField = "csrf"

// CSRFHeader is the header an API call carries its CSRF token in (the
// token GET /api/v1/session returns).
const CSRFHeader = "X-CSRF-Token"

// Middleware wraps a handler.
type Middleware = func(http.Handler) http.Handler

// Chain returns h wrapped by mw, the first the outermost.
func Chain(h http.Handler, mw ...Middleware) http.Handler {
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h
}

// refuse answers a refused request: JSON for an API call, text for a page.
func refuse(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if IsAPI(r) {
		WriteJSONError(w, status, errors.New(msg))
		return
	}
	http.Error(w, msg, status)
}

// CSRF refuses, with 403, a state change (any method but GET, HEAD and
// OPTIONS) that comes from another site, by two independent checks:
//
//   - the browser's word: Sec-Fetch-Site, or else Origin against Host
//     (net/http's CrossOriginProtection), so a page elsewhere on the LAN
//     or the internet cannot post a form here;
//   - the session's token: when the request has a session (Require ran
//     first), it must carry that session's token in the X-CSRF-Token
//     header or the csrf form field, compared in constant time.
//
// GET handlers must not change state; this wrapper is what makes that rule
// a defence. A login form has no session yet and gets the first check.
func CSRF(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		refuse(w, r, http.StatusForbidden, "cross-site request refused")
	}))
	return cop.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		if sess := SessionFrom(r.Context()); sess != nil {
			tok := r.Header.Get(CSRFHeader)
			if tok == "" {
				tok = r.PostFormValue(CSRFField)
			}
			if subtle.ConstantTimeCompare([]byte(tok), []byte(sess.CSRF)) != 1 {
				refuse(w, r, http.StatusForbidden, "missing or wrong CSRF token: reload the page")
				return
			}
		}
		next.ServeHTTP(w, r)
	}))
}

// HostCheck is the DNS-rebinding defence: a page on evil.example whose
// name an attacker re-points at the appliance's address still sends
// "Host: evil.example", so only the console's own names and addresses are
// served. Any other Host goes to other: the block page (issue 12) on the
// parents' console, or nil for 421 Misdirected Request.
type HostCheck struct {
	names map[string]bool
	addrs map[netip.Addr]bool
	other http.Handler
}

// NewHostCheck allows the given host names (case-insensitive, "amane.lan")
// and IP addresses ("192.168.1.2", "::1"), with any port.
func NewHostCheck(allowed []string, other http.Handler) *HostCheck {
	hc := &HostCheck{names: map[string]bool{}, addrs: map[netip.Addr]bool{}, other: other}
	for _, a := range allowed {
		if ip, err := netip.ParseAddr(strings.Trim(a, "[]")); err == nil {
			hc.addrs[ip.Unmap().WithZone("")] = true
		} else {
			hc.names[strings.TrimSuffix(strings.ToLower(a), ".")] = true
		}
	}
	return hc
}

// Allowed reports whether a Host header names the console.
func (hc *HostCheck) Allowed(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if ip, err := netip.ParseAddr(host); err == nil {
		return hc.addrs[ip.Unmap().WithZone("")]
	}
	return host != "" && hc.names[strings.TrimSuffix(strings.ToLower(host), ".")]
}

// Wrap returns next behind the check.
func (hc *HostCheck) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case hc.Allowed(r.Host):
			next.ServeHTTP(w, r)
		case hc.other != nil:
			hc.other.ServeHTTP(w, r)
		default:
			http.Error(w, "this server does not answer for "+r.Host, http.StatusMisdirectedRequest)
		}
	})
}

// ContentSecurityPolicy is the policy of every page: scripts and styles
// only from the console's own files (no inline script, no eval), nothing
// from elsewhere, no framing, forms posting only here, and Trusted Types
// so a script cannot write HTML from a string.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'; " +
	"require-trusted-types-for 'script'; trusted-types 'none'"

// Headers sets the security headers of every answer. Cache-Control is
// no-store unless the handler says otherwise (the assets do): a shared
// family tablet must not show the console from its cache after logout.
func Headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// ClientAddr returns the address a request came from, for throttling. The
// consoles listen on the LAN with no proxy in front, so X-Forwarded-For is
// never trusted: any browser could write it.
func ClientAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}
