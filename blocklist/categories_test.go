package blocklist

import (
	"fmt"
	"testing"
)

// TestCategoryIDsAreStable pins every id to its number: they are stored on
// disk and sent to the helpline, so changing one is a breaking change.
func TestCategoryIDsAreStable(t *testing.T) {
	want := []string{"abuse", "cyberviolence", "adult", "gambling", "games", "social", "video", "chat",
		"dating", "drugs", "violence", "weapons", "malware", "phishing", "scam", "bypass", "ads", "trackers", "other"}
	if int(NumCategories) != len(want) {
		t.Fatalf("NumCategories = %d, want %d", NumCategories, len(want))
	}
	for i, id := range want {
		t.Run(fmt.Sprintf("%s keeps number %d", id, i), func(t *testing.T) {
			c := Category(i)
			if c.String() != id {
				t.Errorf("Category(%d) = %q, want %q", i, c, id)
			}
			if p, err := ParseCategory(" " + id + " "); err != nil || p != c {
				t.Errorf("ParseCategory(%q) = %v, %v", id, p, err)
			}
		})
	}
}

func TestCategoryLabels(t *testing.T) {
	for c := range NumCategories {
		t.Run(c.String()+" has three distinct labels", func(t *testing.T) {
			en, fr, ar := c.Label("en"), c.Label("fr-MA"), c.Label("ar")
			if en == "" || fr == "" || ar == "" || ar == en {
				t.Errorf("labels en %q fr %q ar %q", en, fr, ar)
			}
			if c.Label("de") != en || c.Label("") != en {
				t.Errorf("an unknown language does not fall back to English")
			}
		})
	}
}

func TestCategories(t *testing.T) {
	t.Run("a set holds what was added and prints it in order", func(t *testing.T) {
		s := Categories(0).Add(Gambling).Add(Adult).Add(Adult)
		if !s.Has(Adult) || !s.Has(Gambling) || s.Has(Ads) || s.Len() != 2 {
			t.Fatalf("set %b", s)
		}
		if s.String() != "adult,gambling" {
			t.Errorf("String = %q", s)
		}
		if s.Remove(Adult) != CategoriesOf(Gambling) {
			t.Errorf("Remove")
		}
	})
	t.Run("parsing is the inverse of printing", func(t *testing.T) {
		s := CategoriesOf(Abuse, Bypass, Other)
		p, err := ParseCategories(s.String())
		if err != nil || p != s {
			t.Errorf("ParseCategories(%q) = %v, %v", s, p, err)
		}
		if p, err := ParseCategories("none"); err != nil || p != 0 {
			t.Errorf("none = %v, %v", p, err)
		}
	})
	t.Run("an unknown id is an error", func(t *testing.T) {
		if _, err := ParseCategory("porn"); err == nil {
			t.Error("no error")
		}
		if _, err := ParseCategories("adult,porn"); err == nil {
			t.Error("no error")
		}
	})
	t.Run("invalid categories are ignored", func(t *testing.T) {
		if Categories(0).Add(NumCategories) != 0 || Categories(0).Has(200) {
			t.Error("an invalid category changed the set")
		}
	})
}
