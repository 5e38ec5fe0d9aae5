package admin

import (
	"net/http"
	"path/filepath"
	"time"

	"github.com/amane-dns/amane/appliance"
	"github.com/amane-dns/amane/internal/web"
)

// deviceRow is one device on the Devices page.
type deviceRow struct {
	appliance.Device
	Hand bool // named in amane.toml: read-only here
	Key  string
}

type devicesData struct {
	Devices  []deviceRow
	Profiles []string
	Form     deviceRequest // what a refused form held
	Path     string        // the hand-written file's
	Now      time.Time
}

func (c *Console) devices(form deviceRequest) devicesData {
	cfg := c.app.Config()
	loc := c.app.Policy().Location()
	d := devicesData{Form: form, Path: filepath.Base(cfg.Path), Now: c.app.Now().In(loc)}
	for _, p := range cfg.Profiles {
		d.Profiles = append(d.Profiles, p.Name)
	}
	for i, dev := range c.app.Devices() {
		dev.FirstSeen = dev.FirstSeen.In(loc)
		d.Devices = append(d.Devices, deviceRow{Device: dev, Hand: dev.Name != "" && cfg.DeviceSetByHand(dev.Name), Key: "d" + itoa(i)})
	}
	return d
}

func (c *Console) devicesPage(w http.ResponseWriter, r *http.Request) {
	c.rd.Render(w, r, web.View{Page: "devices", Nav: "devices", Data: c.devices(deviceRequest{})})
}

// devicePost names a device and gives it a profile, in one step.
func (c *Console) devicePost(w http.ResponseWriter, r *http.Request) {
	req := deviceRequest{Name: r.PostFormValue("device.name"), MAC: r.PostFormValue("mac"), IP: r.PostFormValue("ip"),
		Profile: r.PostFormValue("device.profile")}
	dc, err := req.config()
	if err == nil {
		err = c.app.SetDevice(dc)
	}
	if err != nil {
		c.rd.Render(w, r, web.View{Page: "devices", Nav: "devices", Status: http.StatusUnprocessableEntity,
			Errors: web.Fields(err), Data: c.devices(req)})
		return
	}
	c.done(w, r, "devices")
}
