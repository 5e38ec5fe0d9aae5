package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/amane-dns/amane/configs"
	"github.com/amane-dns/amane/policy"
	"github.com/amane-dns/amane/reports"
)

// The control socket lets the operator commands (pause, resume) act on the
// running daemon. It lives in the state directory: only root and the
// amane group can reach it, which is the whole of its access control.
const controlSocket = "control.sock"

// controlRequest is one line a command sends; controlReply the answer.
type controlRequest struct {
	Cmd      string    `json:"cmd"` // pause, resume, pauses, grant, usage, devices, report, report-status, rotate-key
	Target   string    `json:"target,omitempty"`
	Until    time.Time `json:"until,omitzero"`
	Category string    `json:"category,omitempty"` // grant, report
	Minutes  int       `json:"minutes,omitempty"`  // grant
	Note     string    `json:"note,omitempty"`     // report
	AgeBand  string    `json:"age_band,omitempty"` // report
}

type controlReply struct {
	OK      bool                  `json:"ok"`
	Message string                `json:"message,omitempty"`
	Pauses  []policy.Pause        `json:"pauses,omitempty"`
	Usage   []usageLine           `json:"usage,omitempty"`
	Devices []deviceLine          `json:"devices,omitempty"`
	Outbox  *reports.OutboxStatus `json:"outbox,omitempty"`
}

// deviceLine is one device the network knows.
type deviceLine struct {
	Addr     string `json:"addr"`
	MAC      string `json:"mac,omitempty"`
	Hostname string `json:"hostname,omitempty"`
	Name     string `json:"name,omitempty"` // "" when not named yet
	Profile  string `json:"profile"`
}

// usageLine is one device's use of one budget today.
type usageLine struct {
	Device     string `json:"device"`
	Profile    string `json:"profile"`
	Categories string `json:"categories"`
	Used       int    `json:"used"`
	Allowance  int    `json:"allowance"`
	Granted    int    `json:"granted"`
}

// serveControl answers control requests until ctx ends.
func (a *appliance) serveControl(ctx context.Context, dir string) error {
	path := filepath.Join(dir, controlSocket)
	os.Remove(path) // left by a daemon that was killed
	l, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("control socket: %w", err)
	}
	if err := os.Chmod(path, 0o660); err != nil {
		l.Close()
		return err
	}
	context.AfterFunc(ctx, func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go a.handleControl(c)
		}
	}()
	return nil
}

func (a *appliance) handleControl(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	var req controlRequest
	if err := json.NewDecoder(bufio.NewReader(c)).Decode(&req); err != nil {
		json.NewEncoder(c).Encode(controlReply{Message: "bad request: " + err.Error()})
		return
	}
	json.NewEncoder(c).Encode(a.control(req))
}

func (a *appliance) control(req controlRequest) controlReply {
	a.mu.Lock()
	pol := a.pol
	a.mu.Unlock()
	switch req.Cmd {
	case "grant", "usage":
		return a.budgetControl(pol, req)
	case "report", "report-status", "rotate-key":
		return a.reportControl(req)
	case "devices":
		var lines []deviceLine
		for _, d := range pol.Devices() {
			l := deviceLine{Addr: d.Addr.String(), Hostname: d.Hostname, Name: d.Name, Profile: d.Profile}
			if d.HasMAC {
				l.MAC = net.HardwareAddr(d.MAC[:]).String()
			}
			lines = append(lines, l)
		}
		return controlReply{OK: true, Devices: lines}
	}
	if req.Cmd != "pauses" && (pol == nil || !pol.Targets(req.Target)) {
		return controlReply{Message: fmt.Sprintf("%q is neither a device nor a profile of the configuration", req.Target)}
	}
	var err error
	switch req.Cmd {
	case "pause":
		err = a.pauses.Pause(req.Target, req.Until)
	case "resume":
		err = a.pauses.Resume(req.Target)
	case "pauses":
	default:
		return controlReply{Message: fmt.Sprintf("unknown command %q", req.Cmd)}
	}
	if err != nil {
		return controlReply{Message: err.Error()}
	}
	a.log.Info("control", "cmd", req.Cmd, "target", req.Target, "until", req.Until)
	return controlReply{OK: true, Pauses: a.pauses.List(time.Now())}
}

// ask sends one request to the daemon whose configuration is at path.
func ask(path string, req controlRequest) (controlReply, error) {
	cfg, err := configs.Load(path)
	if err != nil {
		return controlReply{}, err
	}
	if cfg.StateDir == "" {
		return controlReply{}, errors.New("state_dir is empty: the daemon has no control socket")
	}
	c, err := net.DialTimeout("unix", filepath.Join(cfg.StateDir, controlSocket), 2*time.Second)
	if err != nil {
		return controlReply{}, fmt.Errorf("reaching the running amane (is it running, and are you root or in its group?): %w", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if err := json.NewEncoder(c).Encode(req); err != nil {
		return controlReply{}, err
	}
	var rep controlReply
	if err := json.NewDecoder(c).Decode(&rep); err != nil {
		return controlReply{}, fmt.Errorf("reading the daemon's answer: %w", err)
	}
	if !rep.OK {
		return rep, errors.New(rep.Message)
	}
	return rep, nil
}

func (a *appliance) budgetControl(pol *policy.Snapshot, req controlRequest) controlReply {
	now := time.Now()
	if req.Cmd == "grant" {
		key, err := pol.BudgetKey(req.Target, req.Category)
		if err == nil {
			err = a.usage.Grant(key, req.Minutes, now)
		}
		if err != nil {
			return controlReply{Message: err.Error()}
		}
		a.usage.Flush()
		a.log.Info("control", "cmd", "grant", "device", req.Target, "category", req.Category, "minutes", req.Minutes)
	}
	var lines []usageLine
	for _, t := range a.usage.List() {
		who := t.Key.Device
		if who == "" {
			who = t.Key.Addr.String()
		}
		if req.Target != "" && who != req.Target {
			continue
		}
		profile, cats, allowance := pol.Describe(t.Key, now)
		lines = append(lines, usageLine{who, profile, cats, t.Minutes, allowance, t.Granted})
	}
	return controlReply{OK: true, Usage: lines}
}
