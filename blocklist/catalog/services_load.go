package catalog

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

//go:embed services.json
var servicesJSON []byte

// servicesFile is the name errors give the embedded data.
const servicesFile = "services.json"

// ServiceCatalog is a parsed and checked set of services with its matcher.
// The built-in one is loaded once, on first use; ParseServiceCatalog reads
// another (a test's, or a future feed's).
type ServiceCatalog struct {
	services []*Service          // Index order
	byID     map[string]*Service // never nil
	matcher  *Matcher            // never nil
}

// Services returns the catalog's services in Index order.
func (c *ServiceCatalog) Services() []*Service { return c.services }

// Matcher returns the catalog's compiled matcher.
func (c *ServiceCatalog) Matcher() *Matcher { return c.matcher }

// builtin is the embedded catalog. services.json is checked by the tests
// of this package, so a failure here is a broken build, not bad input: it
// panics with the file, line and problem rather than run without services.
var builtin = sync.OnceValue(func() *ServiceCatalog {
	c, err := ParseServiceCatalog(servicesFile, servicesJSON)
	if err != nil {
		panic("built-in service catalog: " + err.Error())
	}
	return c
})

// DefaultMatcher returns the matcher of the built-in catalog.
func DefaultMatcher() *Matcher { return builtin().matcher }

// fileOrigin is the "origins" object: where a source prefix points.
type fileOrigin struct {
	URL       string `json:"url"`
	License   string `json:"license"`
	Copyright string `json:"copyright,omitempty"`
}

type servicesDoc struct {
	Comment  string                `json:"comment"`
	Origins  map[string]fileOrigin `json:"origins"`
	Services []*Service            `json:"services"`
}

// ParseServiceCatalog reads a services file (name is for errors) and checks
// every rule the built-in data keeps: ids unique and well formed, three
// names, a known group, at least one domain, valid lower-case domain names
// each with a source, and no domain under two services unless marked
// shared in both. It returns every problem found, not only the first.
func ParseServiceCatalog(name string, data []byte) (*ServiceCatalog, error) {
	var doc servicesDoc
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, jsonError(name, data, dec, err)
	}
	if len(doc.Services) > MaxServices {
		return nil, fmt.Errorf("%s: %d services, more than the %d a ServiceSet holds", name, len(doc.Services), MaxServices)
	}
	errs := checkServices(name, data, &doc)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	slices.SortStableFunc(doc.Services, func(a, b *Service) int {
		if ga, gb := groupRank(a.Group), groupRank(b.Group); ga != gb {
			return ga - gb
		}
		return strings.Compare(a.ID, b.ID)
	})
	c := &ServiceCatalog{services: doc.Services, byID: make(map[string]*Service, len(doc.Services))}
	for i, s := range c.services {
		s.Index = i
		c.byID[s.ID] = s
	}
	c.matcher = newMatcher(c.services)
	return c, nil
}

func groupRank(g string) int {
	return slices.IndexFunc(groupNames, func(x struct{ id, en, fr, ar string }) bool { return x.id == g })
}

// jsonError names the line of a syntax or type error in data.
func jsonError(name string, data []byte, dec *json.Decoder, err error) error {
	off := dec.InputOffset()
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	return fmt.Errorf("%s:%d: %w", name, lineAt(data, off), err)
}

func lineAt(data []byte, off int64) int {
	off = min(max(off, 0), int64(len(data)))
	return 1 + bytes.Count(data[:off], []byte("\n"))
}

// checkServices returns one error per problem, each naming the file, the
// line of the service or domain, and what is wrong.
func checkServices(name string, data []byte, doc *servicesDoc) []error {
	var errs []error
	lines := newLineFinder(data)
	bad := func(id, what string, args ...any) {
		errs = append(errs, fmt.Errorf("%s:%d: service %q: %s", name, lines.find(`"id": "`+id+`"`), id, fmt.Sprintf(what, args...)))
	}
	seen := map[string]bool{}
	owners := map[string][]*Domain{} // domain name -> its entries in every service
	for _, s := range doc.Services {
		if !validID(s.ID) {
			bad(s.ID, "id must be lower-case letters and digits in dash-separated words")
		}
		if seen[s.ID] {
			bad(s.ID, "listed twice")
		}
		seen[s.ID] = true
		if s.Names.EN == "" || s.Names.FR == "" || s.Names.AR == "" {
			bad(s.ID, "needs names in en, fr and ar")
		}
		if !knownGroup(s.Group) {
			bad(s.ID, "unknown group %q (known: %s)", s.Group, strings.Join(Groups(), ", "))
		}
		if len(s.Domains) == 0 {
			bad(s.ID, "has no domain")
		}
		for i := range s.Domains {
			d := &s.Domains[i]
			if reason := checkDomain(d.Name); reason != "" {
				bad(s.ID, "domain %q: %s", d.Name, reason)
			}
			if len(d.Sources) == 0 {
				bad(s.ID, "domain %q has no source", d.Name)
			}
			for _, src := range d.Sources {
				if !knownSource(src, doc.Origins) {
					bad(s.ID, "domain %q: source %q is neither an https URL nor ORIGIN:REF with a known origin", d.Name, src)
				}
			}
			owners[d.Name] = append(owners[d.Name], d)
		}
	}
	for _, s := range doc.Services {
		for _, d := range s.Domains {
			if ds := owners[d.Name]; len(ds) > 1 && d.Shared == "" {
				bad(s.ID, "domain %q is listed under %d services without a \"shared\" reason", d.Name, len(ds))
			}
		}
	}
	return errs
}

// validID accepts "tiktok", "free-fire", "9gag": lower-case words of
// letters and digits joined by single dashes.
func validID(id string) bool {
	if id == "" || len(id) > 40 {
		return false
	}
	for _, w := range strings.Split(id, "-") {
		if w == "" {
			return false
		}
		for i := 0; i < len(w); i++ {
			if c := w[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
				return false
			}
		}
	}
	return true
}

// checkDomain returns why name is not a domain a service can list, or "".
// Lower case, at least two labels, letters, digits, '-' and '_' (real
// host labels carry underscores), no label starting or ending with '-',
// RFC 1035 lengths, no trailing dot: the form blocklist.Normalize gives.
func checkDomain(name string) string {
	if name == "" || len(name) > 253 {
		return "length must be 1 to 253"
	}
	labels := strings.Split(name, ".")
	if len(labels) < 2 {
		return "a bare top-level domain is not a service's own"
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return "empty label or label over 63 bytes (is there a trailing dot?)"
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return "a label starts or ends with '-'"
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return fmt.Sprintf("byte %q is not lower-case a-z, 0-9, '-' or '_'", c)
			}
		}
	}
	return ""
}

func knownSource(src string, origins map[string]fileOrigin) bool {
	if strings.HasPrefix(src, "https://") {
		return len(src) > len("https://")
	}
	origin, ref, ok := strings.Cut(src, ":")
	_, known := origins[origin]
	return ok && known && ref != ""
}

// lineFinder maps a marker to the line it first appears on, for errors.
type lineFinder struct{ data []byte }

func newLineFinder(data []byte) lineFinder { return lineFinder{data} }

func (f lineFinder) find(marker string) int {
	i := bytes.Index(f.data, []byte(marker))
	if i < 0 {
		return 0
	}
	return lineAt(f.data, int64(i))
}
