package configs

import (
	"reflect"
	"regexp"
	"strconv"
	"strings"
)

// locator finds the line of a key in a TOML source. The decoder reports the
// line of a syntax or type error itself, but not of a key it did not know
// or of a value a Validate method refused; this reads the source the way a
// person would: table headers, then "key =" lines under them.
type locator struct {
	lines []locLine
}

type locLine struct {
	table string // the dotted table this line is in, with [n] for arrays of tables
	key   string // the key assigned on this line, or "" (a header, a comment)
	no    int
}

var (
	headerRe = regexp.MustCompile(`^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?`)
	keyRe    = regexp.MustCompile(`^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_.-]+)\s*=`)
)

func newLocator(src []byte) *locator {
	l := &locator{}
	table := ""
	counts := map[string]int{}
	for i, line := range strings.Split(string(src), "\n") {
		if m := headerRe.FindStringSubmatch(line); m != nil {
			table = normalizeKey(m[2])
			if m[1] == "[[" { // each [[x]] opens element n of array x
				base := table
				table = base + "[" + strconv.Itoa(counts[base]) + "]"
				counts[base]++
			}
			l.lines = append(l.lines, locLine{table: table, no: i + 1})
			continue
		}
		if m := keyRe.FindStringSubmatch(line); m != nil {
			l.lines = append(l.lines, locLine{table: table, key: normalizeKey(m[1]), no: i + 1})
		}
	}
	return l
}

func normalizeKey(k string) string {
	parts := strings.Split(k, ".")
	for i, p := range parts {
		parts[i] = strings.Trim(strings.TrimSpace(p), `"'`)
	}
	return strings.Join(parts, ".")
}

// indexRe matches an element index in a key path: servers[1].
var indexRe = regexp.MustCompile(`\[\d+\]`)

// line returns the line of the dotted key path (such as "upstream.timeout",
// "server.listen[1]" or "list[2].url"), or of its table when the key itself
// is not written, or 0.
func (l *locator) line(path string) int {
	// Try the path as table + key at every split, longest table first.
	parts := strings.Split(path, ".")
	for split := len(parts) - 1; split >= 0; split-- {
		table := strings.Join(parts[:split], ".")
		key := indexRe.ReplaceAllString(strings.Join(parts[split:], "."), "")
		for _, ln := range l.lines {
			if ln.key == key && (ln.table == table || indexRe.ReplaceAllString(ln.table, "") == table && !strings.Contains(table, "[")) {
				return ln.no
			}
		}
	}
	for split := len(parts); split > 0; split-- {
		table := strings.Join(parts[:split], ".")
		for _, ln := range l.lines {
			if ln.key == "" && ln.table == table {
				return ln.no
			}
		}
	}
	return 0
}

// suggest returns the key of known closest to an unknown one, if it is
// close enough to be a typo ("upstream.timout" -> "upstream.timeout").
func suggest(want string, known []string) string {
	best, bestDist := "", 3
	for _, c := range known {
		if d := editDistance(want, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// knownKeys lists the dotted keys a type accepts, from its toml tags.
func knownKeys(t reflect.Type, prefix string) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("toml"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		key := prefix + tag
		ft := f.Type
		for ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && ft.NumField() > 0 && ft.Field(0).Tag.Get("toml") != "" {
			out = append(out, knownKeys(ft, key+".")...)
			continue
		}
		out = append(out, key)
	}
	return out
}

// KnownKeys lists every key a configuration file may set, for the
// reference documentation and its completeness test.
func KnownKeys() []string { return knownKeys(reflect.TypeOf(File{}), "") }

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
