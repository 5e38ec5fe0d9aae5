package feed

import (
	"errors"
	"fmt"
	"strings"
)

// Validate checks every field of m against its documented invariants and
// lim, and returns every problem found, each naming the field.
func (m Manifest) Validate(lim Limits) error {
	lim = lim.withDefaults()
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if m.Schema != SchemaVersion {
		bad("schema is %d; this reader knows schema %d only", m.Schema, SchemaVersion)
	}
	if err := checkName(m.Name); err != nil {
		bad("name: %w", err)
	}
	if m.Version == 0 {
		bad("version must be at least 1")
	}
	if m.Issued.IsZero() || m.Expires.IsZero() {
		bad("issued and expires are both required")
	} else if !m.Issued.Before(m.Expires) {
		bad("expires (%s) must be after issued (%s)", m.Expires.Format(timeFormat), m.Issued.Format(timeFormat))
	}
	errs = append(errs, validateLists(m.Lists, lim)...)
	if m.Contact != nil {
		if err := m.Contact.Validate(); err != nil {
			bad("contact: %w", err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("invalid %s: %w", ManifestFile, err)
	}
	return nil
}

// validateLists checks each list, their names' uniqueness and their sizes.
func validateLists(lists []List, lim Limits) []error {
	var errs []error
	if len(lists) > lim.MaxLists {
		errs = append(errs, fmt.Errorf("%d lists, over the limit of %d", len(lists), lim.MaxLists))
	}
	seen := map[string]bool{}
	var total int64
	for i, l := range lists {
		if err := l.validate(lim); err != nil {
			errs = append(errs, fmt.Errorf("lists[%d]: %w", i, err))
			continue
		}
		if key := strings.ToLower(l.File); seen[key] {
			errs = append(errs, fmt.Errorf("lists[%d]: file %q is listed twice (names are compared ignoring case)", i, l.File))
		}
		seen[strings.ToLower(l.File)] = true
		total += l.Size
	}
	if total > lim.MaxTotalBytes {
		errs = append(errs, fmt.Errorf("the list files add up to %d bytes, over the limit of %d: %w", total, lim.MaxTotalBytes, ErrTooLarge))
	}
	return errs
}

const timeFormat = "2006-01-02T15:04:05Z07:00"

func (l List) validate(lim Limits) error {
	if err := CheckFileName(l.File); err != nil {
		return err
	}
	switch {
	case l.Size <= 0:
		return fmt.Errorf("file %q: size must be at least 1, not %d", l.File, l.Size)
	case l.Size > lim.MaxFileBytes:
		return fmt.Errorf("file %q: size %d is over the limit of %d bytes: %w", l.File, l.Size, lim.MaxFileBytes, ErrTooLarge)
	case len(l.SHA256) != 64 || strings.Trim(l.SHA256, "0123456789abcdef") != "":
		return fmt.Errorf("file %q: sha256 must be 64 lower-case hex digits, not %q", l.File, clip(l.SHA256))
	case l.Mandatory && l.Watch:
		return fmt.Errorf("file %q: a list cannot be both mandatory and watch (watch lists never block)", l.File)
	}
	if err := checkID(l.Category); err != nil {
		return fmt.Errorf("file %q: category: %w", l.File, err)
	}
	if err := checkID(l.Format); err != nil {
		return fmt.Errorf("file %q: format: %w", l.File, err)
	}
	return nil
}

// CheckFileName reports whether name may be a list file's name: a plain
// name that is safe as a path element and in a URL on every system.
func CheckFileName(name string) error {
	switch {
	case name == "":
		return errors.New("file name is empty")
	case len(name) > 128:
		return fmt.Errorf("file name %q is longer than 128 bytes", clip(name))
	case !isAlnum(name[0]):
		return fmt.Errorf("file name %q must start with a letter or a digit (no path, no hidden file)", clip(name))
	case strings.Trim(name, idChars+"ABCDEFGHIJKLMNOPQRSTUVWXYZ.") != "":
		return fmt.Errorf("file name %q may hold only letters, digits, '.', '_' and '-' (no path)", clip(name))
	case strings.EqualFold(name, ManifestFile) || strings.EqualFold(name, SignatureFile):
		return fmt.Errorf("file name %q is reserved", name)
	}
	return nil
}

const idChars = "abcdefghijklmnopqrstuvwxyz0123456789_-"

// checkName checks a feed name.
func checkName(s string) error {
	switch {
	case s == "":
		return errors.New("required")
	case len(s) > 64:
		return fmt.Errorf("%q is longer than 64 bytes", clip(s))
	case !isAlnum(s[0]) || strings.Trim(s, idChars+".") != "" || strings.ToLower(s) != s:
		return fmt.Errorf("%q: use a-z, 0-9, '.', '_' and '-', starting with a letter or a digit", clip(s))
	}
	return nil
}

// checkID checks a category or format id; the caller knows the real sets.
func checkID(s string) error {
	if s == "" || len(s) > 32 || strings.Trim(s, idChars) != "" {
		return fmt.Errorf("%q is not an id (1 to 32 of a-z, 0-9, '_', '-')", clip(s))
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// clip shortens what an error quotes from outside input.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
