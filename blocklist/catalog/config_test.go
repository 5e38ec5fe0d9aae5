package catalog

import (
	"errors"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/amane-dns/amane/internal/fielderr"
)

func off() *bool { f := false; return &f }

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		c    Config
		want []string // "key: part of the message", one per problem; none for a valid Config
	}{
		{"the zero Config is valid", Config{}, nil},
		{"a mirror, a switched-off category and a picked source are valid", Config{
			Mirror: "https://helpline.example/catalog/",
			Category: map[string]CategoryConfig{
				"games": {Enabled: off()}, "adult": {Source: "ut1-adult"}, "abuse": {Enabled: off()},
			}}, nil},
		{"a plain-http mirror on a school's LAN is valid", Config{Mirror: "http://10.0.0.2:8080/lists"}, nil},
		{"a mirror that is not http is refused", Config{Mirror: "ftp://helpline.example/"}, []string{"mirror: \"ftp://helpline.example/\": only http:// and https://"}},
		{"a mirror without a host is refused", Config{Mirror: "https:///catalog"}, []string{"mirror: \"https:///catalog\": no host"}},
		{"a mirror with a query is refused", Config{Mirror: "https://h.example/c?x=1"}, []string{`mirror: "https://h.example/c?x=1": no query`}},
		{"an unknown category is refused, with the ids", Config{Category: map[string]CategoryConfig{"porn": {Enabled: off()}}},
			[]string{`category.porn: "porn" is not a category id (one of abuse, cyberviolence, adult`}},
		{"a category id is written as the taxonomy writes it", Config{Category: map[string]CategoryConfig{"Adult": {}}},
			[]string{"category.Adult: "}},
		{"an unknown source is refused, with the category's sources", Config{Category: map[string]CategoryConfig{"adult": {Source: "oisd-nsfw"}}},
			[]string{`category.adult.source: "oisd-nsfw" is not a catalog source; adult has hagezi-nsfw, hagezi-nsfw-adblock, ut1-adult, blp-porn`}},
		{"another category's source is refused", Config{Category: map[string]CategoryConfig{"gambling": {Source: "hagezi-nsfw"}}},
			[]string{`category.gambling.source: "hagezi-nsfw" fills adult, not gambling`}},
		{"a source for a category without any says so", Config{Category: map[string]CategoryConfig{"abuse": {Source: "x"}}},
			[]string{`category.abuse.source: "x" is not a catalog source; the catalog has no source for abuse`}},
		{"a source picked in a switched-off category is refused", Config{Category: map[string]CategoryConfig{"adult": {Source: "ut1-adult", Enabled: off()}}},
			[]string{`category.adult.source: "ut1-adult" is picked, but enabled = false`}},
		{"every problem is told, in key order", Config{Mirror: "x", Category: map[string]CategoryConfig{"zz": {}, "aa": {}}},
			[]string{"mirror: ", "category.aa: ", "category.zz: "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := fielderr.Flatten(tt.c.Validate())
			if len(errs) != len(tt.want) {
				t.Fatalf("Validate = %v, want %d problems %q", errs, len(tt.want), tt.want)
			}
			for i, want := range tt.want {
				var fe *fielderr.Error
				if !errors.As(errs[i], &fe) || !strings.HasPrefix(errs[i].Error(), want) {
					t.Errorf("problem %d = %v, want a field error starting %q", i, errs[i], want)
				}
			}
		})
	}
}

// The [catalog] section decodes as the configs package decodes it.
func TestConfigDecodesFromTOML(t *testing.T) {
	const text = `
mirror = "https://helpline.example/catalog"

[category.adult]
source = "ut1-adult"

[category.games]
enabled = false
`
	var c Config
	md, err := toml.Decode(text, &c)
	if err != nil {
		t.Fatal(err)
	}
	if und := md.Undecoded(); len(und) != 0 {
		t.Fatalf("undecoded keys %v", und)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Mirror != "https://helpline.example/catalog" || c.Category["adult"].Source != "ut1-adult" ||
		c.Category["games"].enabled() || !c.Category["adult"].enabled() || !c.Category["chat"].enabled() {
		t.Errorf("decoded %+v", c)
	}
}
