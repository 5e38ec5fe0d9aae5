package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/blocklist/feed"
	"github.com/amane-dns/amane/reports"
	"github.com/amane-dns/amane/reports/pgstore"
)

// Key file names that `feed keygen` writes.
const (
	secretKeyFile = "feed.key"
	publicKeyFile = "feed.pub"
)

func feedCommand(args []string, stdout io.Writer, now func() time.Time) error {
	if len(args) == 0 {
		return fmt.Errorf("feed: want keygen, publish or catalog: %w", errUsage)
	}
	switch args[0] {
	case "keygen":
		return keygen(args[1:], stdout)
	case "publish":
		return publish(args[1:], stdout, now)
	case "catalog":
		return feedCatalog(args[1:], stdout, now)
	default:
		return fmt.Errorf("feed: unknown command %q: %w", args[0], errUsage)
	}
}

// keygen writes a new key pair: the secret key unencrypted (minisign -W
// format, mode 0600), so that publishing can run unattended on the
// helpline's offline publishing machine, and the public key for appliances.
func keygen(args []string, stdout io.Writer) error {
	fl := flag.NewFlagSet("feed keygen", flag.ContinueOnError)
	out := fl.String("out", "", "directory for "+secretKeyFile+" and "+publicKeyFile+" (created with mode 0700)")
	force := fl.Bool("force", false, "replace a key pair already there (appliances will refuse feeds signed by the new key until reconfigured)")
	configFile := fl.String("config", "", "the helpline's configuration: --out defaults to the directory of its [feed] key")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *configFile != "" && *out == "" {
		c, err := loadConfig(*configFile)
		if err != nil {
			return err
		}
		if filepath.Base(c.Feed.Key) != secretKeyFile {
			return fmt.Errorf("feed keygen: %s: [feed] key is %q; keygen writes %s: use --out DIR", *configFile, c.Feed.Key, secretKeyFile)
		}
		*out = filepath.Dir(c.Feed.Key)
	}
	if *out == "" || fl.NArg() > 0 {
		return errors.New("feed keygen: want --out DIR (or -config FILE) and nothing else")
	}
	if err := os.MkdirAll(*out, 0o700); err != nil {
		return fmt.Errorf("feed keygen: %w", err)
	}
	key, err := feed.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("feed keygen: %w", err)
	}
	secret, public := filepath.Join(*out, secretKeyFile), filepath.Join(*out, publicKeyFile)
	if err := writeNew(secret, key.Encode(), 0o600, *force); err != nil {
		return fmt.Errorf("feed keygen: %w", err)
	}
	if err := writeNew(public, key.Public().Encode(), 0o644, *force); err != nil {
		return fmt.Errorf("feed keygen: %w", err)
	}
	fmt.Fprintf(stdout, "secret key: %s (keep it offline; anyone who has it can sign feeds)\n", secret)
	fmt.Fprintf(stdout, "public key: %s, key id %s\n\n", public, key.ID)
	fmt.Fprintf(stdout, "appliances subscribe with:\n\n[[feed]]\nurl = \"https://HELPLINE/feeds/NAME/\"\npublic_key = %q\n", key.Public())
	return nil
}

// writeNew writes a file that must not exist yet, unless force.
func writeNew(path string, data []byte, perm os.FileMode, force bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, perm)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%s exists; keep it, or pass --force to replace the key pair", path)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Chmod(perm); err != nil { // an existing file keeps its mode otherwise
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return f.Close()
}

