package configs

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/amane-dns/amane/internal/fielderr"
)

type strictExample struct {
	Dir    string `toml:"dir"`
	Server struct {
		Port  int    `toml:"port"`
		Proto string `toml:"proto"`
	} `toml:"server"`
}

func TestDecodeStrictNamesFileLineAndKey(t *testing.T) {
	var v strictExample
	v.Server.Proto = "tcp" // a default the file does not override
	src := "dir = \"x\"\n[server]\nport = 0\nprot = \"udp\"\n"
	err := DecodeStrict("ex.toml", []byte(src), &v, func() error {
		if v.Server.Port < 1 {
			return fielderr.New("server.port", "%d, want at least 1", v.Server.Port)
		}
		return nil
	})
	var ps Problems
	if !errors.As(err, &ps) || len(ps) != 2 {
		t.Fatalf("DecodeStrict = %v; want 2 problems", err)
	}
	for i, want := range []string{`ex.toml:3: server.port: 0, want at least 1`, `ex.toml:4: server.prot: unknown key (did you mean "server.proto"?)`} {
		if ps[i].Error() != want {
			t.Errorf("problem %d = %q, want %q", i, ps[i].Error(), want)
		}
	}
	if v.Dir != "x" || v.Server.Proto != "tcp" {
		t.Errorf("decoded %+v; want dir set and the default proto kept", v)
	}
	if err := DecodeStrict("ex.toml", []byte("[server\n"), &v, nil); err == nil || !strings.HasPrefix(err.Error(), "ex.toml:") {
		t.Errorf("a syntax error = %v; want it located", err)
	}
}

func TestKeysOfListsDottedKeys(t *testing.T) {
	if got, want := KeysOf(&strictExample{}), []string{"dir", "server.port", "server.proto"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("KeysOf = %v, want %v", got, want)
	}
}
