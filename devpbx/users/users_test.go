package users

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	d, err := Parse(strings.NewReader("# demo users\n1001:pa:ss\r\n\n  1002 : x y \n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Names(); len(got) != 2 || got[0] != "1001" || got[1] != "1002" {
		t.Fatalf("names %v", got)
	}
	if p, _ := d.Password("1001"); p != "pa:ss" {
		t.Errorf("1001 password %q", p)
	}
	if p, _ := d.Password("1002"); p != " x y" {
		t.Errorf("1002 password %q (kept as written after the colon)", p)
	}
	if !d.Check("1001", "pa:ss") || d.Check("1001", "pa") || d.Check("nobody", "") {
		t.Error("Check wrong")
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{"", "# only comments\n", "1001\n", "1001:\n", "a b:c\n", "1001:a\n1001:b\n", "<x>:y\n"} {
		if _, err := Parse(strings.NewReader(in)); !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: err %v", in, err)
		}
	}
}

func TestLoad(t *testing.T) {
	p := filepath.Join(t.TempDir(), "users.txt")
	if err := os.WriteFile(p, []byte("1001:secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := Load(p)
	if err != nil || !d.Has("1001") {
		t.Fatalf("%v %v", d, err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("missing file loaded")
	}
}

func TestGenerate(t *testing.T) {
	d := Generate("1001", "1002")
	a, _ := d.Password("1001")
	b, _ := d.Password("1002")
	if len(a) != 16 || a == b {
		t.Errorf("passwords %q %q", a, b)
	}
}

func FuzzParse(f *testing.F) {
	f.Add("1001:x\n#c\n1002:y")
	f.Fuzz(func(t *testing.T, in string) {
		d, err := Parse(strings.NewReader(in))
		if err == nil && len(d.Names()) == 0 {
			t.Error("empty directory accepted")
		}
	})
}
