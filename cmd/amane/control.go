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

	"github.com/amane-dns/amane/activity"
	"github.com/amane-dns/amane/appliance"
	"github.com/amane-dns/amane/configs"
	"github.com/amane-dns/amane/policy"
	"github.com/amane-dns/amane/reports"
)

// The control socket lets the operator commands (pause, grant, report...)
// act on the running daemon. It lives in the state directory: only root
// and the amane group can reach it, which is the whole of its access
// control. It is a thin adapter: each request calls one method of the
// appliance, which owns every check.
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
	Blocked  bool      `json:"blocked,omitempty"`  // activity (Until is its since)
}

type controlReply struct {
	OK       bool                  `json:"ok"`
	Message  string                `json:"message,omitempty"`
	Pauses   []policy.Pause        `json:"pauses,omitempty"`
	Usage    []appliance.UsageLine `json:"usage,omitempty"`
	Devices  []appliance.Device    `json:"devices,omitempty"`
	Outbox   *reports.OutboxStatus `json:"outbox,omitempty"`
	Activity []activity.Entry      `json:"activity,omitempty"`
}

// serveControl answers control requests until ctx ends.
func serveControl(ctx context.Context, a *appliance.Appliance, dir string) error {
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
			go handleControl(a, c)
		}
	}()
	return nil
}

func handleControl(a *appliance.Appliance, c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	var req controlRequest
	if err := json.NewDecoder(bufio.NewReader(c)).Decode(&req); err != nil {
		json.NewEncoder(c).Encode(controlReply{Message: "bad request: " + err.Error()})
		return
	}
	json.NewEncoder(c).Encode(control(a, req))
}

// control calls the appliance's method for req.
func control(a *appliance.Appliance, req controlRequest) controlReply {
	var rep controlReply
	var err error
	switch req.Cmd {
	case "pause":
		rep.Pauses, err = a.Pause(req.Target, req.Until)
	case "resume":
		rep.Pauses, err = a.Resume(req.Target)
	case "pauses":
		rep.Pauses = a.Pauses()
	case "grant":
		rep.Usage, err = a.Grant(req.Target, req.Category, req.Minutes)
	case "usage":
		rep.Usage = a.Usage(req.Target)
	case "devices":
		rep.Devices = a.Devices()
	case "activity":
		rep.Activity = a.Activity(req.Target, activity.Filter{Blocked: req.Blocked, Since: req.Until, Limit: 1000})
	case "report", "report-status", "rotate-key":
		return reportControl(a, req)
	default:
		err = fmt.Errorf("unknown command %q", req.Cmd)
	}
	if err != nil {
		return controlReply{Message: err.Error()}
	}
	rep.OK = true
	return rep
}

// reportControl is the report operations' side of control, shared with
// the commands that run while no daemon does.
func reportControl(a *appliance.Appliance, req controlRequest) controlReply {
	var rep controlReply
	var err error
	switch req.Cmd {
	case "report-status":
		var st reports.OutboxStatus
		if st, err = a.ReportStatus(); err == nil {
			rep.Outbox = &st
		}
	case "rotate-key":
		var pub string
		if pub, err = a.RotateKey(); err == nil {
			rep.Message = "new report key " + pub + ": reports sent from now on cannot be linked to earlier ones"
		}
	default:
		rep.Message, err = a.Report(appliance.ReportRequest{Domain: req.Target, Category: req.Category, Note: req.Note, AgeBand: req.AgeBand})
	}
	if err != nil {
		return controlReply{Message: err.Error()}
	}
	rep.OK = true
	return rep
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
