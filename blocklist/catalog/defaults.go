package catalog

import (
	"strings"
	"time"

	"github.com/amane-dns/amane/blocklist"
)

// The catalog's data. Every fact comes from ../shared/catalogue/SOURCES.md
// (URLs, formats, sizes, licences, each with where it was verified);
// sizes are the maintainers' own counts at the date in SizeAsOf.

const day = 24 * time.Hour

// sources returns every source of the catalog, built afresh so that no
// caller can change what another sees.
func sources() []Source {
	const stats = "2025-12 (Block List Project STATS.md)"
	return []Source{
		// cyberviolence
		{ID: "echap-stalkerware", Name: "Echap stalkerware indicators", Category: blocklist.Cyberviolence,
			Format:  blocklist.FormatDomains,
			URLs:    []string{"https://raw.githubusercontent.com/AssoEchap/stalkerware-indicators/master/generated/hosts"},
			License: "CC-BY-4.0", LicenseURL: "https://github.com/AssoEchap/stalkerware-indicators#license",
			Homepage: "https://github.com/AssoEchap/stalkerware-indicators", Size: 850, SizeAsOf: "2026 (stored copy)",
			Refresh: day, Default: true,
			Note: "servers of 168 stalkerware apps (the file is named hosts but holds one name a line); " +
				"some apps sold as parental control are in it: allow one you use knowingly"},
		ut1("stalkerware", "UT1 stalkerware", blocklist.Cyberviolence, 525, true, "stalkerware vendors' sites"),

		// adult
		hagezi("hagezi-nsfw", "HaGeZi NSFW", "nsfw", blocklist.Adult, 74_633, true, ""),
		hageziAdblock("hagezi-nsfw-adblock", "HaGeZi NSFW (adblock format)", "nsfw", blocklist.Adult, 74_633,
			"the same list as hagezi-nsfw, from HaGeZi's build mirror too"),
		ut1("adult", "UT1 adult", blocklist.Adult, 4_600_370, false,
			"4.6 million names: about 65 MB more memory, 140 MB while compiling; for a Pi 4 or a server, not a router"),
		blp("porn", "Block List Project porn", blocklist.Adult, 500_282, stats, false,
			"takes in HaGeZi NSFW (GPL-3.0) among its upstreams"),

		// gambling
		hagezi("hagezi-gambling-mini", "HaGeZi Gambling mini", "gambling.mini", blocklist.Gambling, 134_081, true,
			"only gambling names among the most visited domains: the size for a small appliance"),
		hagezi("hagezi-gambling-medium", "HaGeZi Gambling medium", "gambling.medium", blocklist.Gambling, 186_245, false, ""),
		hagezi("hagezi-gambling", "HaGeZi Gambling", "gambling", blocklist.Gambling, 516_980, false,
			"the full list: about 5 MB more memory than the mini one"),
		ut1("gambling", "UT1 gambling", blocklist.Gambling, 32_252, true, ""),
		stevenBlack("gambling-only", "StevenBlack gambling", blocklist.Gambling, 6_490),

		// games, social, video, chat, dating
		ut1("games", "UT1 games", blocklist.Games, 35_396, true,
			"game sites and portals; apps (Roblox, Free Fire, PUBG Mobile) are blocked by service"),
		hagezi("hagezi-social", "HaGeZi Social Networks", "social", blocklist.Social, 900, true,
			"Facebook, Instagram, TikTok, X, Snapchat...; not messaging apps nor Twitch"),
		stevenBlack("social-only", "StevenBlack social", blocklist.Social, 3_217),
		ut1("social_networks", "UT1 social networks", blocklist.Social, 716, false, "unchanged since June 2025"),
		ut1("audio-video", "UT1 audio and video", blocklist.Video, 3_874, true,
			"video and music sites (Netflix, Twitch, Dailymotion); no public list covers streaming well: "+
				"YouTube, TikTok and the like are blocked by service"),
		ut1("chat", "UT1 chat", blocklist.Chat, 285, true,
			"chat rooms and web chats; messaging apps (WhatsApp, Telegram, Discord) are blocked by service"),
		ut1("dating", "UT1 dating", blocklist.Dating, 6_519, true, ""),

		// drugs, violence, weapons
		ut1("drogue", "UT1 drugs", blocklist.Drugs, 1_067, true,
			"the only public drugs list, small and unchanged since May 2025; many of its lines are IP addresses, skipped"),
		blp("drugs", "Block List Project drugs", blocklist.Drugs, 26_029, "2026-07 (file header)", false, "mostly pharmacy spam"),
		ut1("agressif", "UT1 aggressive", blocklist.Violence, 396, true, "racist, antisemitic and hate sites"),
		{ID: "sinfonietta-snuff", Name: "Sinfonietta snuff", Category: blocklist.Violence, Format: blocklist.FormatHosts,
			URLs:    []string{"https://raw.githubusercontent.com/Sinfonietta/hostfiles/master/snuff-hosts"},
			License: "MIT", LicenseURL: "https://github.com/Sinfonietta/hostfiles/blob/master/LICENSE",
			Homepage: "https://github.com/Sinfonietta/hostfiles", Size: 10, SizeAsOf: "2026 (stored copy)",
			Refresh: 7 * day, Default: true, Note: "gore sites"},
		ut1("dangerous_material", "UT1 dangerous material", blocklist.Weapons, 54, false,
			"gun shops, airsoft, how to make explosives, DDoS booters; not a weapons list"),

		// malware, phishing, scam
		hagezi("hagezi-tif-mini", "HaGeZi Threat Intelligence Feeds mini", "tif.mini", blocklist.Malware, 186_096, true,
			"malware, cryptojacking, scam and phishing"),
		hagezi("hagezi-tif-medium", "HaGeZi Threat Intelligence Feeds medium", "tif.medium", blocklist.Malware, 858_694, false,
			"needs about 1 GB of memory (HaGeZi)"),
		ut1("malware", "UT1 malware", blocklist.Malware, 271_346, false, ""),
		blp("phishing", "Block List Project phishing", blocklist.Phishing, 190_222, stats, true, ""),
		hagezi("hagezi-fake", "HaGeZi Fake", "fake", blocklist.Scam, 17_234, true,
			"fake shops, fake streaming, subscription traps"),
		blp("scam", "Block List Project scam", blocklist.Scam, 8_528, "2026-07 (stored copy)", false, ""),
		blp("fraud", "Block List Project fraud", blocklist.Scam, 196_082, stats, false, ""),

		// bypass
		hagezi("hagezi-bypass", "HaGeZi DoH/VPN/TOR/Proxy Bypass", "doh-vpn-proxy-bypass", blocklist.Bypass, 16_432, true,
			"encrypted DNS, VPN, Tor and proxy services; port 53 and 853 must also be closed on the router"),
		hagezi("hagezi-doh", "HaGeZi DoH", "doh", blocklist.Bypass, 3_329, false, "encrypted DNS resolvers only"),
		ut1("vpn", "UT1 VPN", blocklist.Bypass, 6_039, false, ""),
		ut1("doh", "UT1 DoH", blocklist.Bypass, 3_016, false, ""),
		ut1("redirector", "UT1 redirectors", blocklist.Bypass, 132_616, false,
			"proxies and anonymizers, but also translation and cache services: blocks more than it should"),
		{ID: "nextdns-encrypted-dns", Name: "NextDNS encrypted DNS", Category: blocklist.Bypass, Format: blocklist.FormatDomains,
			URLs:    []string{"https://raw.githubusercontent.com/nextdns/dns-bypass-methods/main/encrypted-dns"},
			License: "MIT", LicenseURL: "https://github.com/nextdns/dns-bypass-methods/blob/main/LICENSE",
			Homepage: "https://github.com/nextdns/dns-bypass-methods", Size: 300, SizeAsOf: "2023-01",
			Refresh: 7 * day, Note: "unchanged since January 2023"},

		// ads, trackers
		hagezi("hagezi-light", "HaGeZi Multi Light", "light", blocklist.Ads, 39_661, true,
			"ads and trackers with the least breakage"),
		hagezi("hagezi-multi", "HaGeZi Multi Normal", "multi", blocklist.Ads, 199_045, false, ""),
		hagezi("hagezi-pro", "HaGeZi Multi Pro", "pro", blocklist.Ads, 229_508, false, ""),
		stevenBlack("", "StevenBlack unified", blocklist.Ads, 134_997),
		blp("tracking", "Block List Project tracking", blocklist.Trackers, 15_070, stats, true, ""),

		// other
		hagezi("hagezi-nosafesearch", "HaGeZi No Safesearch", "nosafesearch", blocklist.Other, 203, false,
			"search engines that cannot be forced into safe search"),
		hagezi("hagezi-anti-piracy", "HaGeZi Anti Piracy", "anti.piracy", blocklist.Other, 51_171, false, ""),
		hagezi("hagezi-urlshortener", "HaGeZi URL Shortener", "urlshortener", blocklist.Other, 9_965, false,
			"for strict settings: many links break"),
		ut1("remote-control", "UT1 remote control", blocklist.Other, 171, false,
			"remote-desktop tools (AnyDesk and the like), a grooming vector"),
	}
}

