package main

import (
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/blocklist/feed"
)

// Key file names that `feed keygen` writes.
const (
	secretKeyFile = "feed.key"
	publicKeyFile = "feed.pub"
)

func feedCommand(args []string, stdout io.Writer, now func() time.Time) error {
	if len(args) == 0 {
		return fmt.Errorf("feed: want keygen or publish: %w", errUsage)
	}
	switch args[0] {
	case "keygen":
		return keygen(args[1:], stdout)
	case "publish":
		return publish(args[1:], stdout, now)
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
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *out == "" || fl.NArg() > 0 {
		return errors.New("feed keygen: want --out DIR and nothing else")
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
	keyFile := fl.String("key", "", "the secret key ("+secretKeyFile+", unencrypted minisign format)")
	fl.StringVar(&o.ListsDir, "lists", "", "directory of list files and their "+feed.ListsFile)
	fl.StringVar(&o.OutDir, "out", "", "the feed directory that the web server serves")
	fl.StringVar(&o.Name, "name", "", "the feed's name (default: the feed already in --out, else its base name)")
	fl.DurationVar(&o.Expires, "expires", 720*time.Hour, "how long the manifest is valid")
	contactFile := fl.String("contact", "", "a JSON file with the helpline's contact details (see the feed README)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *keyFile == "" || o.ListsDir == "" || o.OutDir == "" || fl.NArg() > 0 {
		return errors.New("feed publish: want --key FILE --lists DIR --out FEEDDIR")
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
	m, err := feed.Publish(o)
	if err != nil {
		return fmt.Errorf("feed publish: %w", err)
	}
	fmt.Fprintf(stdout, "published feed %q version %d in %s: %d lists, %d bytes, expires %s\n",
		m.Name, m.Version, o.OutDir, len(m.Lists), m.TotalBytes(), m.Expires.Format(time.RFC3339))
	for _, l := range m.Lists {
		fmt.Fprintf(stdout, "  %-32s %-14s %-8s %10d  %s%s\n", l.File, l.Category, l.Format, l.Size, l.SHA256[:16], flags(l))
	}
	return nil
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
