// Package browsertest runs browser tests of the consoles from go test: a
// Node script (run.mjs) drives the system Chromium (Debian's chromium)
// with playwright-core, plays a scenario's steps against a test server on
// loopback, and at each check takes a PNG screenshot and runs axe-core.
// Run fails the test on an accessibility violation, a console error (a
// CSP violation shows as one), a page wider than the viewport, or a
// catalog key shown instead of its text; it skips, saying why, when node,
// chromium or node_modules is missing (`npm ci` in this directory).
package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Scenario is one browser session: a viewport, a language, cookies, and
// the steps to play in order.
type Scenario struct {
	Name    string
	Width   int            // CSS pixels; 360 when 0 (a small phone)
	Height  int            // 740 when 0
	Locale  string         // the browser's language, sent as Accept-Language: "ar-MA"; "en-US" when empty
	Cookies []*http.Cookie // each needs Domain (127.0.0.1) and Path
	Steps   []Step
}

// Step is one action of a scenario; build it with Goto, Fill, Select, Click,
// Press, WaitFor, ExpectText, ExpectAttr or Check.
type Step struct {
	Do       string `json:"do"`
	URL      string `json:"url,omitempty"`
	Selector string `json:"selector,omitempty"`
	Value    string `json:"value,omitempty"`
	Attr     string `json:"attr,omitempty"`
	Name     string `json:"name,omitempty"`
}

// Goto loads url.
func Goto(url string) Step { return Step{Do: "goto", URL: url} }

// Fill types value into the field selector (a Playwright selector: "#f-password").
func Fill(selector, value string) Step { return Step{Do: "fill", Selector: selector, Value: value} }

// Select chooses the option whose value is value in the select element
// selector.
func Select(selector, value string) Step { return Step{Do: "select", Selector: selector, Value: value} }

// Click clicks selector and waits for the page it may load.
func Click(selector string) Step { return Step{Do: "click", Selector: selector} }

// Press presses key ("Enter", "Tab") in selector.
func Press(selector, key string) Step { return Step{Do: "press", Selector: selector, Value: key} }

// WaitFor waits until selector is on the page.
func WaitFor(selector string) Step { return Step{Do: "waitFor", Selector: selector} }

// ExpectText fails the scenario unless selector's text contains text.
func ExpectText(selector, text string) Step {
	return Step{Do: "expectText", Selector: selector, Value: text}
}

// ExpectAttr fails the scenario unless selector's attribute attr is value.
func ExpectAttr(selector, attr, value string) Step {
	return Step{Do: "expectAttr", Selector: selector, Attr: attr, Value: value}
}

// Check screenshots the page as name.png and runs axe-core on it.
func Check(name string) Step { return Step{Do: "check", Name: name} }

// Result is what a Check step saw.
type Result struct {
	Scenario      string      `json:"-"`
	Name          string      `json:"name"`
	URL           string      `json:"url"`
	Screenshot    string      `json:"screenshot"` // the PNG's path
	Title         string      `json:"title"`
	Lang          string      `json:"lang"`       // <html lang>
	Dir           string      `json:"dir"`        // <html dir>
	OverflowPx    int         `json:"overflowPx"` // how far the page scrolls sideways; 0 on a good page
	Untranslated  []string    `json:"untranslated"`
	ConsoleErrors []string    `json:"consoleErrors"`
	Violations    []Violation `json:"violations"`
}

// Violation is one axe-core rule a page breaks.
type Violation struct {
	ID      string   `json:"id"`     // "color-contrast"
	Impact  string   `json:"impact"` // minor, moderate, serious, critical
	Help    string   `json:"help"`
	Targets []string `json:"targets"` // CSS selectors of the offending nodes
}

// Options tune Run.
type Options struct {
	OutDir string // where screenshots go; the env AMANE_SCREENSHOTS, else a temporary directory
	// LoopbackNames, when set, makes the browser resolve every name to
	// 127.0.0.1 (Chromium's --host-resolver-rules), so that a page can be
	// asked for as a blocked site would be (http://www.tiktok.com:PORT/)
	// and the request still reaches the test's server, never the internet.
	LoopbackNames bool
}

// dir is this package's source directory, where package.json and
// node_modules are, whichever package's test calls Run.
func dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

// Chromium returns the browser's path, or "" when it is not installed:
// $CHROMIUM, else chromium or chromium-browser on PATH.
func Chromium() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Available returns why browser tests cannot run here, or "" when they can.
func Available() string {
	if _, err := exec.LookPath("node"); err != nil {
		return "node is not installed (apt-get install nodejs npm)"
	}
	if Chromium() == "" {
		return "chromium is not installed (apt-get install chromium)"
	}
	for _, m := range []string{"playwright-core", "axe-core"} {
		if _, err := os.Stat(filepath.Join(dir(), "node_modules", m, "package.json")); err != nil {
			return fmt.Sprintf("node_modules/%s is missing: run npm ci in %s", m, dir())
		}
	}
	return ""
}