// noDefault says why a category has no default source.
func noDefault(c blocklist.Category) string {
	switch c {
	case blocklist.Abuse:
		return "no public list of child sexual abuse domains exists: the authoritative lists (IWF, NCMEC) " +
			"go only to vetted members; the helpline's signed feed fills this category"
	case blocklist.Weapons:
		return "no maintained public weapons list exists (UT1 has none; Shalla's is defunct and all rights reserved); " +
			"a helpline or school list fills it, or pick ut1-dangerous-material (54 names)"
	case blocklist.Other:
		return "a category for your own lists and the helpline's: nothing public to fetch by default"
	}
	return ""
}

// hageziBases are HaGeZi's official locations, in its README's order:
// jsDelivr (the documented link), then its GitLab and Codeberg mirrors.
// Its build mirror's paths are verified for the adblock format only.

func hageziBases() []string {
	return []string{
		"https://cdn.jsdelivr.net/gh/hagezi/dns-blocklists@latest/",
		"https://gitlab.com/hagezi/mirror/-/raw/main/dns-blocklists/",
		"https://codeberg.org/hagezi/mirror2/raw/branch/main/dns-blocklists/",
	}
}

// hagezi returns a HaGeZi list in its wildcard "onlydomains" form: plain
// names, subdomains implied (HaGeZi's domains and hosts forms left the
// main repository on 1 August 2026).
func hagezi(id, name, list string, c blocklist.Category, size int, def bool, note string) Source {
	var urls []string
	for _, b := range hageziBases() {
		urls = append(urls, b+"wildcard/"+list+"-onlydomains.txt")
	}
	return hageziSource(id, name, c, blocklist.FormatDomains, urls, size, def, note)
}

