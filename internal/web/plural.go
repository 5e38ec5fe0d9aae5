package web

// Plural forms are the CLDR categories (Unicode CLDR, "Language Plural
// Rules"); a catalog's plural message holds one text per form of its
// language, and the catalog test fails when one is missing.
const (
	Zero  = "zero"
	One   = "one"
	Two   = "two"
	Few   = "few"
	Many  = "many"
	Other = "other"
)

// PluralForms returns the plural forms of lang, in CLDR order.
func PluralForms(lang Lang) []string {
	switch lang {
	case Arabic:
		return []string{Zero, One, Two, Few, Many, Other}
	case French:
		return []string{One, Many, Other}
	default:
		return []string{One, Other}
	}
}

// PluralForm returns the CLDR plural form of the integer n in lang. Counts
// shown in the consoles are whole numbers (devices, minutes, attempts), so
// only the integer rules (v = 0) are needed.
func PluralForm(lang Lang, n int) string {
	if n < 0 {
		n = -n // CLDR rules apply to the absolute value
	}
	switch lang {
	case Arabic:
		switch r := n % 100; {
		case n == 0:
			return Zero
		case n == 1:
			return One
		case n == 2:
			return Two
		case r >= 3 && r <= 10:
			return Few
		case r >= 11 && r <= 99:
			return Many
		}
		return Other // 100-102, 200-202, ...
	case French:
		// "i = 0,1" is one: French says "0 appareil", unlike English.
		// "many" is the millions ("1 000 000 d'appareils").
		switch {
		case n == 0 || n == 1:
			return One
		case n%1000000 == 0:
			return Many
		}
		return Other
	default:
		if n == 1 {
			return One
		}
		return Other
	}
}
