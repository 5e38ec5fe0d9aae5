package blocklist_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/amane-dns/amane/blocklist"
)

func ExampleBuilder() {
	b := blocklist.NewBuilder()
	ads := b.AddList("hagezi-light", blocklist.Ads)
	allow := b.AddList("school-allow", blocklist.Other)
	if _, err := b.Parse(ads, strings.NewReader("||doubleclick.net^\n||ads.example.com^\n"), blocklist.FormatAuto); err != nil {
		panic(err)
	}
	if _, err := b.Parse(allow, strings.NewReader("@@||good.ads.example.com^\n"), blocklist.FormatAdblock); err != nil {
		panic(err)
	}
	set, err := b.Build()
	if err != nil {
		panic(err)
	}
	for _, q := range []string{"stats.g.doubleclick.net", "good.ads.example.com", "example.com"} {
		m := set.Lookup(q)
		fmt.Printf("%s blocked=%v categories=%s exception=%v\n", q, m.Blocked(), m.Categories, m.Exception)
	}
	fmt.Println(set.Explain("www.good.ads.example.com"))
	// Output:
	// stats.g.doubleclick.net blocked=true categories=ads exception=false
	// good.ads.example.com blocked=false categories=none exception=true
	// example.com blocked=false categories=none exception=false
	// www.good.ads.example.com: allowed by an exception; the exception lifts ads
	//   good.ads.example.com allows its subdomains: list "school-allow" (other) line 1
	//   ads.example.com blocks (ads) its subdomains: list "hagezi-light" (ads) line 2
}

func ExampleStats_Write() {
	list := "0.0.0.0 0.0.0.0\n127.0.0.1 localhost\n0.0.0.0 ads.example.com tracker.example.com # two names\n"
	st, err := blocklist.Parse(strings.NewReader(list), blocklist.FormatAuto, func(blocklist.Rule) {})
	if err != nil {
		panic(err)
	}
	st.Name = "my.hosts"
	st.Write(os.Stdout)
	// Output:
	// my.hosts: format hosts, 3 lines, 2 names accepted (0 exceptions)
	//   skipped 1: IP address where a name belongs
	//       e.g. line 1: 0.0.0.0 0.0.0.0
	//   skipped 1: local name (hosts preamble or machine name), not a block
	//       e.g. line 2: 127.0.0.1 localhost
}
