package admin

import (
	"net/url"
	"strconv"
)

func itoa(i int) string { return strconv.Itoa(i) }

func urlQuery(s string) string { return url.QueryEscape(s) }
