package alert

import (
	"fmt"
	"strings"
	"time"

	"github.com/amane-dns/amane/blocklist"
)

// texts are the alerts in the parents' languages: a sentence a parent
// reads on a lock screen. Arguments: who, what (the site or category),
// and the time.
var texts = map[string]map[string]string{
	"en": {
		Abuse:              "%[1]s tried to open a site the helpline lists as child abuse (%[2]s) at %[3]s. It was blocked.",
		Adult:              "%[1]s tried to open an adult site (%[2]s) at %[3]s",
		Bypass:             "%[1]s tried to get around the filter (%[2]s) at %[3]s",
		NewDevice:          "A new device (%[1]s) joined the network at %[3]s",
		BudgetSpent:        "%[1]s used up today's time for %[2]s at %[3]s",
		AskParent:          "%[1]s asks to open %[2]s (%[3]s)",
		ReportAcknowledged: "The helpline received your report about %[2]s (%[3]s)",
		"digest":           "and %[4]d more like it until %[3]s",
		"title":            "amane: %[1]s",
	},
	"fr": {
		Abuse:              "%[1]s a tenté d'ouvrir un site signalé par la ligne d'aide comme pédocriminel (%[2]s) à %[3]s. Il a été bloqué.",
		Adult:              "%[1]s a tenté d'ouvrir un site pour adultes (%[2]s) à %[3]s",
		Bypass:             "%[1]s a tenté de contourner le filtre (%[2]s) à %[3]s",
		NewDevice:          "Un nouvel appareil (%[1]s) a rejoint le réseau à %[3]s",
		BudgetSpent:        "%[1]s a épuisé son temps du jour pour %[2]s à %[3]s",
		AskParent:          "%[1]s demande à ouvrir %[2]s (%[3]s)",
		ReportAcknowledged: "La ligne d'aide a reçu votre signalement de %[2]s (%[3]s)",
		"digest":           "et %[4]d autres semblables jusqu'à %[3]s",
		"title":            "amane : %[1]s",
	},
	"ar": {
		Abuse:              "حاول %[1]s فتح موقع تصنفه خط المساعدة كاستغلال جنسي للأطفال (%[2]s) على الساعة %[3]s. تم حجبه.",
		Adult:              "حاول %[1]s فتح موقع للبالغين (%[2]s) على الساعة %[3]s",
		Bypass:             "حاول %[1]s تجاوز التصفية (%[2]s) على الساعة %[3]s",
		NewDevice:          "انضم جهاز جديد (%[1]s) إلى الشبكة على الساعة %[3]s",
		BudgetSpent:        "استنفد %[1]s وقته اليومي لـ%[2]s على الساعة %[3]s",
		AskParent:          "يطلب %[1]s فتح %[2]s (%[3]s)",
		ReportAcknowledged: "توصل خط المساعدة ببلاغك عن %[2]s (%[3]s)",
		"digest":           "و%[4]d محاولات مماثلة أخرى حتى الساعة %[3]s",
		"title":            "أمان: %[1]s",
	},
}

// render fills a's title and message in lang, at loc's time.
func (a *Alert) render(lang string, loc *time.Location) {
	t := texts[lang]
	if t == nil {
		t = texts["en"]
	}
	what := a.Site
	if what == "" || a.Kind == BudgetSpent {
		what = a.categoryLabel(lang)
	}
	if a.Kind == AskParent && a.Note != "" {
		what += ": « " + a.Note + " »"
	}
	at := a.At.In(loc).Format("15:04")
	msg := fmt.Sprintf(t[a.Kind], a.Device, what, at)
	if a.More > 0 {
		msg += "; " + fmt.Sprintf(t["digest"], a.Device, what, a.Last.In(loc).Format("15:04"), a.More)
		if len(a.MoreSites) > 0 {
			msg += " (" + strings.Join(a.MoreSites, ", ") + ")"
		}
	}
	a.Title = fmt.Sprintf(t["title"], a.Device)
	a.Message = msg
}

// categoryLabel names the alert's category in lang ("" when none).
func (a *Alert) categoryLabel(lang string) string {
	c, err := blocklist.ParseCategory(a.Category)
	if err != nil {
		return a.Category
	}
	return strings.ToLower(c.Label(lang))
}
