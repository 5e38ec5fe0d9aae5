package policy

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Search engines whose safe mode is forced by answering their safe host's
// address for their ordinary names: each publishes such a host for
// networks that want it (schools, families).
const (
	engGoogle uint16 = 1 << iota
	engYouTubeStrict
	engYouTubeModerate
	engBing
	engDuckDuckGo
	engBrave
	engEcosia
	engYandex
	engPixabay
	engAll = engGoogle | engYouTubeStrict | engBing | engDuckDuckGo | engBrave | engEcosia | engYandex | engPixabay
)

var engineIDs = map[string]uint16{
	"google": engGoogle, "youtube-strict": engYouTubeStrict, "youtube-moderate": engYouTubeModerate,
	"bing": engBing, "duckduckgo": engDuckDuckGo, "brave": engBrave, "ecosia": engEcosia,
	"yandex": engYandex, "pixabay": engPixabay,
}

// engineNames are the exact names each engine is reached by, and the safe
// host they are answered with. Google and Yandex have a domain per country
// and are matched by shape in safeTarget instead.
var engineNames = map[string]struct {
	engine uint16
	target string
}{
	"www.youtube.com":          {engYouTubeStrict | engYouTubeModerate, ""},
	"m.youtube.com":            {engYouTubeStrict | engYouTubeModerate, ""},
	"youtubei.googleapis.com":  {engYouTubeStrict | engYouTubeModerate, ""},
	"youtube.googleapis.com":   {engYouTubeStrict | engYouTubeModerate, ""},
	"www.youtube-nocookie.com": {engYouTubeStrict | engYouTubeModerate, ""},
	"www.bing.com":             {engBing, "strict.bing.com"},
	"duckduckgo.com":           {engDuckDuckGo, "safe.duckduckgo.com"},
	"www.duckduckgo.com":       {engDuckDuckGo, "safe.duckduckgo.com"},
	"start.duckduckgo.com":     {engDuckDuckGo, "safe.duckduckgo.com"},
	"search.brave.com":         {engBrave, "forcesafe.search.brave.com"},
	"www.ecosia.org":           {engEcosia, "strict-safe-search.ecosia.org"},
	"pixabay.com":              {engPixabay, "safesearch.pixabay.com"},
}

// SafeSearchSpec is a profile's safe_search: true (every engine, YouTube
// strict), false, or a list of engine ids.
type SafeSearchSpec struct{ engines uint16 }

// UnmarshalTOML reads a boolean or an array of engine ids.
func (s *SafeSearchSpec) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case bool:
		if v {
			s.engines = engAll
		}
	case []any:
		for _, x := range v {
			id, _ := x.(string)
			e, ok := engineIDs[id]
			if !ok {
				return fmt.Errorf("%v is not google, youtube-strict, youtube-moderate, bing, duckduckgo, brave, ecosia, yandex or pixabay", x)
			}
			s.engines |= e
		}
	default:
		return fmt.Errorf("want true, false or a list of engines, not %T", v)
	}
	return nil
}

// SafeSearch returns the spec for the given engine ids ("all" for every
// engine), for code and tests that build a Config by hand.
func SafeSearch(ids ...string) SafeSearchSpec {
	var s SafeSearchSpec
	for _, id := range ids {
		if id == "all" {
			s.engines |= engAll
		}
		s.engines |= engineIDs[id]
	}
	return s
}

// safeTarget returns the safe host that name is answered with under the
// enabled engines, or "".
func safeTarget(name string, engines uint16) string {
	if engines == 0 {
		return ""
	}
	if e, ok := engineNames[name]; ok && e.engine&engines != 0 {
		switch {
		case e.target != "":
			return e.target
		case engines&engYouTubeStrict != 0:
			return "restrict.youtube.com"
		default:
			return "restrictmoderate.youtube.com"
		}
	}
	host := strings.TrimPrefix(name, "www.")
	switch {
	case engines&engGoogle != 0 && countryDomain(host, "google."):
		return "forcesafesearch.google.com"
	case engines&engYandex != 0 && countryDomain(host, "yandex."):
		return "familysearch.yandex.ru"
	}
	return ""
}

// countryDomain reports whether host is brand followed by a country or
// generic suffix: "google.com", "google.fr", "google.co.ma", "google.com.br".
func countryDomain(host, brand string) bool {
	rest, ok := strings.CutPrefix(host, brand)
	if !ok {
		return false
	}
	first, last, two := strings.Cut(rest, ".")
	if !two {
		return rest == "com" || isCountryCode(rest)
	}
	return (first == "co" || first == "com") && isCountryCode(last)
}

func isCountryCode(s string) bool {
	if len(s) != 2 {
		return false
	}
	return 'a' <= s[0] && s[0] <= 'z' && 'a' <= s[1] && s[1] <= 'z'
}

// MarshalTOML writes the spec as UnmarshalTOML reads it, for the
// console's settings file: true, false, or the engines' ids.
func (s SafeSearchSpec) MarshalTOML() ([]byte, error) {
	switch s.engines {
	case engAll:
		return []byte("true"), nil
	case 0:
		return []byte("false"), nil
	}
	var ids []string
	for id, e := range engineIDs {
		if s.engines&e != 0 {
			ids = append(ids, strconv.Quote(id))
		}
	}
	slices.Sort(ids)
	return []byte("[" + strings.Join(ids, ", ") + "]"), nil
}

// On reports whether the spec forces any engine's safe mode.
func (s SafeSearchSpec) On() bool { return s.engines != 0 }