func publish(args []string, stdout io.Writer, now func() time.Time) error {
	fl := flag.NewFlagSet("feed publish", flag.ContinueOnError)
	o := feed.PublishOptions{Now: now, Accept: checkIDs}
	configFile := fl.String("config", "", "the helpline's configuration ([feed] key, lists, dir...; and the confirmed reports)")
	keyFile := fl.String("key", "", "the secret key ("+secretKeyFile+", unencrypted minisign format)")
	fl.StringVar(&o.ListsDir, "lists", "", "directory of list files and their "+feed.ListsFile)
	fl.StringVar(&o.OutDir, "out", "", "the feed directory that the web server serves")
	fl.StringVar(&o.Name, "name", "", "the feed's name (default: the feed already in --out, else its base name)")
	fl.DurationVar(&o.Expires, "expires", 720*time.Hour, "how long the manifest is valid")
	contactFile := fl.String("contact", "", "a JSON file with the helpline's contact details (see the feed README)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return errors.New("feed publish: want -config FILE, or --key FILE --lists DIR --out FEEDDIR")
	}
	var fromStore string
	var c *config
	set := map[string]bool{}
	fl.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *configFile != "" {
		var err error
		if c, fromStore, err = fromConfig(*configFile, set, &o, keyFile, contactFile, now); err != nil {
			return fmt.Errorf("feed publish: %w", err)
		}
	}
	// With PostgreSQL the feed goes into the database, which every server
	// serves, unless --out asks for a directory.
	toDB := c != nil && c.Store.Enabled() && !set["out"]
	if *keyFile == "" || o.ListsDir == "" || (o.OutDir == "" && !toDB) {
		return errors.New("feed publish: want --key FILE --lists DIR --out FEEDDIR (or -config FILE with [feed] key, lists, dir)")
	}
	b, err := os.ReadFile(*keyFile)
	if err != nil {
		return fmt.Errorf("feed publish: %w", err)
	}
	if o.Key, err = feed.ParseSecretKey(b); err != nil {
		return fmt.Errorf("feed publish: %s: %w", *keyFile, err)
	}
	if *contactFile != "" {
		if o.Contact, err = readContact(*contactFile); err != nil {
			return fmt.Errorf("feed publish: %s: %w", *contactFile, err)
		}
	}
	var m feed.Manifest
	if toDB {
		m, err = publishToDB(c, o)
		o.OutDir = "the database"
	} else {
		m, err = feed.Publish(o)
	}
	if err != nil {
		return fmt.Errorf("feed publish: %w", err)
	}
	fmt.Fprintf(stdout, "published feed %q version %d in %s: %d lists, %d bytes, expires %s\n",
		m.Name, m.Version, o.OutDir, len(m.Lists), m.TotalBytes(), m.Expires.Format(time.RFC3339))
	for _, l := range m.Lists {
		fmt.Fprintf(stdout, "  %-32s %-14s %-8s %10d  %s%s\n", l.File, l.Category, l.Format, l.Size, l.SHA256[:16], flags(l))
	}
	if fromStore != "" {
		fmt.Fprintln(stdout, fromStore)
	}
	return nil
}

// fromConfig fills what the command line did not set from the
// configuration's [feed] table, and adds the confirmed domains of the
// report store as generated mandatory lists. It returns a line saying how
// many, and from where: publishing from a machine without the store would
// otherwise drop every confirmed domain silently.
func fromConfig(path string, set map[string]bool, o *feed.PublishOptions, keyFile, contactFile *string, now func() time.Time) (*config, string, error) {
	c, err := loadConfig(path)
	if err != nil {
		return nil, "", err
	}
	for name, apply := range map[string]func(){
		"key": func() { *keyFile = c.Feed.Key }, "lists": func() { o.ListsDir = c.Feed.Lists },
		"out": func() { o.OutDir = c.Feed.Dir }, "name": func() { o.Name = c.Feed.Name },
		"expires": func() { o.Expires = c.Feed.Expires }, "contact": func() { *contactFile = c.Feed.Contact },
	} {
		if !set[name] {
			apply()
		}
	}
	a, err := openAdmin(c, now)
	if err != nil {
		return nil, "", err
	}
	defer a.close()
	var confirmed map[string][]string
	if err := a.call("/confirmed", nil, &confirmed); err != nil {
		return nil, "", fmt.Errorf("reading the confirmed domains: %w", err)
	}
	o.Extra = confirmedLists(confirmed)
	n := 0
	for _, names := range confirmed {
		n += len(names)
	}
	from := filepath.Join(c.StateDir, reports.StoreFile)
	if c.Store.Enabled() {
		from = "the PostgreSQL store"
	}
	return c, fmt.Sprintf("confirmed domains: %d, from %s", n, from), nil
}

// publishToDB publishes the next feed version into the PostgreSQL store,
// serialized with every other publication by the store's advisory lock:
// [feed] dir is not used, every server serves the database's newest.
func publishToDB(c *config, o feed.PublishOptions) (feed.Manifest, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	s, err := pgstore.Open(ctx, c.Store)
	if err != nil {
		return feed.Manifest{}, err
	}
	defer s.Close()
	var m feed.Manifest
	err = s.PublishFeed(ctx, func(dir string) error {
		o.OutDir = dir
		m, err = feed.Publish(o)
		return err
	})
	return m, err
}

// confirmedLists makes one mandatory list per category of confirmed
// domains, "confirmed-CATEGORY.txt", in category order.
func confirmedLists(confirmed map[string][]string) []feed.Generated {
	var out []feed.Generated
	for _, cat := range slices.Sorted(maps.Keys(confirmed)) {
		names := confirmed[cat]
		if len(names) == 0 {
			continue
		}
		out = append(out, feed.Generated{
			List:    feed.List{File: "confirmed-" + cat + ".txt", Category: cat, Format: "domains", Mandatory: true},
			Content: []byte(strings.Join(names, "\n") + "\n"),
		})
	}
	return out
}

func readContact(path string) (*feed.Contact, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c, err := feed.DecodeContact(f)
	return &c, err
}

// checkIDs refuses a category or format that appliances do not know.
func checkIDs(l feed.List) error {
	if _, err := blocklist.ParseCategory(l.Category); err != nil {
		return err
	}
	_, err := blocklist.ParseFormat(l.Format)
	return err
}

func flags(l feed.List) string {
	switch {
	case l.Mandatory:
		return "  mandatory"
	case l.Watch:
		return "  watch"
	}
	return ""
}