// Run plays the scenarios in one Chromium and returns what every Check
// saw, failing t on each problem found (see the package comment) and on a
// step that could not be played. It skips t when Available says why.
func Run(t testing.TB, opt Options, scenarios ...Scenario) []Result {
	t.Helper()
	if why := Available(); why != "" {
		t.Skip("browser test skipped: " + why)
	}
	if opt.OutDir == "" {
		opt.OutDir = os.Getenv("AMANE_SCREENSHOTS")
	}
	if opt.OutDir == "" {
		opt.OutDir = t.TempDir()
	}
	out, err := filepath.Abs(opt.OutDir)
	if err != nil || os.MkdirAll(out, 0o755) != nil {
		t.Fatalf("screenshot directory %q: %v", opt.OutDir, err)
	}
	type jsCookie struct {
		Name     string `json:"name"`
		Value    string `json:"value"`
		Domain   string `json:"domain"`
		Path     string `json:"path"`
		HTTPOnly bool   `json:"httpOnly"`
		SameSite string `json:"sameSite"`
	}
	type jsScenario struct {
		Name    string     `json:"name"`
		Width   int        `json:"width"`
		Height  int        `json:"height"`
		Locale  string     `json:"locale,omitempty"`
		Cookies []jsCookie `json:"cookies"`
		Steps   []Step     `json:"steps"`
	}
	in := struct {
		Chromium      string       `json:"chromium"`
		OutDir        string       `json:"outDir"`
		StepTimeoutMs int          `json:"stepTimeoutMs"`
		Scenarios     []jsScenario `json:"scenarios"`
		Args          []string     `json:"args"`
	}{Chromium(), out, 60000, nil, nil}
	if opt.LoopbackNames {
		in.Args = append(in.Args, "--host-resolver-rules=MAP * 127.0.0.1")
	}
	for _, sc := range scenarios {
		js := jsScenario{Name: sc.Name, Width: cmp0(sc.Width, 360), Height: cmp0(sc.Height, 740), Locale: sc.Locale, Steps: sc.Steps}
		for _, c := range sc.Cookies {
			js.Cookies = append(js.Cookies, jsCookie{c.Name, c.Value, c.Domain, c.Path, true, "Strict"})
		}
		in.Scenarios = append(in.Scenarios, js)
	}
	stdin, _ := json.Marshal(in)

	// No fixed time limit of its own: on a loaded machine a dozen pages
	// with axe take minutes. The test binary's deadline (go test -timeout)
	// bounds it, less a margin to report what happened.
	ctx := context.Background()
	if dl, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if d, ok := dl.Deadline(); ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, d.Add(-10*time.Second))
			defer cancel()
		}
	}
	cmd := exec.CommandContext(ctx, "node", filepath.Join(dir(), "run.mjs"))
	cmd.Dir = dir()
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("running the browser: %v\n%s", err, stderr.String())
	}
	var res struct {
		Scenarios []struct {
			Name   string   `json:"name"`
			Error  string   `json:"error"`
			Checks []Result `json:"checks"`
		} `json:"scenarios"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("reading the browser's results: %v\n%s", err, stdout.String())
	}
	var all []Result
	for _, sc := range res.Scenarios {
		if sc.Error != "" {
			t.Errorf("%s: %s", sc.Name, sc.Error)
		}
		for _, r := range sc.Checks {
			r.Scenario = sc.Name
			judge(t, r)
			all = append(all, r)
		}
	}
	return all
}

func judge(t testing.TB, r Result) {
	t.Helper()
	at := r.Scenario + "/" + r.Name + " (" + r.URL + ")"
	for _, v := range r.Violations {
		t.Errorf("%s: axe %s (%s): %s at %s", at, v.ID, v.Impact, v.Help, strings.Join(v.Targets, ", "))
	}
	for _, e := range r.ConsoleErrors {
		t.Errorf("%s: console error: %s", at, e)
	}
	if r.OverflowPx > 0 {
		t.Errorf("%s: the page scrolls sideways by %d px", at, r.OverflowPx)
	}
	if len(r.Untranslated) > 0 {
		t.Errorf("%s: catalog keys shown instead of text: %v", at, r.Untranslated)
	}
	t.Logf("%s: screenshot %s, lang=%s dir=%s, %d axe violations", at, r.Screenshot, r.Lang, r.Dir, len(r.Violations))
}

func cmp0(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}
