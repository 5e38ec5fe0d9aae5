package feed

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"
)

// Contact is how to reach the helpline, shown on the block page so that a
// child who meets something bad always has a way out. Every field is
// optional; the block page shows what is there.
type Contact struct {
	// Name of the helpline, by language ({"fr": ..., "ar": ..., "en": ...}).
	Name Localized `json:"name,omitempty"`
	// Phone is a number to call, digits with an optional leading '+' and
	// spaces, dots, dashes or parentheses between them ("+212 5 37 00 00 00").
	Phone string `json:"phone,omitempty"`
	// WhatsApp is a number reachable on WhatsApp, written like Phone.
	WhatsApp string `json:"whatsapp,omitempty"`
	// WebChat is the https URL of the helpline's web chat.
	WebChat string `json:"web_chat,omitempty"`
	// Web is the https URL of the helpline's site.
	Web string `json:"web,omitempty"`
	// Email is an address to write to.
	Email string `json:"email,omitempty"`
	// Hours says when someone answers ("24/7"), by language.
	Hours Localized `json:"hours,omitempty"`
	// Note is a sentence for the block page ("free and confidential"), by language.
	Note Localized `json:"note,omitempty"`
	// Domains are the helpline's own domain names, which an appliance must
	// never block, not even at bedtime; lower-case, without a trailing dot.
	Domains []string `json:"domains,omitempty"`
}

// Localized is a text by language tag ("fr", "ar", "en", "fr-MA"): tags are
// 2 or 3 lower-case letters, optionally followed by '-' and a region or
// script; texts are at most 500 bytes of UTF-8.
type Localized map[string]string

// DecodeContact reads a contact object strictly (the same JSON as the
// manifest's "contact" field), as amane-helpline's --contact file.
func DecodeContact(r io.Reader) (Contact, error) {
	var c Contact
	dec := json.NewDecoder(io.LimitReader(r, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Contact{}, fmt.Errorf("decoding contact: %w", err)
	}
	if err := c.Validate(); err != nil {
		return Contact{}, fmt.Errorf("invalid contact: %w", err)
	}
	return c, nil
}

// Validate returns every problem with c, each naming its field.
func (c Contact) Validate() error {
	var errs []error
	for field, l := range map[string]Localized{"name": c.Name, "hours": c.Hours, "note": c.Note} {
		if err := l.validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", field, err))
		}
	}
	for field, v := range map[string]string{"phone": c.Phone, "whatsapp": c.WhatsApp} {
		if v != "" && !isPhone(v) {
			errs = append(errs, fmt.Errorf("%s: %q is not a phone number (digits, a leading '+', spaces, '.', '-', '(', ')')", field, clip(v)))
		}
	}
	for field, v := range map[string]string{"web_chat": c.WebChat, "web": c.Web} {
		if u, err := url.Parse(v); v != "" && (err != nil || u.Scheme != "https" || u.Host == "" || len(v) > 500) {
			errs = append(errs, fmt.Errorf("%s: %q is not an https URL", field, clip(v)))
		}
	}
	if at := strings.IndexByte(c.Email, '@'); c.Email != "" && (at < 1 || at == len(c.Email)-1 || len(c.Email) > 254 || strings.ContainsAny(c.Email, " <>\"\r\n")) {
		errs = append(errs, fmt.Errorf("email: %q is not an address", clip(c.Email)))
	}
	for i, d := range c.Domains {
		if !isDomain(d) {
			errs = append(errs, fmt.Errorf("domains[%d]: %q is not a lower-case domain name without a trailing dot", i, clip(d)))
		}
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() }) // maps iterate at random
	return errors.Join(errs...)
}

func (l Localized) validate() error {
	for tag, text := range l {
		base, region, _ := strings.Cut(tag, "-")
		if len(base) < 2 || len(base) > 3 || strings.Trim(base, "abcdefghijklmnopqrstuvwxyz") != "" ||
			strings.Contains(tag, "-") && (region == "" || len(region) > 8 || !isAlnumString(region)) {
			return fmt.Errorf("%q is not a language tag (\"fr\", \"ar\", \"en\", \"fr-MA\")", clip(tag))
		}
		if text == "" || len(text) > 500 || !utf8.ValidString(text) {
			return fmt.Errorf("%s: the text must be 1 to 500 bytes of UTF-8", tag)
		}
	}
	return nil
}

func isPhone(s string) bool {
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0, strings.ContainsRune(" .-()", r):
		default:
			return false
		}
	}
	return digits >= 3 && digits <= 20 && len(s) <= 40
}

func isDomain(s string) bool {
	if s == "" || len(s) > 253 || strings.ToLower(s) != s || strings.ContainsAny(s, " /\\_:@") {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || !isAlnumString(label[:1]) || strings.Trim(label, idChars) != "" {
			return false
		}
	}
	return true
}

func isAlnumString(s string) bool {
	for i := range len(s) {
		if !isAlnum(s[i]) {
			return false
		}
	}
	return s != ""
}
