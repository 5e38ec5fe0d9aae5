package admin

import (
	"net/http"
	"net/netip"

	"github.com/amane-dns/amane/internal/fielderr"
	"github.com/amane-dns/amane/internal/web"
	"github.com/amane-dns/amane/policy"
)

// The JSON API under /api/v1/: the same operations as the pages, through
// the same appliance methods, for scripts and home automation. Errors are
// {"field": ..., "error": ...}, as a page shows them next to a field.

// decode reads an API call's body into v, or answers 400 and returns false.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := web.DecodeJSON(r, v); err != nil {
		web.WriteJSONError(w, http.StatusBadRequest, err)
		return false
	}
	return true
}

// answer writes v, or err's problems with 422.
func answer(w http.ResponseWriter, v any, err error) {
	if err != nil {
		web.WriteJSONError(w, http.StatusUnprocessableEntity, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, v)
}

func (c *Console) apiDevices(w http.ResponseWriter, r *http.Request) {
	web.WriteJSON(w, http.StatusOK, map[string]any{"devices": c.app.Devices()})
}

// deviceRequest names a device and gives it a profile: POST /api/v1/devices.
type deviceRequest struct {
	Name    string `json:"name"`
	MAC     string `json:"mac"`
	IP      string `json:"ip"`
	Profile string `json:"profile"`
}

func (d deviceRequest) config() (policy.DeviceConfig, error) {
	dc := policy.DeviceConfig{Name: d.Name, MAC: d.MAC, Profile: d.Profile}
	if d.IP != "" {
		ip, err := netip.ParseAddr(d.IP)
		if err != nil {
			return dc, fielderr.New("device.ip", "%q is not an IP address", d.IP)
		}
		dc.IP = ip
	}
	return dc, nil
}

func (c *Console) apiDevice(w http.ResponseWriter, r *http.Request) {
	var req deviceRequest
	if !decode(w, r, &req) {
		return
	}
	dc, err := req.config()
	if err == nil {
		err = c.app.SetDevice(dc)
	}
	answer(w, map[string]any{"devices": c.app.Devices()}, err)
}

func (c *Console) apiPauses(w http.ResponseWriter, r *http.Request) {
	web.WriteJSON(w, http.StatusOK, map[string]any{"pauses": c.app.Pauses()})
}

func (c *Console) apiPause(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Target   string `json:"target"`
		Duration string `json:"duration"`
	}
	if !decode(w, r, &req) {
		return
	}
	p, err := c.app.PauseFor(req.Target, req.Duration)
	answer(w, map[string]any{"pauses": p}, err)
}

func (c *Console) apiResume(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Target string `json:"target"`
	}
	if !decode(w, r, &req) {
		return
	}
	p, err := c.app.Resume(req.Target)
	answer(w, map[string]any{"pauses": p}, err)
}

func (c *Console) apiGrant(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Device   string `json:"device"`
		Category string `json:"category"`
		Minutes  int    `json:"minutes"`
	}
	if !decode(w, r, &req) {
		return
	}
	u, err := c.app.Grant(req.Device, req.Category, req.Minutes)
	answer(w, map[string]any{"usage": u}, err)
}

func (c *Console) apiUsage(w http.ResponseWriter, r *http.Request) {
	web.WriteJSON(w, http.StatusOK, map[string]any{"usage": c.app.Usage(r.URL.Query().Get("device"))})
}

// explained is one explanation as the API writes it.
type explained struct {
	Name       string `json:"name"`
	Invalid    string `json:"invalid,omitempty"`
	Profile    string `json:"profile"`
	Blocked    bool   `json:"blocked"`
	Why        string `json:"why,omitempty"`
	Categories string `json:"categories,omitempty"`
	Service    string `json:"service,omitempty"`
}

func (c *Console) apiExplain(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	cl, err := c.app.ClientOf(q.Get("device"))
	if err != nil {
		web.WriteJSONError(w, http.StatusUnprocessableEntity, err)
		return
	}
	var out []explained
	for _, e := range c.app.Explain(cl, q["name"]...) {
		d := e.Decision
		x := explained{Name: e.Name, Invalid: e.Invalid, Profile: e.Profile, Blocked: d.Action == policy.Block, Service: d.ServiceID()}
		if x.Blocked {
			x.Why, x.Categories = whyKey(d), d.Categories.String()
		}
		out = append(out, x)
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"explanations": out})
}

// whyKey names a blocking decision's reason, for the API and as the
// suffix of the page's message key ("why.bedtime").
func whyKey(d policy.Decision) string {
	if d.Mandatory {
		return "mandatory"
	}
	switch d.Why {
	case policy.ByDeny:
		return "deny"
	case policy.BySchedule:
		return "schedule"
	case policy.ByBypass:
		return "bypass"
	case policy.ByPause:
		return "pause"
	case policy.ByBudget:
		return "budget"
	case policy.ByService:
		return "service"
	}
	return "category"
}
