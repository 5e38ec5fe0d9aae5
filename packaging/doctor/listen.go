package doctor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"time"

	"github.com/miekg/dns"
)

// clockFloor is a date that the clock of a working appliance is past:
// this code was written after it. A Raspberry Pi has no battery-backed
// clock; until NTP sets it, it says when it was last shut down, or 1970.
var clockFloor = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const fixNTP = "turn NTP on: sudo timedatectl set-ntp true (Debian, Raspberry Pi OS); on OpenWrt: uci set system.ntp.enable_server=0 system.ntp.enabled=1 && uci commit system && /etc/init.d/sysntpd restart"

func (d *Doctor) checkClock() Result {
	now := d.Now()
	if now.Before(clockFloor) {
		return Result{Check: "clock", Status: Fail, Fix: fixNTP,
			Msg: "the clock says " + now.UTC().Format(time.RFC3339) + ": every certificate (DoT and DoH upstreams, list downloads) looks invalid, and schedules run at the wrong time"}
	}
	synced, err := d.System.ClockSynced()
	switch {
	case err != nil:
		return Result{Check: "clock", Status: Warn, Msg: "cannot tell whether the clock is synchronized: " + err.Error(), Fix: fixNTP}
	case !synced:
		return Result{Check: "clock", Status: Warn, Fix: fixNTP,
			Msg: "not synchronized by NTP (" + now.UTC().Format(time.RFC3339) + "): after a power cut the clock may be wrong, which breaks certificates and schedules"}
	}
	return Result{Check: "clock", Status: OK, Msg: "synchronized by NTP: " + now.UTC().Format(time.RFC3339)}
}

// checkListen says whether amane answers on addr and, when it does not,
// what keeps it from doing so: another program holding the port, rights,
// or an address this machine does not have. It binds first and asks only
// when the port is taken, so nothing is ever sent to an address that is
// not this machine's.
func (d *Doctor) checkListen(ctx context.Context, addr string) Result {
	res := Result{Check: "listen", Status: Fail}
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		res.Msg = fmt.Sprintf("%q is not IP:port", addr)
		return res
	}
	err = bindTest(ap)
	if errors.Is(err, syscall.EADDRINUSE) || errors.Is(err, syscall.EACCES) && !*d.Root {
		holders := d.socketHolders(ap)
		if rtt, qerr := d.askDNS(ctx, probeAddr(ap)); qerr == nil {
			return d.answering(ap, holders, rtt)
		}
		if errors.Is(err, syscall.EADDRINUSE) {
			return d.taken(ap, holders)
		}
	}
	switch {
	case err == nil:
		res.Status, res.Msg = Warn, addr+" is free: amane is not running, or listens elsewhere"
		res.Fix = "start it: sudo systemctl start amane (OpenWrt: /etc/init.d/amane start); why it stopped: journalctl -u amane (OpenWrt: logread -e amane)"
	case errors.Is(err, syscall.EACCES) && !*d.Root:
		res.Status, res.Msg = Warn, "nothing answers on "+addr+", and only root may test binding a port below 1024"
		res.Fix = "run sudo amane doctor"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		res.Msg = ap.Addr().String() + " is not an address of this machine"
		res.Fix = "set server.listen to this machine's LAN address, or to 0.0.0.0:" + fmt.Sprint(ap.Port())
	default:
		res.Msg = "cannot listen on " + addr + ": " + err.Error()
		res.Fix = "the packaged unit gives amane CAP_NET_BIND_SERVICE; when running it by hand, run it as root"
	}
	return res
}

// taken reports a port held by a program that does not answer DNS there.
func (d *Doctor) taken(ap netip.AddrPort, holders []holder) Result {
	if isAmane(holders) {
		return Result{Check: "listen", Status: Fail,
			Msg: fmt.Sprintf("%s is held by amane, but it did not answer within %s", ap, d.Timeout),
			Fix: "look at its log (journalctl -u amane, or logread -e amane) and restart it"}
	}
	return Result{Check: "listen", Status: Fail, Msg: ap.String() + " is taken by " + describe(holders), Fix: fixFor(holders, ap)}
}

func (d *Doctor) answering(ap netip.AddrPort, holders []holder, rtt time.Duration) Result {
	res := Result{Check: "listen", Status: OK, Msg: fmt.Sprintf("amane answers on %s (%s)", ap, rtt.Round(time.Millisecond))}
	switch {
	case isAmane(holders):
	case len(holders) > 0 && holders[0].pid > 0:
		res.Status, res.Msg = Fail, fmt.Sprintf("%s is answered by %s, not amane", ap, describe(holders))
		res.Fix = fixFor(holders, ap)
	default:
		res.Status = Warn
		res.Msg = fmt.Sprintf("something answers DNS on %s (%s), but the doctor cannot see which program", ap, describe(holders))
		res.Fix = "run sudo amane doctor to see it"
	}
	return res
}

// probeAddr is where to ask a server listening on ap: the loopback address
// of its family when it listens on all addresses.
func probeAddr(ap netip.AddrPort) netip.AddrPort {
	switch a := ap.Addr(); {
	case a.IsUnspecified() && a.Is4():
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), ap.Port())
	case a.IsUnspecified():
		return netip.AddrPortFrom(netip.IPv6Loopback(), ap.Port())
	}
	return ap
}

// askDNS sends one query over UDP and returns how long the answer took.
// Any answer counts, even REFUSED: something speaks DNS there.
func (d *Doctor) askDNS(ctx context.Context, ap netip.AddrPort) (time.Duration, error) {
	m := new(dns.Msg)
	m.SetQuestion("amane-doctor.invalid.", dns.TypeA) // RFC 6761: never a real name
	c := &dns.Client{Net: "udp", Timeout: min(d.Timeout, 2*time.Second)}
	_, rtt, err := c.ExchangeContext(ctx, m, ap.String())
	return rtt, err
}

// bindTest binds UDP and TCP on ap, as amane would, and lets go at once.
// It sets no SO_REUSEPORT, so it can never take a datagram meant for a
// running amane.
func bindTest(ap netip.AddrPort) error {
	network := map[bool]string{true: "4", false: "6"}[ap.Addr().Unmap().Is4()]
	pc, err := net.ListenPacket("udp"+network, ap.String())
	if err != nil {
		return err
	}
	pc.Close()
	l, err := net.Listen("tcp"+network, ap.String())
	if err != nil {
		return err
	}
	return l.Close()
}

// fixFor says how to free port 53 from the programs that usually hold it.
func fixFor(hs []holder, ap netip.AddrPort) string {
	name := ""
	if len(hs) > 0 {
		name = hs[0].name
	}
	switch {
	case strings.HasPrefix(name, "systemd-resolve"):
		return `turn off its stub listener: sudo mkdir -p /etc/systemd/resolved.conf.d && printf '[Resolve]\nDNSStubListener=no\n' | sudo tee /etc/systemd/resolved.conf.d/amane.conf && sudo systemctl restart systemd-resolved`
	case name == "dnsmasq":
		return "on a Pi or a server: sudo systemctl disable --now dnsmasq; on a router keep dnsmasq on 53 and give amane 127.0.0.1:5353 (packaging/README.md, Routers)"
	case name == "":
		return "run sudo amane doctor to see which program it is, or: sudo ss -lunp 'sport = :" + fmt.Sprint(ap.Port()) + "'"
	}
	return "stop " + name + " (sudo systemctl disable --now " + name + "), or give amane another address in server.listen"
}
