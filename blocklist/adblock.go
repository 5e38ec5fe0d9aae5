package blocklist

import "bytes"

// adblockLine parses one line of AdGuard / Adblock Plus DNS filter syntax
// (the subset AdGuard Home documents for DNS, see its "Hosts Blocklists"
// wiki page):
//
//	||x^  ||x^|  ||x      block x and its subdomains
//	@@||x^                allow x and its subdomains
//	|x^  ://x^            exactly x (the host anchor)
//	.x^  ||*.x^           strictly below x
//	x^  x                 x and its subdomains (bare names, approximated)
//
// Comments start with '!' and, in lists compiled from hosts sources, '#';
// "[Adblock Plus 2.0]" is a header. Everything a DNS filter cannot honour is
// counted under its own reason and skipped, never fatal: /regex/ rules,
// cosmetic rules (##, #@#, #$#...), globs inside a name, URL paths and
// fragments, $dnsrewrite (safe search is built into the policy instead),
// and modifiers that restrict a rule to some clients or types.
//
// Two modifiers are treated with a parental filter's bias, which is to
// block rather than let through: $important is kept as an ordinary block
// (its priority over exceptions is lost, counted as NoteImportant), and a
// $badfilter rule is skipped, so the rule it would disable stays active.
// Honouring $badfilter would need the whole list before the first rule
// could be emitted, which the streaming parser does not keep.
func (p *parser) adblockLine(line []byte) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return
	}
	switch line[0] {
	case '!', '[':
		return
	case '#':
		if isCosmetic(line) {
			p.skip(ReasonCosmetic)
		}
		return
	}
	kind := Block
	if rest, ok := bytes.CutPrefix(line, []byte("@@")); ok {
		kind, line = Exception, rest
	}
	if len(line) > 0 && line[0] == '/' {
		p.skip(ReasonRegex)
		return
	}
	if isCosmetic(line) {
		p.skip(ReasonCosmetic)
		return
	}
	pattern, mods, _ := bytes.Cut(line, []byte{'$'})
	note := modifiersReason(mods)
	if note.Skips() {
		p.skip(note)
		return
	}
	field, scope, r := adblockPattern(pattern)
	if r != ReasonNone {
		p.skip(r)
		return
	}
	if name, ok := p.normal(field); ok {
		if note != ReasonNone {
			p.skip(note)
		}
		p.emit(name, kind, scope)
	}
}

// isCosmetic reports whether a line is an element-hiding, scriptlet or
// other browser-only rule: its separators never occur in a DNS rule.
func isCosmetic(line []byte) bool {
	if bytes.IndexByte(line, '#') < 0 && !bytes.Contains(line, []byte("$$")) {
		return false
	}
	for _, sep := range []string{"##", "#@#", "#$#", "#?#", "#%#", "$$", "#@$#", "#@?#"} {
		if bytes.Contains(line, []byte(sep)) {
			return true
		}
	}
	return false
}

// modifiersReason classifies the text after '$'. It returns a skipping
// reason, NoteImportant, or ReasonNone when there are no modifiers.
func modifiersReason(mods []byte) Reason {
	r := ReasonNone
	for len(mods) > 0 {
		var m []byte
		m, mods, _ = bytes.Cut(mods, []byte{','})
		key, _, _ := bytes.Cut(bytes.TrimSpace(m), []byte{'='})
		switch string(bytes.ToLower(key)) {
		case "":
		case "important":
			r = NoteImportant
		case "badfilter":
			return ReasonBadfilter
		case "dnsrewrite":
			return ReasonRewrite
		default:
			return ReasonModifier
		}
	}
	return r
}

// adblockPattern reduces a rule's pattern (modifiers removed) to a host
// name and a scope, or says why it is not a whole host name.
func adblockPattern(pat []byte) ([]byte, Scope, Reason) {
	scope, anchored := Subtree, true
	switch {
	case bytes.HasPrefix(pat, []byte("||")):
		pat = pat[2:]
	case bytes.HasPrefix(pat, []byte("://")):
		pat, scope = pat[3:], Exact
	case bytes.HasPrefix(pat, []byte("|")):
		pat, scope = pat[1:], Exact
		if i := bytes.Index(pat, []byte("://")); i >= 0 {
			pat = pat[i+3:]
		}
	case bytes.HasPrefix(pat, []byte(".")):
		pat, scope = pat[1:], Subdomains
	default:
		anchored = false
	}
	name, tail := pat, []byte(nil)
	if i := bytes.IndexAny(pat, "^|/:?"); i >= 0 {
		name, tail = pat[:i], pat[i:]
	}
	if r := adblockTail(tail); r != ReasonNone {
		return nil, scope, r
	}
	if rest, ok := bytes.CutPrefix(name, []byte("*.")); ok && scope == Subtree {
		name, scope = rest, Subdomains
	}
	switch {
	case bytes.IndexByte(name, '*') >= 0:
		return nil, scope, ReasonGlob
	case len(tail) == 0 && bytes.HasSuffix(name, []byte(".")):
		// "||fxhpaoxqyajvmdg." matches "fxhpaoxqyajvmdg.<any TLD>".
		return nil, scope, ReasonPattern
	case !anchored && len(tail) == 0 && bytes.IndexByte(name, '.') < 0:
		// "-ad123-": a URL fragment, not a TLD.
		return nil, scope, ReasonPattern
	}
	return name, scope, ReasonNone
}

// adblockTail checks what follows the host name: nothing, or the separator
// '^' and end anchor '|'. A path or a port makes the rule a URL rule.
func adblockTail(tail []byte) Reason {
	switch string(tail) {
	case "", "^", "^|", "|":
		return ReasonNone
	}
	if tail[0] == '/' || tail[0] == ':' || tail[0] == '?' {
		return ReasonURL
	}
	return ReasonPattern
}
