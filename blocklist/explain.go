package blocklist

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"runtime"
	"strings"
)

// Hit is one rule met while explaining a lookup: a suffix of the query that
// a list names, and what it says at that position.
type Hit struct {
	// Name is the suffix of the query the rule names.
	Name string
	// Self is set when Name is the whole query, not a parent of it.
	Self bool
	// Categories block at this position (none for a pure exception).
	Categories Categories
	// Exception is set when an exception covers this position.
	Exception bool
	// Hashed is set when the rule came from a hashed list.
	Hashed bool
	// List is the list of the cited rule, and Rule the rule itself. When
	// several lists name the same suffix, the Set keeps one citation: an
	// exception before a block, then the first list, then the first line.
	List ListInfo
	Rule RuleRef
}

// Explanation says why a name is blocked, allowed or neither: the Match and
// every rule that played a part, most specific first. It is for `amane
// explain` and the admin UI, not the hot path: it allocates.
type Explanation struct {
	Name  string // the query, folded as Lookup folds it
	Match Match
	Hits  []Hit
}

// Explain returns the Lookup of name with every rule met on the way.
func (s *Set) Explain(name string) Explanation {
	var buf [MaxNameLength]byte
	q, whole := foldName(&buf, name)
	e := Explanation{Name: string(q), Match: s.lookup(name, true)}
	if s == nil || len(q) == 0 {
		return e
	}
	e.Hits = append(e.Hits, s.hits(q, whole)...)
	for i := 0; i < len(q); i++ {
		if q[i] == '.' {
			e.Hits = append(e.Hits, s.hits(q[i+1:], false)...)
		}
	}
	runtime.KeepAlive(s) // as in lookup
	return e
}

// hits returns what the clear and the hashed table say about one suffix.
func (s *Set) hits(suffix []byte, self bool) []Hit {
	var out []Hit
	add := func(t *table, k uint64, hashed bool) {
		cats, allow, ref, ok := s.at(t, t.find(k), self, true)
		if !ok {
			return
		}
		out = append(out, Hit{Name: string(suffix), Self: self, Categories: cats, Exception: allow,
			Hashed: hashed, List: s.lists[ref.List], Rule: ref})
	}
	add(&s.names, fingerprint(s.seed, suffix), false)
	if s.hashed.len() > 0 {
		d := sha256.Sum256(suffix)
		add(&s.hashed, binary.BigEndian.Uint64(d[:8]), true)
	}
	return out
}

// String says it in one paragraph, for people:
//
//	www.example.com: listed as ads, by example.com in list "hagezi-light" line 120
func (e Explanation) String() string {
	var b strings.Builder
	switch m := e.Match; {
	case !m.Matched():
		fmt.Fprintf(&b, "%s: not listed", e.Name)
	case m.Exception:
		fmt.Fprintf(&b, "%s: allowed by an exception", e.Name)
	default:
		fmt.Fprintf(&b, "%s: listed as %s", e.Name, m.Categories)
	}
	if m := e.Match; m.Allowed != 0 {
		fmt.Fprintf(&b, "; the exception lifts %s", m.Allowed)
	}
	for _, h := range e.Hits {
		verb := "blocks (" + h.Categories.String() + ")"
		if h.Exception {
			verb = "allows"
		}
		where := "it"
		if !h.Self {
			where = "its subdomains"
		}
		name := h.Name
		if h.Hashed {
			name += " (hashed)"
		}
		fmt.Fprintf(&b, "\n  %s %s %s: list %q (%s) line %d",
			name, verb, where, h.List.Name, h.List.Category, h.Rule.Line)
	}
	return b.String()
}