// hageziAdblock returns a HaGeZi list in its adblock form, which its
// build mirror (updated every build) serves too.
func hageziAdblock(id, name, list string, c blocklist.Category, size int, note string) Source {
	var urls []string
	for _, b := range append(hageziBases(), "https://hagezi-mirror.dnsbunker.org/") {
		urls = append(urls, b+"adblock/"+list+".txt")
	}
	return hageziSource(id, name, c, blocklist.FormatAdblock, urls, size, false, note)
}

func hageziSource(id, name string, c blocklist.Category, f blocklist.Format, urls []string, size int, def bool, note string) Source {
	return Source{ID: id, Name: name, Category: c, Format: f, URLs: urls,
		License: "GPL-3.0", LicenseURL: "https://github.com/hagezi/dns-blocklists/blob/main/LICENSE",
		Homepage: "https://github.com/hagezi/dns-blocklists", Size: size, SizeAsOf: "2026-09 (HaGeZi README)",
		Refresh: day, Default: def, Note: note}
}

// ut1 returns a category of Université Toulouse Capitole's lists, fetched
// as its tar.gz only between 19:00 and 08:00 GMT, as UT1 asks.
func ut1(dir, name string, c blocklist.Category, size int, def bool, note string) Source {
	return Source{ID: "ut1-" + strings.ReplaceAll(dir, "_", "-"), Name: name, Category: c, Format: blocklist.FormatUT1Tar,
		URLs:    []string{"https://dsi.ut-capitole.fr/blacklists/download/" + dir + ".tar.gz"},
		License: "CC-BY-SA-4.0", LicenseURL: "https://github.com/olbat/ut1-blacklists#license",
		Homepage: "https://dsi.ut-capitole.fr/blacklists/", Size: size, SizeAsOf: "2026-08 (UT1 index)",
		Window: Window{Start: 19 * 60, End: 8 * 60}, Refresh: day, Default: def, Note: note}
}

// blp returns a Block List Project list in its domains form ("-nl").
func blp(list, name string, c blocklist.Category, size int, asOf string, def bool, note string) Source {
	return Source{ID: "blp-" + list, Name: name, Category: c, Format: blocklist.FormatDomains,
		URLs:    []string{"https://blocklistproject.github.io/Lists/alt-version/" + list + "-nl.txt"},
		License: "Unlicense", LicenseURL: "https://github.com/blocklistproject/Lists/blob/master/LICENSE",
		Homepage: "https://github.com/blocklistproject/Lists", Size: size, SizeAsOf: asOf,
		Refresh: day, Default: def, Note: note}
}

// stevenBlack returns one of StevenBlack's hosts files: an alternate
// ("gambling-only"), or the unified one for "".
func stevenBlack(alt, name string, c blocklist.Category, size int) Source {
	id, path := "stevenblack-unified", "hosts"
	if alt != "" {
		id, path = "stevenblack-"+strings.TrimSuffix(alt, "-only"), "alternates/"+alt+"/hosts"
	}
	return Source{ID: id, Name: name, Category: c, Format: blocklist.FormatHosts,
		URLs:    []string{"https://raw.githubusercontent.com/StevenBlack/hosts/master/" + path},
		License: "MIT", LicenseURL: "https://github.com/StevenBlack/hosts/blob/master/license.txt",
		Homepage: "https://github.com/StevenBlack/hosts", Size: size, SizeAsOf: "2025-04 (readme)",
		Refresh: day}
}
