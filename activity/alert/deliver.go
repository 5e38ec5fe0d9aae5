package alert

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/smtp"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// permanentError is a failure a retry cannot mend (a topic that does not
// exist, a relay without STARTTLS).
type permanentError struct{ error }

func permanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// send delivers al to d, once.
func (a *Alerter) send(ctx context.Context, d dest, al *Alert) error {
	switch d.kind {
	case "ntfy":
		return a.post(ctx, d.url, "text/plain; charset=utf-8", []byte(al.Message), ntfyHeaders(al))
	case "webhook":
		body, err := json.Marshal(al)
		if err != nil {
			return permanentError{err}
		}
		return a.post(ctx, d.url, "application/json", body, nil)
	case "mail":
		return a.mail(ctx, d.addr, al)
	}
	return permanentError{fmt.Errorf("no way to send to %q", d.kind)}
}

// ntfyHeaders are ntfy's publishing headers: a title, a priority (high
// for what a parent should see at once) and tags that its apps show as
// emoji. Headers that are not ASCII are RFC 2047 encoded, which ntfy
// decodes.
func ntfyHeaders(al *Alert) http.Header {
	prio, tags := "default", "information_source"
	switch al.Kind {
	case Abuse, Adult, Bypass:
		prio, tags = "high", "warning"
	case AskParent:
		prio, tags = "high", "raising_hand"
	case NewDevice:
		tags = "iphone"
	case BudgetSpent:
		tags = "hourglass"
	}
	return http.Header{"Title": {mime.BEncoding.Encode("utf-8", al.Title)}, "Priority": {prio}, "Tags": {tags + "," + al.Kind}}
}

func (a *Alerter) post(ctx context.Context, u, ctype string, body []byte, h http.Header) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return permanentError{err}
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", ctype)
	resp, err := a.opts.HTTP.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	switch {
	case resp.StatusCode/100 == 2:
		return nil
	case resp.StatusCode/100 == 4 && resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusRequestTimeout:
		return permanentError{fmt.Errorf("%s answered %s", req.URL.Host, resp.Status)}
	}
	return fmt.Errorf("%s answered %s", req.URL.Host, resp.Status)
}

// mail sends al to addr through [smtp], over STARTTLS only: the message
// names a child's device and what it tried.
func (a *Alerter) mail(ctx context.Context, to string, al *Alert) error {
	c := a.opts.SMTP
	if c.Host == "" {
		return permanentError{errors.New("no [smtp] host")}
	}
	port := c.Port
	if port == 0 {
		port = 587
	}
	conn, err := (&net.Dialer{Timeout: 10 * time.Second}).DialContext(ctx, "tcp", net.JoinHostPort(c.Host, strconv.Itoa(port)))
	if err != nil {
		return err
	}
	conn.SetDeadline(time.Now().Add(time.Minute))
	cl, err := smtp.NewClient(conn, c.Host)
	if err != nil {
		conn.Close()
		return err
	}
	defer cl.Close()
	if ok, _ := cl.Extension("STARTTLS"); !ok {
		return permanentError{fmt.Errorf("%s does not offer STARTTLS: amane sends no alert in clear", c.Host)}
	}
	tc, err := tlsConfig(c)
	if err != nil {
		return permanentError{err}
	}
	if err := cl.StartTLS(tc); err != nil {
		return err
	}
	if c.User != "" {
		pw, err := os.ReadFile(c.PasswordFile)
		if err != nil {
			return permanentError{fmt.Errorf("reading smtp.password_file: %w", err)}
		}
		if err := cl.Auth(smtp.PlainAuth("", c.User, strings.TrimSpace(string(pw)), c.Host)); err != nil {
			return err
		}
	}
	from, _ := parseAddress(c.From)
	if err := cl.Mail(from); err != nil {
		return err
	}
	if err := cl.Rcpt(to); err != nil {
		return err
	}
	w, err := cl.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(message(c.From, to, al, a.opts.Now())); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return cl.Quit()
}

func tlsConfig(c SMTPConfig) (*tls.Config, error) {
	tc := &tls.Config{ServerName: c.Host, MinVersion: tls.VersionTLS12}
	if c.CAFile == "" {
		return tc, nil
	}
	pem, err := os.ReadFile(c.CAFile)
	if err != nil {
		return nil, fmt.Errorf("reading smtp.ca_file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("smtp.ca_file %s holds no PEM certificate", c.CAFile)
	}
	tc.RootCAs = pool
	return tc, nil
}

// message is the mail: UTF-8 text in base64, so that Arabic and French
// survive any relay.
func message(from, to string, al *Alert, now time.Time) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\n", from, to,
		mime.QEncoding.Encode("utf-8", al.Title), now.Format(time.RFC1123Z))
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(al.Message + "\r\n"))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return b.Bytes()
}

// redact names a destination for logs and the console without its
// secret: an ntfy topic is its own password.
func redact(d ruleDest) string {
	switch {
	case strings.HasPrefix(d.to, "mailto:"):
		return d.to
	case strings.HasPrefix(d.to, "webhook:"):
		if u, err := url.Parse(strings.TrimPrefix(d.to, "webhook:")); err == nil {
			return "webhook:" + u.Host
		}
	default:
		if u, err := url.Parse(d.to); err == nil {
			return "ntfy:" + u.Host
		}
	}
	return "?"
}
