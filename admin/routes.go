package admin

import (
	"net/http"

	"github.com/amane-dns/amane/internal/web"
)

// routes registers every route. The public group is what anyone on the
// LAN reaches: the login, the first password from the machine itself,
// the assets. Everything else needs a session opened with the password in
// force, and every state change a CSRF token.
func (c *Console) routes() {
	pub := c.router.Public(web.RememberLang, web.CSRF)
	pub.Handle("assets", "GET "+web.AssetPrefix, c.assets)
	pub.HandleFunc("login", "GET /login", func(w http.ResponseWriter, r *http.Request) { c.loginPage(w, r, 0, nil) })
	pub.HandleFunc("login_post", "POST /login", c.loginPost)
	pub.HandleFunc("setup", "POST /setup", c.setupPost)
	pub.HandleFunc("api_login", "POST /api/v1/login", c.apiLogin)
	if c.app.Config().Admin.Metrics {
		// For Prometheus: counts only, no label per client, device or
		// name (package metrics), so no login; [admin] metrics = false
		// turns it off.
		pub.Handle("metrics", "GET /metrics", c.app.Metrics())
	}

	priv := c.router.Private(c.sessions.Require, c.current, web.RememberLang, web.CSRF)
	priv.HandleFunc("home", "GET /{$}", c.homePage)
	priv.HandleFunc("pause", "POST /pause", c.pausePost)
	priv.HandleFunc("resume", "POST /resume", c.resumePost)
	priv.HandleFunc("grant", "POST /grant", c.grantPost)
	priv.HandleFunc("devices", "GET /devices", c.devicesPage)
	priv.HandleFunc("device_post", "POST /devices", c.devicePost)
	priv.HandleFunc("profiles", "GET /profiles", c.profilesPage)
	priv.HandleFunc("profile", "GET /profile", c.profilePage)
	priv.HandleFunc("profile_post", "POST /profile", c.profilePost)
	priv.HandleFunc("activity", "GET /activity", c.activityPage)
	priv.HandleFunc("activity_allow", "POST /activity/allow", c.siteAction(c.app.AllowForProfile))
	priv.HandleFunc("activity_deny", "POST /activity/deny", c.siteAction(c.app.DenyForProfile))
	priv.HandleFunc("why", "GET /why", c.whyPage)
	priv.HandleFunc("why_allow", "POST /why/allow", c.allowPost)
	priv.HandleFunc("report", "GET /report", c.reportPage)
	priv.HandleFunc("report_post", "POST /report", c.reportPost)
	priv.HandleFunc("system", "GET /system", c.systemPage)
	priv.HandleFunc("logout", "POST /logout", c.logout)

	priv.HandleFunc("api_session", "GET /api/v1/session", c.apiSession)
	priv.HandleFunc("api_logout", "POST /api/v1/logout", c.logout)
	priv.HandleFunc("api_devices", "GET /api/v1/devices", c.apiDevices)
	priv.HandleFunc("api_device", "POST /api/v1/devices", c.apiDevice)
	priv.HandleFunc("api_pauses", "GET /api/v1/pauses", c.apiPauses)
	priv.HandleFunc("api_pause", "POST /api/v1/pause", c.apiPause)
	priv.HandleFunc("api_resume", "POST /api/v1/resume", c.apiResume)
	priv.HandleFunc("api_grant", "POST /api/v1/grant", c.apiGrant)
	priv.HandleFunc("api_usage", "GET /api/v1/usage", c.apiUsage)
	priv.HandleFunc("api_explain", "GET /api/v1/explain", c.apiExplain)
	priv.HandleFunc("api_activity", "GET /api/v1/activity", c.apiActivity)
}
